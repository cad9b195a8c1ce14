/**
 * Keeps REST request weight inside Binance's budget so a 429 (let alone a 418 ban) never happens
 * in normal operation.
 *
 * Binance counts weight per IP in fixed windows (1 minute, aligned to the clock) and reports the
 * window's total in every response's `X-MBX-USED-WEIGHT-1M`. We allow ourselves only
 * `limit × (1 − headroom)`: before a request, its weight plus the last reported total plus the
 * weight of requests still in flight must fit, otherwise the request waits for the next window.
 * A 429/418 (or 403 from the firewall) closes the gate for its Retry-After.
 */

export interface WeightGateOptions {
  /** REQUEST_WEIGHT limit per window (from exchangeInfo.rateLimits; Binance: 6000). */
  limit: number;
  /** Window length in ms (Binance: 60 000). */
  windowMs: number;
  /** Share of the limit left unused, 0 ≤ headroom < 1 (default 0.5). */
  headroom: number;
  now?: () => number;
}

export class WeightGate {
  private used = 0;
  private usedWindow = -1;
  private inFlight = 0;
  private blockedUntil = 0;
  /** Highest reported weight ever seen (for metrics and tests). */
  peakUsed = 0;
  private readonly now: () => number;

  constructor(private options: WeightGateOptions) {
    this.now = options.now ?? Date.now;
  }

  setLimit(limit: number, windowMs?: number): void {
    this.options = { ...this.options, limit, windowMs: windowMs ?? this.options.windowMs };
  }

  get limit(): number {
    return this.options.limit;
  }

  get budget(): number {
    return Math.floor(this.options.limit * (1 - this.options.headroom));
  }

  private window(at: number): number {
    return Math.floor(at / this.options.windowMs);
  }

  /** Weight counted in the current window as far as we know (reported + in flight). */
  get usedNow(): number {
    return (this.window(this.now()) === this.usedWindow ? this.used : 0) + this.inFlight;
  }

  /** ms to wait before a request of `weight` may go; 0 = go now. */
  waitMs(weight: number): number {
    const now = this.now();
    if (now < this.blockedUntil) return this.blockedUntil - now;
    if (this.usedNow + weight <= this.budget) return 0;
    // Wait for the next window, plus a little for clock skew between us and the server.
    const nextWindow = (this.window(now) + 1) * this.options.windowMs;
    return nextWindow - now + Math.min(250, Math.ceil(this.options.windowMs / 100));
  }

  /** ms until the next weight window starts. */
  msToNextWindow(): number {
    const now = this.now();
    return (this.window(now) + 1) * this.options.windowMs - now;
  }

  /** Reserve weight for a request that goes now. Call `settle` with the response's header. */
  reserve(weight: number): void {
    this.inFlight += weight;
  }

  settle(weight: number, reportedUsed: number | undefined): void {
    this.inFlight = Math.max(0, this.inFlight - weight);
    if (reportedUsed === undefined || !Number.isFinite(reportedUsed)) return;
    const w = this.window(this.now());
    if (w !== this.usedWindow) {
      this.usedWindow = w;
      this.used = reportedUsed;
    } else {
      this.used = Math.max(this.used, reportedUsed);
    }
    if (reportedUsed > this.peakUsed) this.peakUsed = reportedUsed;
  }

  /** 429/418/403: nothing goes out for `ms`. */
  block(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms);
  }

  get blockedForMs(): number {
    return Math.max(0, this.blockedUntil - this.now());
  }
}
