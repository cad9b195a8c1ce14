/** Missing windows of one market, computed from its stored open times. Shared by both adapters. */
import { binanceIntervalMs, BINANCE_INTERVALS, windowScheme, type WindowScheme } from '../windows';
import type { TimeRange } from './port';

/**
 * The UTC windows of the Binance interval `stepMs` long (core/windows.ts: 1w opens on Mondays,
 * the others on multiples of their length from the epoch). Throws for a length no interval has.
 */
function schemeOf(stepMs: number): WindowScheme {
  const interval = BINANCE_INTERVALS.find((i) => i !== '1M' && binanceIntervalMs(i) === stepMs);
  if (interval === undefined) throw new RangeError(`no kline interval is ${stepMs} ms long`);
  return windowScheme(interval);
}

/** First open time at or after `time` of the windows `stepMs` long (1w: Mondays 00:00 UTC). */
export function alignUp(time: number, stepMs: number): number {
  const scheme = schemeOf(stepMs);
  const start = scheme.start(time);
  return start === time ? time : scheme.next(start);
}

/**
 * The windows of `range` with no stored kline, as merged half-open ranges of open times.
 * Expected open times are the window open times (core/windows.ts) in [range.from, range.to).
 * `openTimes` must be ascending; duplicates, unaligned and out-of-range values are ignored.
 */
export function gapsFromOpenTimes(openTimes: Iterable<number>, range: TimeRange, stepMs: number): TimeRange[] {
  const scheme = schemeOf(stepMs);
  const first = alignUp(range.from, stepMs);
  const end = alignUp(range.to, stepMs);
  const gaps: TimeRange[] = [];
  let expected = first;
  for (const t of openTimes) {
    if (t >= end) break;
    if (t < expected || scheme.start(t) !== t) continue;
    if (t > expected) gaps.push({ from: expected, to: t });
    expected = t + stepMs;
  }
  if (expected < end) gaps.push({ from: expected, to: end });
  return gaps;
}
