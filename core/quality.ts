/**
 * Data-quality statistics for a time window: what was expected (from the market status
 * history), what is stored (per-market counts and gaps, as the KlineStore port gives them) and
 * how the two compare. Pure functions; rendering lives in `core/report/`.
 *
 * Rules (the README repeats them for users):
 * - A minute is identified by its open time; the window holds the minutes whose open time is in
 *   [from, to), so an unaligned window is widened/narrowed to those minutes (`alignToMinutes`).
 * - A minute is expected when the market's recorded status at the minute's open time is TRADING:
 *   a TRADING period observed from `start` to `end` expects the minutes whose open time is in
 *   [start, end). A market first seen TRADING at 10:00:20 is expected from 10:01; one halted at
 *   10:05:40 is expected up to and including the 10:05 minute (it traded when that minute opened).
 *   Any other status (BREAK, HALT, END_OF_DAY, CANCEL_ONLY, DELISTED) stops the expectation;
 *   before its first recorded event a market's status is unknown, so nothing is expected.
 * - A market with stored klines but no status history at all (e.g. loaded with `cli import`) is
 *   expected from its first stored minute in the window to the window's end, so a capture that
 *   stopped still shows as missing. Its `expectation` is 'first-kline' so readers can tell.
 * - Klines stored outside the expected minutes count as captured, never as expected; availability
 *   counts only expected minutes that are present, so it never exceeds 100 %.
 * - Each market type (spot, USDⓈ-M, COIN-M) is its own set of figures: `BTCUSDT` spot and
 *   `BTCUSDT` USDⓈ-M are two markets. `combineSummaries` adds the types up for a headline.
 */
import type { MarketStatusEvent, MarketType } from './market';
import { MARKET_TYPES, isCapturedStatus } from './market';
import type { TimeRange } from './store/port';
import { MINUTE_MS } from './interval';

export const HOUR_MS = 3_600_000;

/** How a market's expected minutes were decided. */
export type Expectation = 'status-history' | 'first-kline';

/** Completeness of one UTC hour (clipped to the window) of one market. */
export interface HourCompleteness {
  /** Start of the hour (ms); the first and last hour may be clipped by the window. */
  start: number;
  /** Minutes of this hour the market was expected to have. 0 = not expected. */
  expected: number;
  /** Expected minutes that are stored. */
  present: number;
}

export interface MarketQuality {
  marketType: MarketType;
  symbol: string;
  expectation: Expectation;
  /** Minutes the market was expected to have in the window. */
  expected: number;
  /** 1m klines stored in the window, including any outside the expected minutes. */
  captured: number;
  /** Expected minutes that are stored (≤ expected, ≤ captured). */
  present: number;
  /** expected − present. */
  missing: number;
  /** present / expected in [0, 1], or null when nothing was expected. */
  availability: number | null;
  /** Missing expected minutes as half-open open-time ranges, ordered. */
  gaps: TimeRange[];
  /** Length of the longest gap in minutes (0 without gaps). */
  largestGapMinutes: number;
  /** One entry per UTC hour touching the window, in order. */
  hours: HourCompleteness[];
}

export interface QualitySummary {
  /** The window, aligned to minutes. */
  range: TimeRange;
  /** Markets in the report: expected in the window or with ≥ 1 kline stored in it. */
  marketsReported: number;
  /** Markets with ≥ 1 kline stored in the window. */
  marketsCaptured: number;
  /** Markets with ≥ 1 expected minute. */
  marketsExpected: number;
  /** Markets with every expected minute present (and ≥ 1 expected). */
  marketsComplete: number;
  /** 1m klines stored in the window (all markets, including outside trading periods). */
  datapointsCaptured: number;
  datapointsExpected: number;
  /** Expected minutes that are stored. */
  datapointsPresent: number;
  /** Stored klines that were not expected (outside trading periods / before the history starts). */
  datapointsUnexpected: number;
  missingMinutes: number;
  gapCount: number;
  /** datapointsPresent / datapointsExpected, or null when nothing was expected. */
  availability: number | null;
  /** datapointsCaptured by where the klines came from (absent when not counted: `withSources`). */
  bySource?: DatapointSources;
}

/** Stored 1m klines by provenance: the live stream, REST backfill, Binance's dumps. */
export interface DatapointSources {
  stream: number;
  rest: number;
  dump: number;
}

