/**
 * Exactly-once bookkeeping per market, and gap detection.
 *
 * Each market has a watermark: every minute at or before it is settled (forwarded, or confirmed
 * by a complete REST answer not to exist). Minutes forwarded past the watermark (out of order,
 * or after a hole) are kept in a small set until the watermark catches up. A kline is forwarded
 * only if its minute is past the watermark and not in that set, so duplicates, replays from
 * overlapping connections and late closes of already-forwarded minutes are all dropped, while a
 * late close of a minute not yet forwarded still goes through.
 *
 * Which minutes are "due" is decided by exchange time (frames' `E`, `/api/v3/time`), never by the
 * local clock, because Binance's (and the simulator's) clock is what closes a minute.
 */
import { MINUTE_MS } from '../core/interval';

export interface MarketTrack {
  /** Open time of the last settled minute; the next expected minute is watermark + 1 min. */
  watermark: number;
  /** Forwarded minutes after the watermark. */
  above: Set<number>;
  /** Highest minute forwarded (for lag). */
  lastForwarded: number | undefined;
  /** False while halted/delisted: minutes after `until` are not expected. */
  active: boolean;
  /** Open time of the first minute no longer expected while inactive. */
  until: number;
}

export interface Gap {
  symbol: string;
  /** Open time of the first missing minute. */
  from: number;
  /** Open time of the last minute that is due (inclusive). Minutes already forwarded inside are skipped on arrival. */
  to: number;
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export class Sequencer {
  private readonly markets = new Map<string, MarketTrack>();

  get size(): number {
    return this.markets.size;
  }

  has(symbol: string): boolean {
    return this.markets.has(symbol);
  }

  get(symbol: string): Readonly<MarketTrack> | undefined {
    return this.markets.get(symbol);
  }

  symbols(): IterableIterator<string> {
    return this.markets.keys();
  }

  /** Start expecting a market's minutes from `firstOpenTime` on (no-op if already tracked). */
  track(symbol: string, firstOpenTime: number): void {
    if (this.markets.has(symbol)) return;
    this.markets.set(symbol, { watermark: minuteOf(firstOpenTime) - MINUTE_MS, above: new Set(), lastForwarded: undefined, active: true, until: Infinity });
  }

  untrack(symbol: string): void {
    this.markets.delete(symbol);
  }

  /** A market stops (halt, delisting) at exchange time `at`: its minutes from the next one on are not expected. */
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

  /** True if the minute should be forwarded now (and records it as forwarded). */
  accept(symbol: string, openTime: number): boolean {
    const m = this.markets.get(symbol);
    if (!m || openTime <= m.watermark || openTime % MINUTE_MS !== 0) return false;
    if (m.above.size === 0 && openTime === m.watermark + MINUTE_MS) {
      m.watermark = openTime;
    } else {
      if (m.above.has(openTime)) return false;
      m.above.add(openTime);
      this.advance(m);
    }
    if (m.lastForwarded === undefined || openTime > m.lastForwarded) m.lastForwarded = openTime;
    return true;
  }

  /** A complete REST answer covered every minute up to `openTime`: nothing before it is missing any more. */
  settleThrough(symbol: string, openTime: number): void {
    const m = this.markets.get(symbol);
    if (!m || openTime <= m.watermark) return;
    m.watermark = minuteOf(openTime);
    for (const t of m.above) if (t <= m.watermark) m.above.delete(t);
    this.advance(m);
  }

  private advance(m: MarketTrack): void {
    while (m.above.size > 0 && m.above.has(m.watermark + MINUTE_MS)) {
      m.watermark += MINUTE_MS;
      m.above.delete(m.watermark);
    }
  }

  /**
   * The missing range of a market, if any minute after its watermark is due: a minute is due when
   * it closed before `dueBefore` (exchange time minus a grace for late closes) and is still expected.
   */
  gapOf(symbol: string, dueBefore: number): Gap | undefined {
    const m = this.markets.get(symbol);
    if (!m) return undefined;
    const lastDue = Math.min(minuteOf(dueBefore) - MINUTE_MS, m.until - MINUTE_MS);
    const from = m.watermark + MINUTE_MS;
    if (from > lastDue) return undefined;
    // If every due minute is already forwarded, there is nothing to fetch.
    let allForwarded = true;
    for (let t = from; t <= lastDue && allForwarded; t += MINUTE_MS) if (!m.above.has(t)) allForwarded = false;
    if (allForwarded) return undefined;
    return { symbol, from, to: lastDue };
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

  /** The oldest watermark over markets still expected (for "caught up to" and lag). */
  oldestWatermark(): number | undefined {
    let oldest: number | undefined;
    for (const m of this.markets.values()) {
      if (!m.active && m.watermark >= m.until - MINUTE_MS) continue;
      if (oldest === undefined || m.watermark < oldest) oldest = m.watermark;
    }
    return oldest;
  }

  /** Per-market watermarks (what a restart could resume from). */
  watermarks(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [s, m] of this.markets) out.set(s, m.watermark);
    return out;
  }
}
