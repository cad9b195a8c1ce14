/**
 * Why a minute is missing from our archive:
 * - capture-loss: Binance has the kline (its dump does); repaired from the dump, or still missing;
 * - no-kline-at-exchange: neither the dump nor REST has it while the market was listed (a halt,
 *   a break, a maintenance hour): the exchange's own gap, not ours;
 * - outside-life: before the market's listing or after its delisting / delivery.
 */
import type { MarketStatusEvent } from '../market';
import type { TimeRange } from '../store/port';

export const GAP_CLASSES = ['capture-loss', 'no-kline-at-exchange', 'outside-life'] as const;
export type GapClass = (typeof GAP_CLASSES)[number];

export interface ClassifiedGap extends TimeRange {
  class: GapClass;
  /** capture-loss only: filled from the dump by this audit. */
  repaired?: boolean;
  /** no-kline-at-exchange only: REST was not asked (cap, failure, or no REST): the dump's word alone. */
  unverified?: true;
}

const ENDS_LIFE = new Set(['DELISTED', 'DELIVERED', 'CLOSE', 'SETTLING']);
const MINUTE = 60_000;

/**
 * The periods a market was listed, from its status history (first event = listing, an ending
 * status = delisting or delivery, a later event = listed again). No history: always listed.
 */
export function lifePeriods(history: readonly MarketStatusEvent[]): TimeRange[] {
  if (history.length === 0) return [{ from: -Infinity, to: Infinity }];
  const out: TimeRange[] = [];
  let start: number | undefined;
  for (const e of [...history].sort((a, b) => a.at - b.at)) {
    const ends = ENDS_LIFE.has(e.status);
    if (start === undefined && !ends) start = e.at;
    else if (start !== undefined && ends) {
      out.push({ from: start, to: e.at });
      start = undefined;
    }
  }
  if (start !== undefined) out.push({ from: start, to: Infinity });
  return out;
}

function within(t: number, periods: readonly TimeRange[]): boolean {
  return periods.some((p) => t >= p.from && t < p.to);
}

/**
 * Classify every minute of `range` that is not in `ours`, merged into ranges. `exchange` holds
 * the open times Binance produced (its dump, plus REST where asked); `repaired` those we filled.
 */
export function classifyMissing(
  range: TimeRange,
  ours: ReadonlySet<number>,
  exchange: ReadonlySet<number>,
  life: readonly TimeRange[],
  repaired: ReadonlySet<number> = new Set(),
  unverified: ReadonlySet<number> = new Set(),
): ClassifiedGap[] {
  const out: ClassifiedGap[] = [];
  for (let t = Math.ceil(range.from / MINUTE) * MINUTE; t < range.to; t += MINUTE) {
    if (ours.has(t)) continue;
    const cls: GapClass = exchange.has(t) ? 'capture-loss' : within(t, life) ? 'no-kline-at-exchange' : 'outside-life';
    const fixed = cls === 'capture-loss' ? repaired.has(t) : undefined;
    const unsure = cls === 'no-kline-at-exchange' && unverified.has(t) ? true : undefined;
    const last = out[out.length - 1];
    if (last && last.to === t && last.class === cls && last.repaired === fixed && last.unverified === unsure) last.to = t + MINUTE;
    else out.push({ from: t, to: t + MINUTE, class: cls, ...(fixed === undefined ? {} : { repaired: fixed }), ...(unsure ? { unverified: unsure } : {}) });
  }
  return out;
}

/** Minutes per class (repaired capture losses apart). */
export function gapMinutes(gaps: readonly ClassifiedGap[]): Record<GapClass | 'repaired', number> {
  const out = { 'capture-loss': 0, 'no-kline-at-exchange': 0, 'outside-life': 0, repaired: 0 };
  for (const g of gaps) {
    const n = (g.to - g.from) / MINUTE;
    out[g.class] += n;
    if (g.repaired) out.repaired += n;
  }
  return out;
}