/**
 * The summary with its captured klines split by source, from the REST and dump counts per symbol
 * (`KlineStore.countBySource`): stream is the rest of datapointsCaptured. Never below 0: a 1h bar
 * of unknown provenance counts its hour as complete, which may be more than the 1m klines stored.
 */
export function withSources(summary: QualitySummary, nonStream: ReadonlyMap<string, { rest: number; dump: number }>): QualitySummary {
  let rest = 0;
  let dump = 0;
  for (const c of nonStream.values()) {
    rest += c.rest;
    dump += c.dump;
  }
  return { ...summary, bySource: { stream: Math.max(0, summary.datapointsCaptured - rest - dump), rest, dump } };
}

export interface QualityFigures {
  /** The market type these figures are about. */
  marketType: MarketType;
  summary: QualitySummary;
  /** Ordered worst first: lowest availability, then most missing, then symbol; null availability last. */
  markets: MarketQuality[];
}

export interface QualityInput {
  /** The market type the figures are for; `counts` and `gaps` are of this type. */
  marketType: MarketType;
  range: TimeRange;
  /** Status changes (any order; ties keep their given order); events of other market types are ignored. */
  history: readonly MarketStatusEvent[];
  /** 1m klines stored per symbol in the window (symbols with none may be absent). */
  counts: ReadonlyMap<string, number>;
  /** Missing open-time ranges per symbol in the window (port `gaps`); absent = no data = whole window. */
  gaps: ReadonlyMap<string, readonly TimeRange[]>;
}

// ---------------------------------------------------------------------------------------------
// Minute ranges

const floorMinute = (t: number): number => Math.floor(t / MINUTE_MS) * MINUTE_MS;
const ceilMinute = (t: number): number => Math.ceil(t / MINUTE_MS) * MINUTE_MS;

/** The minutes whose open time lies in [from, to), as a minute-aligned range (empty when from ≥ to). */
export function alignToMinutes(range: TimeRange): TimeRange {
  const from = ceilMinute(range.from);
  const to = Math.max(from, ceilMinute(range.to));
  return { from, to };
}

export function minutesIn(ranges: readonly TimeRange[]): number {
  let ms = 0;
  for (const r of ranges) ms += r.to - r.from;
  return Math.round(ms / MINUTE_MS);
}

/** Sorted, merged, non-empty ranges. */
export function normalizeRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges.filter((r) => r.to > r.from).sort((a, b) => a.from - b.from || a.to - b.to);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ from: r.from, to: r.to });
  }
  return out;
}

/** Intersection of two normalized range lists. */
export function intersectRanges(a: readonly TimeRange[], b: readonly TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const from = Math.max(a[i].from, b[j].from);
    const to = Math.min(a[i].to, b[j].to);
    if (from < to) out.push({ from, to });
    if (a[i].to < b[j].to) i++;
    else j++;
  }
  return out;
}

