/**
 * One resampler run: which 5m/15m/30m/1h windows to (re)build from the stored 1m klines, and
 * building them with bounded memory and bounded work.
 *
 * Stateless on purpose (no watermark document): everything a run needs is in the klines.
 * - Recent: every window that has closed by `now − grace` within the last `lookback` (aligned
 *   down to the hour) is rebuilt on every run, so a late or backfilled minute lands in its bars
 *   on the next run. Rebuilding is an upsert of a pure function of the 1m klines: idempotent.
 * - Catch-up: before the recent range, over `catchUpHorizon`, a market is behind in an hour when
 *   it has more 1m klines there than its coarsest bars' `sourceCount`s add up to (no bar, or a
 *   bar built before minutes were backfilled). The oldest such hours are rebuilt, for the
 *   markets behind only, at most `catchUpMaxHoursPerRun` hours per run; after an outage the
 *   backlog drains over successive runs. When all is well this costs two queries.
 *   Fewer 1m klines than the bars count (1m retention expired) never triggers a rebuild, so bars
 *   outlive their 1m source. Keep the horizon shorter than the 1m retention.
 * - Older than the horizon: nothing automatic; `rebuildRange` (the resampler's on-demand
 *   `{from, to}` event) rebuilds any range.
 *
 * Bars of one market chunk are written finest first and the coarsest last, so a coarsest bar
 * that exists implies its finer bars were written from the same 1m data (the catch-up check
 * relies on it); a chunk whose finer write fails skips its coarser intervals.
 */
import { readPositiveInt, type Env } from './config';
import { intervalMs, RESAMPLED_INTERVALS, windowStart, type StoredInterval } from './interval';
import type { Kline } from './kline';
import { MARKET_TYPES, type MarketType } from './market';
import { resampleAll } from './resample';
import type { KlineStore, TimeRange } from './store/port';

export type ResampledInterval = (typeof RESAMPLED_INTERVALS)[number];

export const HOUR_MS = 3_600_000;

export interface ResampleOptions {
  /** Market types to resample, each in its own tables (default: all). */
  marketTypes: readonly MarketType[];
  /** Intervals to build, each dividing an hour. */
  intervals: readonly ResampledInterval[];
  /** A window counts as closed once `now − grace` has passed its end (late klines still arrive). */
  graceMs: number;
  /** Closed windows this far back (aligned down to the hour) are rebuilt on every run. */
  lookbackMs: number;
  /** How far before the recent range catch-up looks for missing or stale bars (whole hours). */
  catchUpHorizonMs: number;
  /** At most this many hours are rebuilt by catch-up in one run. */
  catchUpMaxHoursPerRun: number;
  /** Markets read together; with `sliceMs` this bounds the klines held in memory. */
  marketsPerChunk: number;
  /** Length of one read (whole hours). */
  sliceMs: number;
  /** Upper bound of an on-demand rebuild, so one invocation fits the Lambda timeout. */
  maxRebuildMs: number;
}

export const DEFAULT_RESAMPLE_OPTIONS: ResampleOptions = {
  marketTypes: MARKET_TYPES,
  intervals: RESAMPLED_INTERVALS,
  graceMs: 30_000,
  lookbackMs: 2 * HOUR_MS,
  catchUpHorizonMs: 12 * HOUR_MS,
  catchUpMaxHoursPerRun: 6,
  marketsPerChunk: 200,
  sliceMs: 2 * HOUR_MS,
  maxRebuildMs: 24 * HOUR_MS,
};

/** Options from the environment; each setting's default is in DEFAULT_RESAMPLE_OPTIONS. */
export function readResampleOptions(env: Env = process.env): ResampleOptions {
  const d = DEFAULT_RESAMPLE_OPTIONS;
  return {
    ...d,
    graceMs: readPositiveInt(env, 'RESAMPLE_GRACE_SECONDS', d.graceMs / 1000) * 1000,
    lookbackMs: readPositiveInt(env, 'RESAMPLE_LOOKBACK_MINUTES', d.lookbackMs / 60_000) * 60_000,
    catchUpHorizonMs: readPositiveInt(env, 'RESAMPLE_CATCHUP_HORIZON_HOURS', d.catchUpHorizonMs / HOUR_MS) * HOUR_MS,
    catchUpMaxHoursPerRun: readPositiveInt(env, 'RESAMPLE_CATCHUP_HOURS_PER_RUN', d.catchUpMaxHoursPerRun),
    marketsPerChunk: readPositiveInt(env, 'RESAMPLE_MARKETS_PER_CHUNK', d.marketsPerChunk),
  };
}

export interface IntervalCounts {
  /** Bars built from the 1m klines read. */
  computed: number;
  /** Bars inserted or changed. */
  written: number;
  /** Bars the store refused. */
  failed: number;
}

