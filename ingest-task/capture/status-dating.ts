/**
 * Dates market status changes by the klines, not by when a refresh noticed them.
 *
 * exchangeInfo says what a market's status is, never since when. The quality report expects a
 * minute when it opens while the recorded status is TRADING, so an event dated at the refresh
 * that noticed it would expect minutes that never traded (a halt noticed late) or miss minutes
 * that did (a listing noticed late). The klines tell the real time, once the market's backfill
 * has covered the refresh:
 * - a stop (TRADING → anything else, or gone) noticed at R is dated at the open of the first
 *   minute without a kline: last kline's open time + 1 min, kept within [previous refresh, R];
 * - a start (listing, or return to TRADING) noticed at R is dated at the first kline at or after
 *   the previous refresh P's minute, or at R when there is none;
 * - other changes (e.g. BREAK → HALT) change nothing expected and are dated at R.
 * An event waits until its market is settled through R's minute; events of one market leave in
 * the order they were noticed, never dated before the previous one.
 */
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import type { MarketStatus, MarketStatusEvent, MarketType } from '../../core/market';
import { minuteOf } from './sequencer';

export type StatusChangeKind = 'start' | 'stop' | 'other';

export interface NoticedChange {
  symbol: string;
  status: MarketStatus;
  kind: StatusChangeKind;
  /** Exchange time of the refresh that noticed the change. */
  noticedAt: number;
  /** Exchange time of the refresh before it (the change happened after it). */
  previousAt: number;
  /** Open time of the market's last kline known when noticed (stops). */
  lastKline?: number;
}

interface Pending extends NoticedChange {
  /** First kline in [minute of previousAt, minute of noticedAt] (starts). */
  firstKline?: number;
}

/** What the dater needs to know about a market's progress. */
export interface SettledProgress {
  /** Every minute at or before this open time is forwarded or known not to exist; undefined = not tracked. */
  watermarkOf(symbol: string): number | undefined;
}

/** The date an event gets once its market is settled through the minute that noticed it. Pure. */
export function dateChange(c: NoticedChange & { firstKline?: number }): number {
  if (c.kind === 'start') return c.firstKline ?? c.noticedAt;
  if (c.kind === 'stop') {
    const stoppedAt = c.lastKline === undefined ? c.previousAt : c.lastKline + MINUTE_MS;
    return Math.min(c.noticedAt, Math.max(c.previousAt, stoppedAt));
  }
  return c.noticedAt;
}

export class StatusDater {
  private readonly pending = new Map<string, Pending[]>();
  private readonly lastDated = new Map<string, number>();

  /** `marketType`: the venue whose markets this dater dates (events carry it). */
  constructor(private readonly marketType: MarketType) {}

  /** Changes waiting for their market's backfill. */
  get size(): number {
    let n = 0;
    for (const q of this.pending.values()) n += q.length;
    return n;
  }

  /** The earliest `previousAt` of the changes waiting (their status is known only up to then), or undefined. */
  earliestWaiting(): number | undefined {
    let t: number | undefined;
    for (const q of this.pending.values()) for (const p of q) if (t === undefined || p.previousAt < t) t = p.previousAt;
    return t;
  }

  notice(change: NoticedChange): void {
    const q = this.pending.get(change.symbol);
    if (q) q.push({ ...change });
    else this.pending.set(change.symbol, [{ ...change }]);
  }

  /** Every kline forwarded, in the order forwarded: first and last klines around each change. */
  observe(klines: readonly Kline[]): void {
    if (this.pending.size === 0) return;
    for (const k of klines) {
      const q = this.pending.get(k.symbol);
      if (!q) continue;
      for (const p of q) {
        if (k.openTime > minuteOf(p.noticedAt)) continue;
        if (p.kind === 'stop' && (p.lastKline === undefined || k.openTime > p.lastKline)) p.lastKline = k.openTime;
        if (p.kind === 'start' && k.openTime >= minuteOf(p.previousAt) && (p.firstKline === undefined || k.openTime < p.firstKline)) p.firstKline = k.openTime;
      }
    }
  }

  /**
   * Events whose market is settled through the minute that noticed them (all of them with
   * `force`, e.g. at stop: dated with what is known), in order per market.
   */
  release(progress: SettledProgress, force = false): MarketStatusEvent[] {
    const out: MarketStatusEvent[] = [];
    for (const [symbol, q] of this.pending) {
      while (q.length > 0) {
        const head = q[0];
        const watermark = progress.watermarkOf(symbol);
        const settled = head.kind === 'other' || watermark === undefined || watermark >= minuteOf(head.noticedAt);
        if (!settled && !force) break;
        q.shift();
        const at = Math.max(dateChange(head), this.lastDated.get(symbol) ?? -Infinity);
        this.lastDated.set(symbol, at);
        out.push({ marketType: this.marketType, symbol, status: head.status, at });
      }
      if (q.length === 0) this.pending.delete(symbol);
    }
    return out;
  }

  /** An event dated at once (first discovery): later ones are never dated before it. */
  dated(event: MarketStatusEvent): void {
    this.lastDated.set(event.symbol, Math.max(event.at, this.lastDated.get(event.symbol) ?? -Infinity));
  }
}
