/**
 * End-of-run proof for `--sim`: every expected (market, minute) stored exactly once and equal to
 * what the simulator published, and every resampled bar equal to resampling that truth.
 */
import { intervalMs, RESAMPLED_INTERVALS } from '../../core/interval';
import { klineKey, type Kline } from '../../core/kline';
import { resample } from '../../core/resample';
import { describeSymbol, symbolProblem } from '../../core/symbol';
import type { KlineStore, TimeRange } from '../../core/store/port';
import type { Simulator } from '../../sim';
import { compareKlines, isPerfect, type KlineComparison } from './verify';

export interface SimCheck {
  range: TimeRange;
  /** Markets the simulator listed whose symbol breaks the symbol rule: their minutes are rejected, never expected. */
  refused: { symbol: string; reason: string; minutes: number }[];
  oneMinute: KlineComparison;
  /** Stored klines outside the expected minutes that equal the simulator's (e.g. a halt's last minute). */
  extraButTrue: number;
  resampled: { interval: string; comparison: KlineComparison }[];
  barsChecked: number;
  ok: boolean;
}

function byOpenTime(a: Kline, b: Kline): number {
  return a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.openTime - b.openTime;
}

/** Compare the store with the simulator for open times in [range.from, range.to). */
export async function checkAgainstSimulator(sim: Simulator, store: KlineStore, range: TimeRange): Promise<SimCheck> {
  // A market whose symbol breaks the rule is refused at discovery: its minutes are rejected, and
  // one of its klines in the store would be unexpected.
  const refusedReasons = new Map<string, string>();
  for (const m of sim.markets()) {
    const problem = symbolProblem(m.symbol);
    if (problem !== undefined) refusedReasons.set(m.symbol, problem);
  }
  const refusedMinutes = new Map<string, number>();
  const expectedMinutes = sim.expectedMinutes(range.from, range.to - 1).filter((m) => {
    if (!refusedReasons.has(m.symbol)) return true;
    refusedMinutes.set(m.symbol, (refusedMinutes.get(m.symbol) ?? 0) + 1);
    return false;
  });
  const refused = [...refusedMinutes].map(([symbol, minutes]) => ({ symbol, reason: refusedReasons.get(symbol)!, minutes }));
  // The simulator is a spot exchange: its minutes are spot's unless it says otherwise.
  const expectedKeys = new Set(expectedMinutes.map((m) => klineKey({ marketType: 'spot', ...m })));
  const truthAll = new Map<string, Kline>();
  for (const m of sim.markets()) if (!refusedReasons.has(m.symbol)) for (const k of sim.truth(m.symbol, range.from, range.to - 1)) truthAll.set(klineKey(k), k);

  const stored = await store.read({ marketType: 'spot', interval: '1m', from: range.from, to: range.to });
  const storedKeys = new Set(stored.map(klineKey));
  const expected = [...expectedKeys].map((key) => truthAll.get(key)).filter((k): k is Kline => k !== undefined);
  const oneMinute = compareKlines(expected, stored);
  // Unexpected keys are not an error when they hold exactly what the exchange published.
  let extraButTrue = 0;
  const extra = stored.filter((k) => !expectedKeys.has(klineKey(k)));
  const extraCheck = compareKlines(extra.map((k) => truthAll.get(klineKey(k))).filter((k): k is Kline => k !== undefined), extra);
  extraButTrue = extraCheck.stored - extraCheck.differing - extraCheck.unexpected - extraCheck.duplicated;
  oneMinute.unexpected = extraCheck.unexpected;
  oneMinute.differing += extraCheck.differing;

  // The resampler saw exactly the stored 1m klines; when those are right they are the truth.
  const basis = [...truthAll.values()].filter((k) => storedKeys.has(klineKey(k)) || expectedKeys.has(klineKey(k))).sort(byOpenTime);
  const resampled: SimCheck['resampled'] = [];
  let barsChecked = 0;
  for (const interval of RESAMPLED_INTERVALS) {
    const ms = intervalMs(interval);
    const from = Math.ceil(range.from / ms) * ms;
    const to = Math.floor(range.to / ms) * ms;
    if (to <= from) continue;
    const truthBars = resample(basis.filter((k) => k.openTime >= from && k.openTime < to), interval);
    const storedBars = await store.read({ marketType: 'spot', interval, from, to });
    const comparison = compareKlines(truthBars, storedBars, true);
    barsChecked += comparison.expected;
    resampled.push({ interval, comparison });
  }
  const ok = isPerfect(oneMinute) && resampled.every((r) => isPerfect(r.comparison));
  return { range, refused, oneMinute, extraButTrue, resampled, barsChecked, ok };
}

export function formatSimCheck(c: SimCheck): string {
  const m = c.oneMinute;
  const badBars = c.resampled.reduce((n, r) => n + r.comparison.missing + r.comparison.differing + r.comparison.duplicated + r.comparison.unexpected, 0);
  return (
    `${c.ok ? 'VERIFIED' : 'MISMATCH'}: expected ${m.expected}, stored ${m.stored}, missing ${m.missing}, ` +
    `duplicated ${m.duplicated}, differing ${m.differing}; resampled bars checked ${c.barsChecked}, wrong ${badBars}` +
    ` (open times ${new Date(c.range.from).toISOString()} – ${new Date(c.range.to).toISOString()})` +
    c.refused.map((r) => `; rejected ${r.minutes} kline(s) of ${describeSymbol(r.symbol)}: ${r.reason}`).join('')
  );
}
