/**
 * The resampler's bookkeeping kept by every store (docs/data-model.md, "Incremental resampling"):
 * - `resample_log`: what `upsert('1m', …)` wrote, as runs of consecutive minutes per market,
 *   one entry per batch. The resampler reads it to rebuild only the windows late or backfilled
 *   minutes touched, then deletes the entries it consumed.
 * - `resample_state`: one watermark per market type and resampled interval; every window that
 *   ends at or before it has been built.
 * Pure helpers shared by both adapters.
 */
import type { Kline } from '../kline';
import { MARKET_TYPES, type MarketType } from '../market';

const MINUTE_MS = 60_000;

/** 1m klines of one market with open times in [from, to), every minute of it written. */
export interface MinuteRun {
  marketType: MarketType;
  symbol: string;
  from: number;
  to: number;
}

/** One `upsert('1m')` batch's runs; `id` orders entries oldest first within a store. */
export interface ResampleLogEntry {
  id: string;
  runs: MinuteRun[];
}

/** Every window of `interval` for `marketType` that ends at or before `watermark` is built. */
export interface ResampleWatermark {
  marketType: MarketType;
  interval: string;
  watermark: number;
}

export function marketTypeOf(k: Kline): MarketType {
  // Round-1 klines carry no market type: they are spot.
  const t = (k as { marketType?: unknown }).marketType;
  return (MARKET_TYPES as readonly unknown[]).includes(t) ? (t as MarketType) : 'spot';
}

/**
 * The written klines (`indexes` into `klines`) as runs of consecutive minutes per market,
 * ordered by market type, symbol and time. Duplicates collapse.
 */
export function minuteRuns(klines: readonly Kline[], indexes: Iterable<number>): MinuteRun[] {
  const list = Array.isArray(indexes) ? (indexes as readonly number[]) : [...indexes];
  return oneMarketAscendingRuns(klines, list) ?? runsByMarket(klines, list);
}

/**
 * The runs of a batch of one market in ascending open times (a dump file, a REST page) in one
 * pass, without a key per kline; undefined for any other batch.
 */
function oneMarketAscendingRuns(klines: readonly Kline[], indexes: readonly number[]): MinuteRun[] | undefined {
  if (indexes.length === 0) return [];
  const first = klines[indexes[0]];
  const marketType = marketTypeOf(first);
  const symbol = first.symbol;
  const runs: MinuteRun[] = [];
  let run: MinuteRun | undefined;
  let previous = -Infinity;
  for (const i of indexes) {
    const k = klines[i];
    const t = k.openTime;
    if (k.symbol !== symbol || !(t > previous) || (k.marketType !== marketType && marketTypeOf(k) !== marketType)) return undefined;
    previous = t;
    if (run && t <= run.to) run.to = t + MINUTE_MS;
    else runs.push((run = { marketType, symbol, from: t, to: t + MINUTE_MS }));
  }
  return runs;
}

function runsByMarket(klines: readonly Kline[], indexes: readonly number[]): MinuteRun[] {
  const byMarket = new Map<string, { marketType: MarketType; symbol: string; times: number[] }>();
  for (const i of indexes) {
    const k = klines[i];
    const marketType = marketTypeOf(k);
    const key = `${marketType}:${k.symbol}`;
    let m = byMarket.get(key);
    if (!m) byMarket.set(key, (m = { marketType, symbol: k.symbol, times: [] }));
    m.times.push(k.openTime);
  }
  const runs: MinuteRun[] = [];
  for (const key of [...byMarket.keys()].sort()) {
    const { marketType, symbol, times } = byMarket.get(key)!;
    times.sort((a, b) => a - b);
    let run: MinuteRun | undefined;
    for (const t of times) {
      if (run && t <= run.to) run.to = Math.max(run.to, t + MINUTE_MS);
      else runs.push((run = { marketType, symbol, from: t, to: t + MINUTE_MS }));
    }
  }
  return runs;
}

/** Throws naming the bad field: the log is read back by the resampler, so only sound runs go in. */
export function assertRuns(runs: readonly MinuteRun[]): void {
  for (const r of runs) {
    if (!(MARKET_TYPES as readonly string[]).includes(r.marketType)) throw new RangeError(`resample log: unknown market type ${JSON.stringify(r.marketType)}`);
    if (typeof r.symbol !== 'string' || r.symbol === '') throw new RangeError('resample log: a run needs a symbol');
    if (!Number.isSafeInteger(r.from) || !Number.isSafeInteger(r.to) || r.to <= r.from || r.from % MINUTE_MS !== 0 || r.to % MINUTE_MS !== 0) {
      throw new RangeError(`resample log: run ${r.symbol} [${r.from}, ${r.to}) is not a whole number of minutes`);
    }
  }
}

export function assertWatermarks(watermarks: readonly ResampleWatermark[]): void {
  for (const w of watermarks) {
    if (!(MARKET_TYPES as readonly string[]).includes(w.marketType)) throw new RangeError(`resample state: unknown market type ${JSON.stringify(w.marketType)}`);
    if (!Number.isSafeInteger(w.watermark)) throw new RangeError(`resample state: watermark of ${w.marketType} ${w.interval} is not a time in ms`);
  }
}
