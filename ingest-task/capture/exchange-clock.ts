/**
 * The exchange's time as far as we know it: the latest server time or plausible event time (`E`)
 * seen. It is a lower bound of the exchange's real "now", which is what deciding "this minute has
 * closed" needs. The local clock is never used for that: the simulator's clock runs faster, and
 * Binance's may differ from ours.
 *
 * Frames are not trusted on their own: one frame with `E` in the year 2100 would otherwise make
 * every minute up to 2100 look closed (and "missing" once the backfill finds nothing). A frame's
 * time is accepted only within a bound set by trusted time: the last server time (`/api/v3/time`,
 * exchangeInfo) or accepted frames, plus what the exchange clock can have advanced since at its
 * observed rate (the simulator runs faster than real time). A frame beyond it is refused unless
 * frames of `quorum` different markets agree on that time within the last 2 s (what most of
 * the streams say, e.g. at start before the rate is known); the caller counts a refusal and asks
 * the server for its time, which moves the bound if the exchange really is that far ahead.
 */
export interface ExchangeClockOptions {
  /** Exchange ms a frame may run ahead of the bound at rate 1 (default 10 s; Binance's E lags its clock). */
  aheadMs?: number;
  /** Local clock (tests). */
  localNow?: () => number;
  /** Distinct markets whose frames must agree on a time beyond the bound before it is trusted (default 3). */
  quorum?: number;
}

export class ExchangeClock {
  private latest = 0;
  /** Local time (ms) when `latest` last moved (to notice a clock that stopped advancing). */
  lastAdvancedAt = 0;
  /** First trusted observation, to estimate exchange ms per local ms. */
  private first: { exchange: number; local: number } | undefined;
  /** Frames refused because their time was beyond the bound. */
  rejectedFrames = 0;
  private readonly aheadMs: number;
  private readonly localNow: () => number;
  private readonly quorum: number;
  /** Recent claims beyond the bound: time, market, local time. */
  private beyond: { ms: number; source: string; local: number }[] = [];

  constructor(options: ExchangeClockOptions = {}) {
    this.aheadMs = options.aheadMs ?? 10_000;
    this.localNow = options.localNow ?? Date.now;
    this.quorum = options.quorum ?? 3;
  }

  /** A trusted time: the server's own answer (`/api/v3/time`, exchangeInfo's serverTime). */
  observe(exchangeMs: unknown): void {
    if (typeof exchangeMs !== 'number' || !Number.isFinite(exchangeMs)) return;
    this.advance(exchangeMs);
  }

  /**
   * A time a frame claims (its `E`, or its kline's open time). Returns false, and moves nothing,
   * when it is beyond `bound()`: the caller must not trust that frame.
   */
  observeFrame(exchangeMs: unknown, source?: string): boolean {
    if (typeof exchangeMs !== 'number' || !Number.isFinite(exchangeMs)) return true;
    if (this.first !== undefined && exchangeMs > this.bound() && !this.agreed(exchangeMs, source)) {
      this.rejectedFrames++;
      return false;
    }
    this.advance(exchangeMs);
    return true;
  }

  /** Whether `quorum` distinct markets claimed about this time recently (this claim included). */
  private agreed(ms: number, source: string | undefined): boolean {
    if (source === undefined) return false;
    const local = this.localNow();
    this.beyond = this.beyond.filter((c) => local - c.local <= 2_000).slice(-256);
    this.beyond.push({ ms, source, local });
    const tolerance = this.aheadMs * this.rate();
    const agreeing = new Set(this.beyond.filter((c) => Math.abs(c.ms - ms) <= tolerance).map((c) => c.source));
    return agreeing.size >= this.quorum;
  }

  /** Exchange ms per local ms seen so far (≥ 1; 1 until 100 ms of local time have passed). */
  rate(): number {
    const f = this.first;
    if (f === undefined) return 1;
    const local = this.lastAdvancedAt - f.local;
    if (local < 100) return 1;
    return Math.max(1, (this.latest - f.exchange) / local);
  }

  /** The latest exchange time a frame may claim now. */
  bound(): number {
    const elapsed = Math.max(0, this.localNow() - this.lastAdvancedAt);
    return this.latest + this.rate() * (this.aheadMs + 2 * elapsed);
  }

  private advance(exchangeMs: number): void {
    const local = this.localNow();
    if (this.first === undefined) this.first = { exchange: exchangeMs, local };
    if (exchangeMs > this.latest) {
      this.latest = exchangeMs;
      this.lastAdvancedAt = local;
    }
  }

  /** Latest known exchange time, 0 before the first observation. */
  now(): number {
    return this.latest;
  }
}
