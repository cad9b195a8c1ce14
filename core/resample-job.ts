/**
 * Incremental resampling (docs/data-model.md, "Incremental resampling"): a run's work is
 * proportional to what changed since the previous run, never to a lookback window.
 *
 * A run, per market type:
 * 1. Reads the watermarks (`resample_state`) and the oldest entries of the change log
 *   (`resample_log`, appended by every `upsert('1m')`) before it reads any kline.
 * 2. Late minutes: log runs behind the 5m watermark touched windows that were already built.
 *   Those 5m windows are rebuilt from their 1m klines, then their parents level by level
 *   (15m from 5m, …) where the parent's level has passed them too; a parent ahead of its
 *   watermark is left to the sweep. Runs ahead of the watermark are dropped: the sweep will read
 *   those minutes. At most `maxLateWindowsPerRun` market-windows per run; the rest are carried
 *   over to the next run as new log runs.
 * 3. Sweep: level by level, the windows that closed since the level's watermark
 *   (`windowEnd ≤ now − grace`, and for a coarser level `windowEnd ≤` the watermark of the
 *   level below), at most `maxSweepMs` per level; each 1m kline is read once, when its 5m
 *   window closes. The watermark advances after the bars are written.
 * 4. Deletes the consumed log entries (after the bars are written: a crash re-does work, never
 *   loses it).
 *
 * Writes: only bars that differ from the stored ones, and never a bar built from fewer 1m
 * klines than the stored one (a range whose 1m klines the TTL expired keeps its complete bars)
 * unless a rebuild asks for it (`allowFewer`).
 */
import { readPositiveInt, type Env } from './config';
import { compareDecimal } from './decimal';
import { intervalMs, MINUTE_MS, STORED_RESAMPLED_INTERVALS, windowStart, type StoredInterval } from './interval';
import { DECIMAL_FIELDS, type Kline } from './kline';
import { MARKET_TYPES, type MarketType } from './market';
import { resample } from './resample';
import type { KlineStore, MinuteRun, ResampleWatermark, TimeRange } from './store/port';

export type ResampledInterval = (typeof STORED_RESAMPLED_INTERVALS)[number];

export const HOUR_MS = 3_600_000;

export interface ResampleOptions {
  /** Levels to build, finest first after sorting; each from the previous one (the first from 1m). */
  intervals: readonly ResampledInterval[];
  marketTypes: readonly MarketType[];
  /** A window counts as closed once `now − grace` has passed its end (late klines still arrive). */
  graceMs: number;
  /**
   * A level without a watermark starts this far back, aligned down to the coarsest level's window
   * (a Monday with 1w), so every level's first window is built from complete finer bars.
   */
  initialLookbackMs: number;
  /**
   * At most this span with data is swept per level in one run (spans without any kline cost one
   * empty read each and do not count); after an outage the backlog drains over runs.
   */
  maxSweepMs: number;
  /** Length of one sweep read (bounds the klines held in memory). */
  sliceMs: number;
  /** Markets read together when rebuilding late windows. */
  marketsPerChunk: number;
  /** Change-log entries read per run. */
  logEntriesPerRun: number;
  /** At most this many late 5m market-windows are rebuilt per run; the rest are carried over. */
  maxLateWindowsPerRun: number;
  /** Upper bound of an on-demand rebuild, so one invocation fits the Lambda timeout. */
  maxRebuildMs: number;
}

export const DEFAULT_RESAMPLE_OPTIONS: ResampleOptions = {
  intervals: STORED_RESAMPLED_INTERVALS,
  marketTypes: MARKET_TYPES,
  graceMs: 30_000,
  initialLookbackMs: 2 * HOUR_MS,
  maxSweepMs: 6 * HOUR_MS,
  sliceMs: HOUR_MS,
  marketsPerChunk: 200,
  logEntriesPerRun: 2_000,
  maxLateWindowsPerRun: 50_000,
  maxRebuildMs: 24 * HOUR_MS,
};

/** Options from the environment; each setting's default is in DEFAULT_RESAMPLE_OPTIONS. */
export function readResampleOptions(env: Env = process.env): ResampleOptions {
  const d = DEFAULT_RESAMPLE_OPTIONS;
  return {
    ...d,
    graceMs: readPositiveInt(env, 'RESAMPLE_GRACE_SECONDS', d.graceMs / 1000) * 1000,
    initialLookbackMs: readPositiveInt(env, 'RESAMPLE_INITIAL_LOOKBACK_MINUTES', d.initialLookbackMs / MINUTE_MS) * MINUTE_MS,
    maxSweepMs: readPositiveInt(env, 'RESAMPLE_MAX_SWEEP_HOURS', d.maxSweepMs / HOUR_MS) * HOUR_MS,
    marketsPerChunk: readPositiveInt(env, 'RESAMPLE_MARKETS_PER_CHUNK', d.marketsPerChunk),
    maxLateWindowsPerRun: readPositiveInt(env, 'RESAMPLE_MAX_LATE_WINDOWS', d.maxLateWindowsPerRun),
  };
}

