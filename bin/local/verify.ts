/** Compare what the store holds with the simulator's truth. Pure: two lists in, counts out. */
import { DECIMAL_FIELDS, klineKey, type Kline } from '../../core/kline';

export interface KlineComparison {
  expected: number;
  stored: number;
  missing: number;
  /** Keys the store returned more than once. */
  duplicated: number;
  /** Keys present in both but with any field different. */
  differing: number;
  /** Keys stored that the truth does not have. */
  unexpected: number;
  /** A few example keys per problem, for the log. */
  examples: string[];
}

function sameKline(a: Kline, b: Kline, withSourceCount: boolean): boolean {
  if (a.closeTime !== b.closeTime || a.trades !== b.trades) return false;
  for (const f of DECIMAL_FIELDS) if (a[f] !== b[f]) return false;
  return !withSourceCount || a.sourceCount === b.sourceCount;
}

export function compareKlines(truth: readonly Kline[], stored: readonly Kline[], withSourceCount = false): KlineComparison {
  const byKey = new Map<string, Kline>();
  for (const k of truth) byKey.set(klineKey(k), k);
  const seen = new Set<string>();
  const r: KlineComparison = { expected: byKey.size, stored: stored.length, missing: 0, duplicated: 0, differing: 0, unexpected: 0, examples: [] };
  const note = (what: string, key: string): void => {
    if (r.examples.length < 10) r.examples.push(`${what} ${key}`);
  };
  for (const k of stored) {
    const key = klineKey(k);
    if (seen.has(key)) {
      r.duplicated++;
      note('duplicated', key);
      continue;
    }
    seen.add(key);
    const t = byKey.get(key);
    if (!t) {
      r.unexpected++;
      note('unexpected', key);
    } else if (!sameKline(t, k, withSourceCount)) {
      r.differing++;
      note('differing', key);
    }
  }
  for (const key of byKey.keys()) {
    if (!seen.has(key)) {
      r.missing++;
      note('missing', key);
    }
  }
  return r;
}

export function isPerfect(c: KlineComparison): boolean {
  return c.missing === 0 && c.duplicated === 0 && c.differing === 0 && c.unexpected === 0;
}
