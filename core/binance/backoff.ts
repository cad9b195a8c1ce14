/**
 * Reconnect pacing. Two rules keep a reconnect storm from breaching Binance's limits:
 * 1. each connection waits a capped exponential delay with full jitter before its next attempt;
 * 2. all connections share one attempt budget (Binance: 300 attempts per 5 minutes per IP; we
 *    stay below it), and an attempt that would exceed it waits until a slot frees.
 */

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/** Full jitter: uniform in [0, min(cap, base·2^attempt)). `attempt` counts from 0. Pure. */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export interface AttemptBudgetOptions {
  maxAttempts: number;
  windowMs: number;
}

/** Binance allows 300 per 5 minutes; 250 leaves room for a second process or a clock skew. */
export const DEFAULT_ATTEMPT_BUDGET: AttemptBudgetOptions = { maxAttempts: 250, windowMs: 300_000 };

/** Sliding-window count of connection attempts shared by all connections. */
export class AttemptBudget {
  private readonly times: number[] = [];

  constructor(private readonly options: AttemptBudgetOptions = DEFAULT_ATTEMPT_BUDGET, private readonly now: () => number = Date.now) {
    if (!(options.maxAttempts >= 1)) throw new RangeError('maxAttempts must be ≥ 1');
  }

  private prune(now: number): void {
    while (this.times.length > 0 && this.times[0] <= now - this.options.windowMs) this.times.shift();
  }

  /** Attempts counted in the current window. */
  get used(): number {
    this.prune(this.now());
    return this.times.length;
  }

  /** 0 if an attempt may start now, else the ms until the oldest attempt leaves the window. */
  waitMs(): number {
    const now = this.now();
    this.prune(now);
    if (this.times.length < this.options.maxAttempts) return 0;
    return this.times[0] + this.options.windowMs - now;
  }

  /** Record an attempt if the budget allows it; false means wait `waitMs()` and try again. */
  tryAcquire(): boolean {
    if (this.waitMs() > 0) return false;
    this.times.push(this.now());
    return true;
  }
}