export interface IntervalCounts {
  /** Bars built. */
  computed: number;
  /** Bars inserted or changed. */
  written: number;
  /** Bars the store refused. */
  failed: number;
  /** Stored bars kept because the rebuilt one had fewer 1m klines. */
  keptFewer: number;
}

export interface ResampleRunResult {
  /** Watermarks after the run. */
  watermarks: ResampleWatermark[];
  /** Longest time between a level's watermark and its closed end after the run (0 = caught up). */
  behindMs: number;
  /** Change-log entries consumed. */
  logEntries: number;
  /** Late 5m market-windows rebuilt from the log. */
  lateWindows: number;
  /** Log runs carried over to the next run (over the per-run budget). */
  carried: number;
  /** 1m klines read. */
  klinesRead: number;
  /** Resampled bars read (sources of coarser levels and the stored bars compared against). */
  barsRead: number;
  byInterval: Record<string, IntervalCounts>;
  barsComputed: number;
  barsWritten: number;
  barsFailed: number;
  barsKeptFewer: number;
}

export function checkOptions(options: ResampleOptions): void {
  if (options.intervals.length === 0) throw new RangeError('resampling needs at least one interval');
  const levels = orderedLevels(options.intervals);
  let below = MINUTE_MS;
  for (const level of levels) {
    const ms = intervalMs(level);
    if (ms <= below || ms % below !== 0) throw new RangeError(`interval ${level} is not a multiple of the level below it`);
    below = ms;
  }
  if (options.marketTypes.length === 0) throw new RangeError('resampling needs at least one market type');
  for (const [name, value] of [
    ['sliceMs', options.sliceMs],
    ['maxSweepMs', options.maxSweepMs],
    ['initialLookbackMs', options.initialLookbackMs],
    ['marketsPerChunk', options.marketsPerChunk],
    ['logEntriesPerRun', options.logEntriesPerRun],
    ['maxLateWindowsPerRun', options.maxLateWindowsPerRun],
  ] as const) {
    if (!(Number.isInteger(value) && value > 0)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

export function orderedLevels(intervals: readonly ResampledInterval[]): ResampledInterval[] {
  return [...new Set(intervals)].sort((a, b) => intervalMs(a) - intervalMs(b));
}

// ---------------------------------------------------------------- pure helpers

const alignDown = (t: number, interval: string): number => windowStart(t, interval);
const alignUp = (t: number, interval: string): number => {
  const down = windowStart(t, interval);
  return down === t ? t : down + intervalMs(interval);
};

/**
 * Where each level stands: its stored watermark; for a store's first run, one starting point for
 * every level (aligned to the coarsest level); for a level added later, a lookback before the
 * watermark of the level below, aligned to its own windows (built from the finer bars stored).
 * `fresh` lists the levels whose watermark was not stored (the caller stores them at once).
 */
export function initialWatermarks(
  stored: readonly ResampleWatermark[],
  marketType: MarketType,
  nowMs: number,
  options: ResampleOptions,
): Map<string, number> & { fresh?: string[] } {
  const levels = orderedLevels(options.intervals);
  const start = alignDown(nowMs - options.graceMs - options.initialLookbackMs, levels[levels.length - 1]);
  const out: Map<string, number> & { fresh?: string[] } = new Map();
  const fresh: string[] = [];
  let below: number | undefined;
  for (const level of levels) {
    const w = stored.find((s) => s.marketType === marketType && s.interval === level);
    let watermark: number;
    if (w) watermark = w.watermark;
    else {
      watermark = below === undefined || !stored.some((s) => s.marketType === marketType) ? start : alignDown(below - options.initialLookbackMs, level);
      fresh.push(level);
    }
    out.set(level, watermark);
    below = watermark;
  }
  if (fresh.length > 0) out.fresh = fresh;
  return out;
}

/**
 * The windows of a level that have closed since its watermark: [watermark, end), or undefined
 * when none has. The run sweeps them a slice at a time within its `maxSweepMs` budget.
 */
export function sweepSpan(level: string, below: string, watermarks: ReadonlyMap<string, number>, nowMs: number, options: ResampleOptions): TimeRange | undefined {
  const from = watermarks.get(level)!;
  let to = alignDown(nowMs - options.graceMs, level);
  if (below !== '1m') to = Math.min(to, alignDown(watermarks.get(below)!, level));
  return to > from ? { from, to } : undefined;
}

function mergeRanges(ranges: TimeRange[]): TimeRange[] {
  ranges.sort((a, b) => a.from - b.from);
  const out: TimeRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/** Windows of `interval` covering `ranges` (per market), merged. */
export function coveringWindows(bySymbol: ReadonlyMap<string, TimeRange[]>, interval: string, limit = Infinity): Map<string, TimeRange[]> {
  const out = new Map<string, TimeRange[]>();
  for (const [symbol, ranges] of bySymbol) {
    const covered = mergeRanges(ranges.map((r) => ({ from: alignDown(r.from, interval), to: alignUp(r.to, interval) }))).map((r) => ({
      from: r.from,
      to: Math.min(r.to, Math.max(r.from, limit)),
    }));
    const kept = covered.filter((r) => r.to > r.from);
    if (kept.length > 0) out.set(symbol, kept);
  }
  return out;
}

function sameDecimal(a: string, b: string): boolean {
  return a === b || compareDecimal(a, b) === 0;
}

/** True when a stored bar already holds what was built. */
export function sameBar(a: Kline, b: Kline): boolean {
  if (a.closeTime !== b.closeTime || a.trades !== b.trades || a.sourceCount !== b.sourceCount) return false;
  return DECIMAL_FIELDS.every((f) => sameDecimal(a[f], b[f]));
}

/**
 * Of the bars built, those to write: new, or different from the stored bar and built from at
 * least as many 1m klines (any number with `allowFewer`).
 */
export function barsToWrite(built: readonly Kline[], stored: readonly Kline[], allowFewer: boolean): { write: Kline[]; keptFewer: number } {
  const existing = new Map<string, Kline>();
  for (const s of stored) existing.set(`${s.symbol}|${s.openTime}`, s);
  const write: Kline[] = [];
  let keptFewer = 0;
  for (const b of built) {
    const s = existing.get(`${b.symbol}|${b.openTime}`);
    if (s === undefined) write.push(b);
    else if (sameBar(b, s)) continue;
    else if (!allowFewer && (s.sourceCount ?? intervalMs(s.interval) / MINUTE_MS) > (b.sourceCount ?? 0)) keptFewer++;
    else write.push(b);
  }
  return { write, keptFewer };
}

/**
 * Log runs of one market type split at the 5m watermark: the late part (behind it), as
 * ranges per symbol. The part ahead of the watermark is left to the sweep.
 */
export function lateRanges(runs: readonly MinuteRun[], marketType: MarketType, watermark5m: number): Map<string, TimeRange[]> {
  const out = new Map<string, TimeRange[]>();
  for (const r of runs) {
    if (r.marketType !== marketType || r.from >= watermark5m) continue;
    const range = { from: r.from, to: Math.min(r.to, watermark5m) };
    const list = out.get(r.symbol);
    if (list) list.push(range);
    else out.set(r.symbol, [range]);
  }
  return out;
}

// ---------------------------------------------------------------- the run

function emptyResult(): ResampleRunResult {
  return {
    watermarks: [],
    behindMs: 0,
    logEntries: 0,
    lateWindows: 0,
    carried: 0,
    klinesRead: 0,
    barsRead: 0,
    byInterval: {},
    barsComputed: 0,
    barsWritten: 0,
    barsFailed: 0,
    barsKeptFewer: 0,
  };
}

interface Context {
  store: KlineStore;
  options: ResampleOptions;
  result: ResampleRunResult;
}

// The port reads one market type per call (docs/data-model.md).
async function readKlines(ctx: Context, marketType: MarketType, interval: string, range: TimeRange, symbols?: readonly string[]): Promise<Kline[]> {
  const klines = await ctx.store.read({ marketType, interval: interval as StoredInterval, from: range.from, to: range.to, symbols });
  if (interval === '1m') ctx.result.klinesRead += klines.length;
  else ctx.result.barsRead += klines.length;
  return klines;
}

function tagged(bars: readonly Kline[], marketType: MarketType): Kline[] {
  return bars.map((b) => Object.assign(b, { marketType }));
}

function counts(ctx: Context, interval: string): IntervalCounts {
  return (ctx.result.byInterval[interval] ??= { computed: 0, written: 0, failed: 0, keptFewer: 0 });
}

/**
 * Build `level` from `below` over the windows in `range` (aligned to `level`) for the given
 * markets (all markets with data when omitted), and write the bars that changed.
 */
async function buildWindows(
  ctx: Context,
  marketType: MarketType,
  level: string,
  below: string,
  range: TimeRange,
  symbols: readonly string[] | undefined,
  allowFewer: boolean,
): Promise<number> {
  const source = await readKlines(ctx, marketType, below, range, symbols);
  if (source.length === 0) return 0;
  const built = tagged(resample(source, level), marketType);
  const stored = await readKlines(ctx, marketType, level, range, symbols ?? [...new Set(built.map((b) => b.symbol))]);
  const { write, keptFewer } = barsToWrite(built, stored, allowFewer);
  const c = counts(ctx, level);
  c.computed += built.length;
  c.keptFewer += keptFewer;
  ctx.result.barsComputed += built.length;
  ctx.result.barsKeptFewer += keptFewer;
  if (write.length > 0) {
    const { written, failures } = await ctx.store.upsert(level as StoredInterval, write);
    c.written += written;
    c.failed += failures.length;
    ctx.result.barsWritten += written;
    ctx.result.barsFailed += failures.length;
  }
  return source.length;
}

/** Rebuild the given windows (per market, aligned to `level`), reading markets with the same range together. */
async function rebuildMarketWindows(ctx: Context, marketType: MarketType, level: string, below: string, windows: ReadonlyMap<string, TimeRange[]>): Promise<void> {
  const byRange = new Map<string, { range: TimeRange; symbols: string[] }>();
  for (const [symbol, ranges] of windows) {
    for (const range of ranges) {
      const key = `${range.from}-${range.to}`;
      const group = byRange.get(key);
      if (group) group.symbols.push(symbol);
      else byRange.set(key, { range, symbols: [symbol] });
    }
  }
  for (const { range, symbols } of byRange.values()) {
    symbols.sort();
    for (let i = 0; i < symbols.length; i += ctx.options.marketsPerChunk) {
      await buildWindows(ctx, marketType, level, below, range, symbols.slice(i, i + ctx.options.marketsPerChunk), false);
    }
  }
}

function windowCount(windows: ReadonlyMap<string, TimeRange[]>, ms: number): number {
  let n = 0;
  for (const ranges of windows.values()) for (const r of ranges) n += (r.to - r.from) / ms;
  return n;
}

/**
 * Late 5m windows within the run's budget, and the rest as log runs to carry over.
 * Markets are taken in symbol order; a market's ranges are cut at the budget.
 */
export function budgetWindows(
  windows: ReadonlyMap<string, TimeRange[]>,
  marketType: MarketType,
  windowMs: number,
  budget: number,
): { now: Map<string, TimeRange[]>; carried: MinuteRun[]; count: number } {
  const now = new Map<string, TimeRange[]>();
  const carried: MinuteRun[] = [];
  let left = budget;
  for (const symbol of [...windows.keys()].sort()) {
    for (const r of windows.get(symbol)!) {
      const n = (r.to - r.from) / windowMs;
      const take = Math.min(n, left);
      left -= take;
      if (take > 0) {
        const list = now.get(symbol) ?? [];
        list.push({ from: r.from, to: r.from + take * windowMs });
        now.set(symbol, list);
      }
      if (take < n) carried.push({ marketType, symbol, from: r.from + take * windowMs, to: r.to });
    }
  }
  return { now, carried, count: budget - left };
}

async function runMarketType(
  ctx: Context,
  marketType: MarketType,
  state: readonly ResampleWatermark[],
  logRuns: readonly MinuteRun[],
  nowMs: number,
  carried: MinuteRun[],
): Promise<void> {
  const levels = orderedLevels(ctx.options.intervals);
  const watermarks = initialWatermarks(state, marketType, nowMs, ctx.options);
  if (watermarks.fresh) await ctx.store.writeResampleState(watermarks.fresh.map((interval) => ({ marketType, interval, watermark: watermarks.get(interval)! })));

  // Late minutes first, so the sweep of a coarser level reads the rebuilt finer bars.
  const finest = levels[0];
  const late = coveringWindows(lateRanges(logRuns, marketType, watermarks.get(finest)!), finest);
  const { now, carried: over, count } = budgetWindows(late, marketType, intervalMs(finest), ctx.options.maxLateWindowsPerRun);
  carried.push(...over);
  ctx.result.lateWindows += count;
  let dirty: Map<string, TimeRange[]> = now;
  let below = '1m';
  for (const level of levels) {
    if (dirty.size === 0) break;
    // A parent whose level has not passed it yet is left to the sweep.
    const windows = level === finest ? dirty : coveringWindows(dirty, level, watermarks.get(level)!);
    await rebuildMarketWindows(ctx, marketType, level, below, windows);
    dirty = windows;
    below = level;
  }

  // Sweep, level by level; the watermark advances after each slice's bars are written.
  below = '1m';
  for (const level of levels) {
    const span = sweepSpan(level, below, watermarks, nowMs, ctx.options);
    if (span) {
      const ms = intervalMs(level);
      const step = Math.max(1, Math.floor(ctx.options.sliceMs / ms)) * ms;
      let budget = ctx.options.maxSweepMs;
      for (let from = span.from; from < span.to && budget > 0; from += step) {
        const slice = { from, to: Math.min(from + step, span.to) };
        if ((await buildWindows(ctx, marketType, level, below, slice, undefined, false)) > 0) budget -= slice.to - slice.from;
        watermarks.set(level, slice.to);
        await ctx.store.writeResampleState([{ marketType, interval: level, watermark: slice.to }]);
      }
    }
    below = level;
  }
  for (const level of levels) {
    const watermark = watermarks.get(level)!;
    ctx.result.watermarks.push({ marketType, interval: level, watermark });
    ctx.result.behindMs = Math.max(ctx.result.behindMs, alignDown(nowMs - ctx.options.graceMs, level) - watermark);
  }
}

/** One scheduled run at `nowMs` (see the file comment). */
export async function runResampleCycle(store: KlineStore, nowMs: number, options: ResampleOptions = DEFAULT_RESAMPLE_OPTIONS): Promise<ResampleRunResult> {
  checkOptions(options);
  const ctx: Context = { store, options, result: emptyResult() };
  const state = await store.readResampleState();
  const entries = await store.readResampleLog(options.logEntriesPerRun);
  const logRuns = entries.flatMap((e) => e.runs);
  const carried: MinuteRun[] = [];
  for (const marketType of options.marketTypes) await runMarketType(ctx, marketType, state, logRuns, nowMs, carried);
  // Runs of market types this run does not resample stay in the log.
  const types = new Set<string>(options.marketTypes);
  carried.push(...logRuns.filter((r) => !types.has(r.marketType)));
  if (entries.length > 0 || carried.length > 0) await store.settleResampleLog(entries.map((e) => e.id), carried);
  ctx.result.logEntries = entries.length;
  ctx.result.carried = carried.length;
  return ctx.result;
}

export interface RebuildOptions {
  /** Replace stored bars even by bars built from fewer 1m klines (e.g. after correcting bad minutes). */
  allowFewer?: boolean;
  marketTypes?: readonly MarketType[];
}

/**
 * Rebuild every closed window in a range on demand, level by level from the 1m klines. The
 * range is widened to whole hours; a coarser window that overlaps it (4h, 1d, 1w) is rebuilt
 * whole, from the finer bars rebuilt here and those stored around them.
 */
export async function rebuildRange(
  store: KlineStore,
  range: TimeRange,
  nowMs: number,
  options: ResampleOptions = DEFAULT_RESAMPLE_OPTIONS,
  rebuild: RebuildOptions = {},
): Promise<ResampleRunResult & { range: TimeRange }> {
  checkOptions(options);
  if (!(range.to > range.from)) throw new RangeError('rebuild range: "to" must be after "from"');
  const levels = orderedLevels(options.intervals);
  const from = alignDown(range.from, '1h');
  const end = alignUp(range.to, '1h');
  if (end - from > options.maxRebuildMs) {
    throw new RangeError(`rebuild range spans ${(end - from) / HOUR_MS} h; at most ${options.maxRebuildMs / HOUR_MS} h per invocation, split it`);
  }
  const ctx: Context = { store, options, result: emptyResult() };
  const closedEnd = nowMs - options.graceMs;
  for (const marketType of rebuild.marketTypes ?? options.marketTypes) {
    let below = '1m';
    for (const level of levels) {
      const to = Math.min(alignUp(end, level), alignDown(closedEnd, level));
      const ms = intervalMs(level);
      const step = Math.max(1, Math.floor(options.sliceMs / ms)) * ms;
      for (let t = alignDown(from, level); t < to; t += step) {
        await buildWindows(ctx, marketType, level, below, { from: t, to: Math.min(t + step, to) }, undefined, rebuild.allowFewer ?? false);
      }
      below = level;
    }
  }
  return { ...ctx.result, range: { from, to: Math.max(from, Math.min(end, alignDown(closedEnd, levels[0]))) } };
}
