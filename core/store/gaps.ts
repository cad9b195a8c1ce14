/** Missing windows of one market, computed from its stored open times. Shared by both adapters. */
import type { TimeRange } from './port';

/** Smallest multiple of `step` (UTC epoch-aligned) at or after `time`. */
export function alignUp(time: number, step: number): number {
  return Math.ceil(time / step) * step;
}

/**
 * The windows of `range` with no stored kline, as merged half-open ranges of open times.
 * Expected open times are the multiples of `stepMs` in [range.from, range.to).
 * `openTimes` must be ascending; duplicates, unaligned and out-of-range values are ignored.
 */
export function gapsFromOpenTimes(openTimes: Iterable<number>, range: TimeRange, stepMs: number): TimeRange[] {
  const first = alignUp(range.from, stepMs);
  const end = alignUp(range.to, stepMs);
  const gaps: TimeRange[] = [];
  let expected = first;
  for (const t of openTimes) {
    if (t >= end) break;
    if (t < expected || t % stepMs !== 0) continue;
    if (t > expected) gaps.push({ from: expected, to: t });
    expected = t + stepMs;
  }
  if (expected < end) gaps.push({ from: expected, to: end });
  return gaps;
}