export interface ResampleRunResult {
  /** The range rebuilt in full: the recent range of a scheduled run, or the on-demand range. */
  range: TimeRange;
  /** Hours rebuilt by catch-up, per market type oldest first, with the markets that were behind. */
  catchUp: { marketType: MarketType; range: TimeRange; markets: number }[];
  /** Market chunks read, over all ranges. */
  chunks: number;
  /** 1m klines read. */
  klinesRead: number;
  byInterval: Record<string, IntervalCounts>;
  /** Totals over all intervals. */
  barsComputed: number;
  barsWritten: number;
  barsFailed: number;
}

// ---------------------------------------------------------------- planning (pure)

export interface ResamplePlan {
  /** Windows whose end is at or before this time are closed (aligned to the finest interval). */
  closedEnd: number;
  /** Closed windows in [recent.from, recent.to) are rebuilt every run. */
  recent: TimeRange;
  /** Where catch-up looks: the whole hours before the recent range. */
  catchUpHorizon: TimeRange;
}

export function checkOptions(options: ResampleOptions): void {
  if (options.intervals.length === 0) throw new RangeError('resampling needs at least one interval');
  if (options.marketTypes.length === 0) throw new RangeError('resampling needs at least one market type');
  for (const interval of options.intervals) {
    if (HOUR_MS % intervalMs(interval) !== 0) throw new RangeError(`interval ${interval} does not divide an hour`);
  }
  for (const [name, value] of [
    ['catchUpHorizonMs', options.catchUpHorizonMs],
    ['sliceMs', options.sliceMs],
  ] as const) {
    if (!(value > 0) || value % HOUR_MS !== 0) throw new RangeError(`${name} must be a positive number of whole hours`);
  }
  if (!(options.marketsPerChunk > 0)) throw new RangeError('marketsPerChunk must be positive');
}

function finestMs(intervals: readonly ResampledInterval[]): number {
  return Math.min(...intervals.map(intervalMs));
}

function coarsest(intervals: readonly ResampledInterval[]): ResampledInterval {
  return [...intervals].sort((a, b) => intervalMs(b) - intervalMs(a))[0];
}

/** Which ranges a run at `nowMs` covers. */
export function planResampleCycle(nowMs: number, options: ResampleOptions = DEFAULT_RESAMPLE_OPTIONS): ResamplePlan {
  checkOptions(options);
  const finest = finestMs(options.intervals);
  const cutoff = nowMs - options.graceMs;
  const closedEnd = cutoff - (((cutoff % finest) + finest) % finest);
  const recentFrom = windowStart(closedEnd - options.lookbackMs, '1h');
  return {
    closedEnd,
    recent: { from: recentFrom, to: closedEnd },
    catchUpHorizon: { from: recentFrom - options.catchUpHorizonMs, to: recentFrom },
  };
}

