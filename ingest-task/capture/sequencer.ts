/**
 * Exactly-once, in-order forwarding per market, and gap detection.
 *
 * Each market has a watermark: every minute at or before it is settled (forwarded, or shown by a
 * complete REST answer not to exist). A closed kline one minute after the watermark is released
 * at once (with any held ones that now follow it); a kline further ahead is held until the hole
 * before it is filled (stream or backfill) or settled. So duplicates, replays from overlapping
 * connections and late closes of settled minutes are dropped, a late close of a minute not yet
 * forwarded still goes through, and every market reaches the sink in minute order — the last
 * stored minute is then a safe place to resume from after a restart or a crash.
 *
 * A market holding more than `maxHeldPerMarket` klines (a hole REST cannot fill for a long time)
 * releases them out of order rather than growing memory; they stay recorded as forwarded.
 *
 * Which minutes are "due" is decided by exchange time (frames' `E`, `/api/v3/time`), never by the
 * local clock, because Binance's (and the simulator's) clock is what closes a minute.
 */
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';

export interface MarketTrack {
  /** Open time of the last settled minute; the next expected minute is watermark + 1 min. */
  watermark: number;
  /** Received, not yet forwarded (waiting for a hole before them). */
  held: Map<number, Kline>;
  /** Forwarded out of order after the watermark (only after a held overflow). */
  forwardedAhead: Set<number>;
  /** False while halted/delisted: minutes from `until` on are not expected. */
  active: boolean;
  until: number;
  /** Open time of the latest kline forwarded (or stored before a restart): the last minute known to exist. */
  lastKline: number | undefined;
}

export interface Gap {
  symbol: string;
  /** Open time of the first missing minute. */
  from: number;
  /** Open time of the last due minute (inclusive). */
  to: number;
}

function emit(m: MarketTrack, k: Kline, out: Kline[]): void {
  out.push(k);
  if (m.lastKline === undefined || k.openTime > m.lastKline) m.lastKline = k.openTime;
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export class Sequencer {
  private readonly markets = new Map<string, MarketTrack>();

  constructor(private readonly maxHeldPerMarket = 240) {}

  get size(): number {
    return this.markets.size;
  }

  has(symbol: string): boolean {
    return this.markets.has(symbol);
  }

  get(symbol: string): Readonly<MarketTrack> | undefined {
    return this.markets.get(symbol);
  }

  /**
   * Start expecting a market's minutes from `firstOpenTime` on (no-op if already tracked).
   * `lastKline`: the open time of its last stored kline, when resuming.
   */
  track(symbol: string, firstOpenTime: number, lastKline?: number): void {
    if (this.markets.has(symbol)) return;
    this.markets.set(symbol, { watermark: minuteOf(firstOpenTime) - MINUTE_MS, held: new Map(), forwardedAhead: new Set(), active: true, until: Infinity, lastKline });
  }

  /** Open time of the latest kline forwarded for the market (or stored before a restart). */
  lastKlineOf(symbol: string): number | undefined {
    return this.markets.get(symbol)?.lastKline;
  }

  /** Every minute at or before this open time is settled for the market. */
  watermarkOf(symbol: string): number | undefined {
    return this.markets.get(symbol)?.watermark;
  }

  untrack(symbol: string): void {
    this.markets.delete(symbol);
  }

  /** A market stops (halt, delisting) at exchange time `at`: minutes after that one are not expected. */
  deactivate(symbol: string, at: number): void {
    const m = this.markets.get(symbol);
    if (!m || !m.active) return;
    m.active = false;
    m.until = minuteOf(at) + MINUTE_MS;
  }

  activate(symbol: string): void {
    const m = this.markets.get(symbol);
    if (!m) return;
    m.active = true;
    m.until = Infinity;
  }

  isActive(symbol: string): boolean {
    return this.markets.get(symbol)?.active ?? false;
  }

  /**
   * Offer a closed kline. Klines to forward now (this one and/or held ones, in order) are pushed
   * to `out`. Returns false when the minute was already settled, held or forwarded.
   */
  offer(k: Kline, out: Kline[]): boolean {
    const m = this.markets.get(k.symbol);
    const t = k.openTime;
    if (!m || t <= m.watermark || t % MINUTE_MS !== 0) return false;
    if (t === m.watermark + MINUTE_MS) {
      m.watermark = t;
      emit(m, k, out);
      if (m.held.size > 0 || m.forwardedAhead.size > 0) this.drain(m, out);
      return true;
    }
    if (m.held.has(t) || m.forwardedAhead.has(t)) return false;
    m.held.set(t, k);
    if (m.held.size > this.maxHeldPerMarket) {
      for (const h of [...m.held.values()].sort((a, b) => a.openTime - b.openTime)) {
        emit(m, h, out);
        m.forwardedAhead.add(h.openTime);
      }
      m.held.clear();
    }
    return true;
  }

  /** A complete REST answer covered every minute up to `openTime`: release what waited, move on. */
  settleThrough(symbol: string, openTime: number, out: Kline[]): void {
    const m = this.markets.get(symbol);
    if (!m || openTime <= m.watermark) return;
    const through = minuteOf(openTime);
    const released = [...m.held.values()].filter((h) => h.openTime <= through).sort((a, b) => a.openTime - b.openTime);
    for (const h of released) {
      emit(m, h, out);
      m.held.delete(h.openTime);
    }
    for (const t of m.forwardedAhead) if (t <= through) m.forwardedAhead.delete(t);
    m.watermark = through;
    this.drain(m, out);
  }

  private drain(m: MarketTrack, out: Kline[]): void {
    for (;;) {
      const next = m.watermark + MINUTE_MS;
      const h = m.held.get(next);
      if (h) {
        emit(m, h, out);
        m.held.delete(next);
      } else if (!m.forwardedAhead.delete(next)) return;
      m.watermark = next;
    }
  }

  /**
   * The missing range of a market, if any: minutes after its watermark that closed before
   * `dueBefore` (exchange time minus a grace for late closes) and are still expected.
   */
  gapOf(symbol: string, dueBefore: number): Gap | undefined {
    const m = this.markets.get(symbol);
    if (!m) return undefined;
    const to = Math.min(minuteOf(dueBefore) - MINUTE_MS, m.until - MINUTE_MS);
    const from = m.watermark + MINUTE_MS;
    return from <= to ? { symbol, from, to } : undefined;
  }

  /** Every market with a due gap. */
  gaps(dueBefore: number): Gap[] {
    const out: Gap[] = [];
    for (const symbol of this.markets.keys()) {
      const g = this.gapOf(symbol, dueBefore);
      if (g) out.push(g);
    }
    return out;
  }

  /** The oldest watermark over markets still expected: every expected minute ≤ it is settled. */
  caughtUpTo(): number | undefined {
    let oldest: number | undefined;
    for (const m of this.markets.values()) {
      if (!m.active && m.watermark >= m.until - MINUTE_MS) continue;
      if (oldest === undefined || m.watermark < oldest) oldest = m.watermark;
    }
    return oldest;
  }

  /** Klines received but held behind a hole (dropped at stop: a restart fetches them again). */
  heldCount(): number {
    let n = 0;
    for (const m of this.markets.values()) n += m.held.size;
    return n;
  }
}
