/**
 * The exchange's time as far as we know it: the latest event time (`E`) or server time seen.
 * It is a lower bound of the exchange's real "now", which is what deciding "this minute has
 * closed" needs. The local clock is never used for that: the simulator's clock runs faster, and
 * Binance's may differ from ours.
 */
export class ExchangeClock {
  private latest = 0;
  /** Local time (ms) when `latest` last moved (to notice a clock that stopped advancing). */
  lastAdvancedAt = 0;

  observe(exchangeMs: unknown): void {
    if (typeof exchangeMs === 'number' && exchangeMs > this.latest) {
      this.latest = exchangeMs;
      this.lastAdvancedAt = Date.now();
    }
  }

  /** Latest known exchange time, 0 before the first observation. */
  now(): number {
    return this.latest;
  }
}