/** `ranges` minus `holes` (both normalized). */
export function subtractRanges(ranges: readonly TimeRange[], holes: readonly TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  let j = 0;
  for (const r of ranges) {
    let from = r.from;
    while (j < holes.length && holes[j].to <= from) j++;
    let k = j;
    while (k < holes.length && holes[k].from < r.to) {
      if (holes[k].from > from) out.push({ from, to: holes[k].from });
      from = Math.max(from, holes[k].to);
      k++;
    }
    if (from < r.to) out.push({ from, to: r.to });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expectation

/**
 * Expected minutes per market within `range` (minute-aligned), from the status history.
 * Markets whose history never overlaps the window with TRADING map to an empty list; markets
 * without any history are absent.
 */
export function expectedPeriods(history: readonly MarketStatusEvent[], range: TimeRange): Map<string, TimeRange[]> {
  const bySymbol = new Map<string, MarketStatusEvent[]>();
  for (const e of history) {
    const list = bySymbol.get(e.symbol);
    if (list) list.push(e);
    else bySymbol.set(e.symbol, [e]);
  }
  const window = [range];
  const out = new Map<string, TimeRange[]>();
  for (const [symbol, events] of bySymbol) {
    const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i);
    const periods: TimeRange[] = [];
    let tradingSince: number | undefined;
    for (const { e } of ordered) {
      if (isCapturedStatus(e.status)) {
        if (tradingSince === undefined) tradingSince = e.at;
      } else if (tradingSince !== undefined) {
        periods.push({ from: ceilMinute(tradingSince), to: ceilMinute(e.at) });
        tradingSince = undefined;
      }
    }
    if (tradingSince !== undefined) periods.push({ from: ceilMinute(tradingSince), to: Math.max(range.to, ceilMinute(tradingSince)) });
    out.set(symbol, intersectRanges(normalizeRanges(periods), window));
  }
  return out;
}

/** The markets a report covers: every market expected in the window, plus every market with data in it. */
export function reportedSymbols(periods: ReadonlyMap<string, readonly TimeRange[]>, counts: ReadonlyMap<string, number>): string[] {
  const symbols = new Set<string>();
  for (const [symbol, list] of periods) if (list.length > 0) symbols.add(symbol);
  for (const [symbol, n] of counts) if (n > 0) symbols.add(symbol);
  return [...symbols].sort(compareSymbols);
}

/** Code-point order, stable across locales. */
export function compareSymbols(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Start of each UTC hour touching the window. */
export function hourStarts(range: TimeRange): number[] {
  const starts: number[] = [];
  for (let h = Math.floor(range.from / HOUR_MS) * HOUR_MS; h < range.to; h += HOUR_MS) starts.push(h);
  return starts;
}

/** Adds the minutes of `ranges` (normalized, inside the hours) to each hour's tally. */
function tallyByHour(ranges: readonly TimeRange[], firstHour: number, tally: number[]): void {
  for (const r of ranges) {
    let from = r.from;
    while (from < r.to) {
      const index = Math.floor((from - firstHour) / HOUR_MS);
      const to = Math.min(r.to, firstHour + (index + 1) * HOUR_MS);
      tally[index] += Math.round((to - from) / MINUTE_MS);
      from = to;
    }
  }
}

/** Stored-data gaps of one market, clipped to the window and aligned to whole minutes. */
function storedGaps(gaps: readonly TimeRange[] | undefined, window: TimeRange): TimeRange[] {
  if (gaps === undefined) return [window];
  const aligned = gaps.map((g) => ({ from: floorMinute(g.from), to: ceilMinute(g.to) }));
  return intersectRanges(normalizeRanges(aligned), [window]);
}

function marketFigures(
  marketType: MarketType,
  symbol: string,
  window: TimeRange,
  periods: readonly TimeRange[] | undefined,
  captured: number,
  gaps: readonly TimeRange[] | undefined,
  hours: readonly number[],
): MarketQuality {
  const holes = storedGaps(gaps, window);
  let expectation: Expectation = 'status-history';
  let expectedRanges: TimeRange[];
  if (periods !== undefined) {
    expectedRanges = [...periods];
  } else {
    expectation = 'first-kline';
    const stored = subtractRanges([window], holes);
    expectedRanges = stored.length > 0 ? [{ from: stored[0].from, to: window.to }] : [];
  }
  const missingRanges = intersectRanges(expectedRanges, holes);
  const expected = minutesIn(expectedRanges);
  const missing = minutesIn(missingRanges);
  const present = Math.min(expected - missing, captured);

  const hourExpected = hours.map(() => 0);
  const hourMissing = hours.map(() => 0);
  if (hours.length > 0) {
    tallyByHour(expectedRanges, hours[0], hourExpected);
    tallyByHour(missingRanges, hours[0], hourMissing);
  }
  return {
    marketType,
    symbol,
    expectation,
    expected,
    captured,
    present,
    missing: expected - present,
    availability: expected > 0 ? present / expected : null,
    gaps: missingRanges,
    largestGapMinutes: missingRanges.reduce((max, g) => Math.max(max, minutesIn([g])), 0),
    hours: hours.map((start, i) => ({ start, expected: hourExpected[i], present: hourExpected[i] - hourMissing[i] })),
  };
}

/** Worst first: lowest availability, then most missing minutes, then symbol; nothing-expected last. */
export function compareWorstFirst(a: MarketQuality, b: MarketQuality): number {
  if (a.availability === null || b.availability === null) {
    if (a.availability !== b.availability) return a.availability === null ? 1 : -1;
  } else if (a.availability !== b.availability) {
    return a.availability - b.availability;
  }
  return b.missing - a.missing || compareSymbols(a.symbol, b.symbol);
}

/** All report figures for a window. */
export function computeQuality(input: QualityInput): QualityFigures {
  const window = alignToMinutes(input.range);
  const { marketType } = input;
  const periods = expectedPeriods(
    input.history.filter((e) => e.marketType === marketType),
    window,
  );
  const hours = hourStarts(window);
  const markets = reportedSymbols(periods, input.counts)
    .map((symbol) => marketFigures(marketType, symbol, window, periods.get(symbol), input.counts.get(symbol) ?? 0, input.gaps.get(symbol), hours))
    .sort(compareWorstFirst);

  const summary: QualitySummary = { ...emptySummary(window), marketsReported: markets.length };
  for (const m of markets) {
    if (m.captured > 0) summary.marketsCaptured++;
    if (m.expected > 0) summary.marketsExpected++;
    if (m.expected > 0 && m.missing === 0) summary.marketsComplete++;
    summary.datapointsCaptured += m.captured;
    summary.datapointsExpected += m.expected;
    summary.datapointsPresent += m.present;
    summary.datapointsUnexpected += m.captured - m.present;
    summary.missingMinutes += m.missing;
    summary.gapCount += m.gaps.length;
  }
  summary.availability = summary.datapointsExpected > 0 ? summary.datapointsPresent / summary.datapointsExpected : null;
  return { marketType, summary, markets };
}

/** A summary of nothing over `range`: every count 0, availability unknown. */
function emptySummary(range: TimeRange): QualitySummary {
  return {
    range,
    marketsReported: 0,
    marketsCaptured: 0,
    marketsExpected: 0,
    marketsComplete: 0,
    datapointsCaptured: 0,
    datapointsExpected: 0,
    datapointsPresent: 0,
    datapointsUnexpected: 0,
    missingMinutes: 0,
    gapCount: 0,
    availability: null,
  };
}

/** The summaries of several market types over one window, added up. */
export function combineSummaries(range: TimeRange, summaries: readonly QualitySummary[]): QualitySummary {
  const total = emptySummary(alignToMinutes(range));
  for (const s of summaries) {
    total.marketsReported += s.marketsReported;
    total.marketsCaptured += s.marketsCaptured;
    total.marketsExpected += s.marketsExpected;
    total.marketsComplete += s.marketsComplete;
    total.datapointsCaptured += s.datapointsCaptured;
    total.datapointsExpected += s.datapointsExpected;
    total.datapointsPresent += s.datapointsPresent;
    total.datapointsUnexpected += s.datapointsUnexpected;
    total.missingMinutes += s.missingMinutes;
    total.gapCount += s.gapCount;
  }
  if (summaries.length > 0 && summaries.every((s) => s.bySource)) {
    total.bySource = { stream: 0, rest: 0, dump: 0 };
    for (const s of summaries) for (const k of ['stream', 'rest', 'dump'] as const) total.bySource[k] += s.bySource![k];
  }
  total.availability = total.datapointsExpected > 0 ? total.datapointsPresent / total.datapointsExpected : null;
  return total;
}

/**
 * The market types a report covers unless told: spot (whose klines may have been imported
 * without any status history) and every type with a recorded status event, in MARKET_TYPES
 * order. A futures type with klines but no history is reported only when named: finding out
 * would mean counting its whole window, which the bounded reads avoid.
 */
export function reportedMarketTypes(history: readonly MarketStatusEvent[]): MarketType[] {
  const present = new Set<MarketType>(['spot']);
  for (const e of history) present.add(e.marketType);
  return MARKET_TYPES.filter((t) => present.has(t));
}

// ---------------------------------------------------------------------------------------------
// Bounded reads: completeness per hour from the 1h bars' sourceCount, minutes only where needed

/** Per market, for each hour of `hourStarts(window)`: the 1h bar's sourceCount + 1 (0 = no bar). */
export type HourBars = Map<string, Uint8Array>;

/** sourceCount as stored in `HourBars` (capped, so 60 stays distinguishable from "no bar"). */
export function encodeSourceCount(sourceCount: number | undefined): number {
  // A bar without sourceCount (round 1) is of unknown completeness: as good as no bar.
  return sourceCount === undefined ? 0 : Math.min(sourceCount, 254) + 1;
}

export interface HourPlanInput {
  /** The window, minute-aligned. */
  window: TimeRange;
  /** Expected periods per market (`expectedPeriods`); a market absent here has no history. */
  periods: ReadonlyMap<string, readonly TimeRange[]>;
  bars: HourBars;
  /** Hours (merged, inside the window) in which no market has a 1h bar yet: nothing is known there without reading minutes. */
  unresampled: readonly TimeRange[];
  /** 1m klines per market in the unresampled hours. */
  unresampledCounts: ReadonlyMap<string, number>;
}

type HourVerdict = { kind: 'full' } | { kind: 'read' } | { kind: 'skip'; sourceCount: number };

/** Calls `visit` for every market of the report and every hour of the window with what to do there. */
function visitHours(input: HourPlanInput, visit: (symbol: string, hour: TimeRange, verdict: HourVerdict) => void): void {
  const { window, periods, bars, unresampled, unresampledCounts } = input;
  const hours = hourStarts(window);
  if (hours.length === 0) return;
  const symbols = new Set<string>();
  for (const [symbol, list] of periods) if (list.length > 0) symbols.add(symbol);
  for (const symbol of bars.keys()) symbols.add(symbol);
  for (const [symbol, n] of unresampledCounts) if (n > 0) symbols.add(symbol);
  const isUnresampled = hours.map((h) => unresampled.some((r) => r.from < h + HOUR_MS && r.to > h));
  for (const symbol of symbols) {
    const marketPeriods = periods.get(symbol);
    const expected = hours.map(() => 0);
    if (marketPeriods) tallyByHour(marketPeriods, hours[0], expected);
    const counts = bars.get(symbol);
    const inUnresampled = (unresampledCounts.get(symbol) ?? 0) > 0;
    let seenData = false;
    hours.forEach((start, i) => {
      const hour = { from: Math.max(start, window.from), to: Math.min(start + HOUR_MS, window.to) };
      const sourceCount = (counts?.[i] ?? 0) - 1;
      let verdict: HourVerdict;
      if (isUnresampled[i]) {
        verdict = expected[i] > 0 || inUnresampled ? { kind: 'read' } : { kind: 'skip', sourceCount: 0 };
      } else if (sourceCount >= HOUR_MS / MINUTE_MS) {
        verdict = { kind: 'full' };
      } else if (expected[i] > 0) {
        verdict = { kind: 'read' };
      } else if (marketPeriods === undefined && (seenData || sourceCount > 0)) {
        // No history: expected from its first stored minute on, so every later hour counts.
        verdict = { kind: 'read' };
      } else if (sourceCount > 0 && hour.to - hour.from < HOUR_MS) {
        verdict = { kind: 'read' };
      } else {
        verdict = { kind: 'skip', sourceCount: Math.max(0, sourceCount) };
      }
      if (sourceCount > 0 || verdict.kind === 'full' || (isUnresampled[i] && inUnresampled)) seenData = true;
      visit(symbol, hour, verdict);
    });
  }
}

/** Per market, the ranges whose 1m open times must be read (hours incomplete or without a bar, where it matters). */
export function planMinuteReads(input: HourPlanInput): Map<string, TimeRange[]> {
  const reads = new Map<string, TimeRange[]>();
  visitHours(input, (symbol, hour, verdict) => {
    if (verdict.kind !== 'read') return;
    const list = reads.get(symbol);
    const last = list?.[list.length - 1];
    if (last && last.to === hour.from) last.to = hour.to;
    else if (list) list.push({ ...hour });
    else reads.set(symbol, [{ ...hour }]);
  });
  return reads;
}

/**
 * `counts` and `gaps` for `computeQuality` from the hour bars and the gaps found where minutes
 * were read (`readGaps`, per market, inside the planned reads). Hours skipped hold no expected
 * minute: they count their bar's sourceCount as captured and are holes for the gap arithmetic.
 */
export function qualityInputFromHours(input: HourPlanInput, readGaps: ReadonlyMap<string, readonly TimeRange[]>): Pick<QualityInput, 'counts' | 'gaps'> {
  const counts = new Map<string, number>();
  const gaps = new Map<string, TimeRange[]>();
  visitHours(input, (symbol, hour, verdict) => {
    let holes: TimeRange[];
    let captured: number;
    if (verdict.kind === 'full') {
      holes = [];
      captured = minutesIn([hour]);
    } else if (verdict.kind === 'read') {
      const found = readGaps.get(symbol);
      holes = found === undefined ? [hour] : intersectRanges(normalizeRanges([...found]), [hour]);
      captured = minutesIn([hour]) - minutesIn(holes);
    } else {
      holes = [hour];
      captured = verdict.sourceCount;
    }
    counts.set(symbol, (counts.get(symbol) ?? 0) + captured);
    const list = gaps.get(symbol) ?? [];
    for (const h of holes) {
      const last = list[list.length - 1];
      if (last && last.to === h.from) last.to = h.to;
      else list.push({ ...h });
    }
    gaps.set(symbol, list);
  });
  for (const [symbol, n] of counts) if (n === 0) counts.delete(symbol);
  return { counts, gaps };
}