/** Split [from, to) at multiples of `sliceMs` (from must be hour-aligned). */
export function timeSlices(range: TimeRange, sliceMs: number): TimeRange[] {
  const slices: TimeRange[] = [];
  for (let from = range.from; from < range.to; from += sliceMs) slices.push({ from, to: Math.min(from + sliceMs, range.to) });
  return slices;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Markets whose stored 1m klines outnumber the minutes their bars were built from: bars are
 * missing or were built before more minutes arrived. Bars without `sourceCount` count as full.
 */
export function marketsBehind(oneMinuteCounts: ReadonlyMap<string, number>, bars: readonly Kline[]): string[] {
  const covered = new Map<string, number>();
  for (const bar of bars) {
    const minutes = bar.sourceCount ?? intervalMs(bar.interval) / 60_000;
    covered.set(bar.symbol, (covered.get(bar.symbol) ?? 0) + minutes);
  }
  const behind: string[] = [];
  for (const [symbol, count] of oneMinuteCounts) if (count > (covered.get(symbol) ?? 0)) behind.push(symbol);
  return behind.sort();
}

// ---------------------------------------------------------------- building

function emptyResult(range: TimeRange): ResampleRunResult {
  return { range, catchUp: [], chunks: 0, klinesRead: 0, byInterval: {}, barsComputed: 0, barsWritten: 0, barsFailed: 0 };
}

function addCounts(result: ResampleRunResult, interval: string, computed: number, written: number, failed: number): void {
  const c = (result.byInterval[interval] ??= { computed: 0, written: 0, failed: 0 });
  c.computed += computed;
  c.written += written;
  c.failed += failed;
  result.barsComputed += computed;
  result.barsWritten += written;
  result.barsFailed += failed;
}

/**
 * Build and upsert every window of `options.intervals` that lies inside `range` (from aligned to
 * the hour, to aligned to the finest interval), for the given markets of one type or every
 * market of that type with 1m klines in the range. Reads `marketsPerChunk` markets × `sliceMs`
 * at a time.
 */
async function buildRange(
  store: KlineStore,
  marketType: MarketType,
  range: TimeRange,
  options: ResampleOptions,
  result: ResampleRunResult,
  symbols?: readonly string[],
): Promise<void> {
  const ordered = [...options.intervals].sort((a, b) => intervalMs(a) - intervalMs(b));
  for (const slice of timeSlices(range, options.sliceMs)) {
    const markets = symbols ?? [...(await store.countByMarket(marketType, '1m', slice)).keys()].sort();
    for (const chunk of chunks(markets, options.marketsPerChunk)) {
      const oneMinute = await store.read({ marketType, interval: '1m', symbols: chunk, from: slice.from, to: slice.to });
      result.chunks += 1;
      result.klinesRead += oneMinute.length;
      if (oneMinute.length === 0) continue;
      const built = resampleAll(oneMinute, ordered);
      for (const interval of ordered) {
        const ms = intervalMs(interval);
        // Only windows that end inside the slice: a window cut by the slice end is not closed yet.
        const bars = (built.get(interval) ?? []).filter((bar) => bar.openTime + ms <= slice.to);
        if (bars.length === 0) continue;
        const { written, failures } = await store.upsert(interval as StoredInterval, bars);
        addCounts(result, interval, bars.length, written, failures.length);
        if (failures.length > 0) break;
      }
    }
  }
}

/**
 * Catch-up over the horizon, for one market type: the oldest hours in which some market is
 * behind, rebuilt for those markets only, at most `catchUpMaxHoursPerRun` hours per run (over
 * all types).
 */
async function catchUp(
  store: KlineStore,
  marketType: MarketType,
  horizon: TimeRange,
  options: ResampleOptions,
  result: ResampleRunResult,
): Promise<void> {
  if (horizon.to <= horizon.from) return;
  const check = coarsest(options.intervals);
  const counts = await store.countByMarket(marketType, '1m', horizon);
  if (counts.size === 0) return;
  const bars = await store.read({ marketType, interval: check, from: horizon.from, to: horizon.to });
  const behind = new Set(marketsBehind(counts, bars));
  if (behind.size === 0) return;

  const barsByHour = new Map<number, Kline[]>();
  for (const bar of bars) {
    const hour = windowStart(bar.openTime, '1h');
    const list = barsByHour.get(hour);
    if (list) list.push(bar);
    else barsByHour.set(hour, [bar]);
  }
  for (let hour = horizon.from; hour < horizon.to && result.catchUp.length < options.catchUpMaxHoursPerRun; hour += HOUR_MS) {
    const range = { from: hour, to: hour + HOUR_MS };
    const hourCounts = await store.countByMarket(marketType, '1m', range);
    const markets = marketsBehind(hourCounts, barsByHour.get(hour) ?? []).filter((s) => behind.has(s));
    if (markets.length === 0) continue;
    await buildRange(store, marketType, range, options, result, markets);
    result.catchUp.push({ marketType, range, markets: markets.length });
  }
}

/** One scheduled run at `nowMs`: the recent closed windows, then bounded catch-up. */
export async function runResampleCycle(
  store: KlineStore,
  nowMs: number,
  options: ResampleOptions = DEFAULT_RESAMPLE_OPTIONS,
): Promise<ResampleRunResult> {
  const plan = planResampleCycle(nowMs, options);
  const result = emptyResult(plan.recent);
  for (const marketType of options.marketTypes) await buildRange(store, marketType, plan.recent, options, result);
  for (const marketType of options.marketTypes) await catchUp(store, marketType, plan.catchUpHorizon, options, result);
  return result;
}

/**
 * Rebuild every closed window in a range on demand (e.g. after an outage longer than the
 * catch-up horizon). The range is widened to whole hours and clipped to what has closed.
 */
export async function rebuildRange(
  store: KlineStore,
  range: TimeRange,
  nowMs: number,
  options: ResampleOptions = DEFAULT_RESAMPLE_OPTIONS,
): Promise<ResampleRunResult> {
  const plan = planResampleCycle(nowMs, options);
  const from = windowStart(range.from, '1h');
  const hourEnd = windowStart(range.to + HOUR_MS - 1, '1h');
  const to = Math.min(hourEnd, plan.closedEnd);
  if (!(range.to > range.from)) throw new RangeError('rebuild range: "to" must be after "from"');
  if (hourEnd - from > options.maxRebuildMs) {
    throw new RangeError(`rebuild range spans ${(hourEnd - from) / HOUR_MS} h; at most ${options.maxRebuildMs / HOUR_MS} h per invocation, split it`);
  }
  const result = emptyResult({ from, to: Math.max(from, to) });
  if (to > from) for (const marketType of options.marketTypes) await buildRange(store, marketType, { from, to }, options, result);
  return result;
}
