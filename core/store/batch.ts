/**
 * What both adapters do to a batch before writing it: refuse unsound klines (by index) and keep
 * only the last kline of each (marketType, symbol, openTime), so "the later kline wins" holds even when one
 * batch carries the same minute twice, and both adapters count `written` the same way.
 */
import { DECIMAL_FIELDS, KLINE_SOURCES, type Kline } from '../kline';
import { validateKline } from '../parse';
import type { StoredInterval } from '../interval';
import { MARKET_TYPES, isMarketStatus, isMarketType, type MarketStatusEvent } from '../market';
import type { UpsertFailure } from './port';
import { symbolProblem } from '../symbol';

/** Open times are stored as 13-digit ms (2001-09-09 .. 2286-11-20) so keys sort as text. */
export const MIN_STORED_TIME = 1_000_000_000_000;
export const MAX_STORED_TIME = 9_999_999_999_999;

/** Decimal128 holds 34 significant digits; more would be rounded, so such a value is refused. */
const MAX_SIGNIFICANT_DIGITS = 34;


export function significantDigits(decimal: string): number {
  const digits = decimal.replace('.', '').replace(/^0+/, '');
  return digits.length === 0 ? 1 : digits.length;
}

/** Why this kline must not be stored in `interval`, or undefined when it may. */
export function storeProblem(interval: StoredInterval, k: Kline): string | undefined {
  if (k === null || typeof k !== 'object') return 'not a kline';
  const invalid = validateKline(k);
  if (invalid !== undefined) return invalid;
  if (k.interval !== interval) return `a ${k.interval} kline cannot be stored as ${interval}`;
  if (k.openTime < MIN_STORED_TIME || k.openTime > MAX_STORED_TIME) {
    return `openTime ${k.openTime} is outside the storable years 2001..2286`;
  }
  for (const f of DECIMAL_FIELDS) {
    // Text of at most 35 characters (digits and one dot) cannot hold more than 34 digits.
    if (k[f].length > MAX_SIGNIFICANT_DIGITS + 1 && significantDigits(k[f]) > MAX_SIGNIFICANT_DIGITS) {
      return `${f} ${k[f]} has more than ${MAX_SIGNIFICANT_DIGITS} significant digits and cannot be stored exactly`;
    }
  }
  if (interval !== '1m' && k.sourceCount === undefined) return `a ${interval} kline needs sourceCount`;
  if (k.source !== undefined) {
    if (!(KLINE_SOURCES as readonly unknown[]).includes(k.source)) return `source ${JSON.stringify(k.source)} is not one of ${KLINE_SOURCES.join(', ')} (absent = stream)`;
    if (interval !== '1m') return 'source is recorded on 1m klines only';
  }
  return undefined;
}

export interface PreparedBatch {
  /** Indexes (into the batch) of the klines to write, in batch order; one per key, the last one. */
  accepted: number[];
  failures: UpsertFailure[];
  /** For an accepted index, the earlier sound klines of the same key it replaces (only if any). */
  replaced: Map<number, number[]>;
}

/**
 * True when every kline of the batch is one market's and open times ascend strictly (a dump's
 * batch, a REST page): no key can repeat, so prepareBatch needs no key map.
 */
function isOneMarketAscending(klines: readonly Kline[]): boolean {
  const first = klines[0];
  if (first === null || typeof first !== 'object') return false;
  const { marketType, symbol } = first;
  let previous = -Infinity;
  for (let i = 0; i < klines.length; i++) {
    const k = klines[i];
    if (k === null || typeof k !== 'object' || k.marketType !== marketType || k.symbol !== symbol || !(k.openTime > previous)) return false;
    previous = k.openTime;
  }
  return true;
}

/** Split a batch into the klines to write and the refused ones. */
export function prepareBatch(interval: StoredInterval, klines: readonly Kline[]): PreparedBatch {
  const failures: UpsertFailure[] = [];
  if (klines.length > 0 && isOneMarketAscending(klines)) {
    const accepted: number[] = [];
    for (let i = 0; i < klines.length; i++) {
      const problem = storeProblem(interval, klines[i]);
      if (problem === undefined) accepted.push(i);
      else failures.push({ index: i, reason: problem });
    }
    return { accepted, failures, replaced: new Map() };
  }
  const lastIndexByKey = new Map<string, number>();
  const replaced = new Map<number, number[]>();
  for (let i = 0; i < klines.length; i++) {
    const k = klines[i];
    const problem = storeProblem(interval, k);
    if (problem !== undefined) {
      failures.push({ index: i, reason: problem });
      continue;
    }
    const key = `${k.marketType}#${k.symbol}#${k.openTime}`;
    const previous = lastIndexByKey.get(key);
    if (previous !== undefined) {
      replaced.set(i, [...(replaced.get(previous) ?? []), previous]);
      replaced.delete(previous);
    }
    lastIndexByKey.set(key, i);
  }
  return { accepted: [...lastIndexByKey.values()].sort((a, b) => a - b), failures, replaced };
}

/** Why a market status event must not be recorded, or undefined when it may. */
export function marketEventProblem(e: MarketStatusEvent): string | undefined {
  if (e === null || typeof e !== 'object') return 'not a market status event';
  if (!isMarketType(e.marketType)) return `unknown market type ${JSON.stringify(e.marketType)} (expected ${MARKET_TYPES.join(', ')})`;
  const badSymbol = symbolProblem(e.symbol);
  if (badSymbol !== undefined) return badSymbol;
  if (!isMarketStatus(e.status)) return `unknown status ${JSON.stringify(e.status)}`;
  if (!Number.isSafeInteger(e.at) || e.at < 0) return `"at" is not a timestamp: ${JSON.stringify(e.at)}`;
  return undefined;
}

/**
 * The writer validates events one by one before they reach a store (core/write-batch.ts), so a
 * malformed event here is a bug: it throws.
 */
export function assertMarketEvents(events: readonly MarketStatusEvent[]): void {
  for (const e of events) {
    const problem = marketEventProblem(e);
    if (problem !== undefined) throw new TypeError(`not a market status event (${problem}): ${JSON.stringify(e)}`);
  }
}
