import { AttemptBudget, backoffDelay } from '../../../core/binance/backoff';

describe('backoffDelay', () => {
  const options = { baseMs: 100, capMs: 10_000 };

  it('grows exponentially up to the cap (at the top of the jitter range)', () => {
    const top = (): number => 0.999999;
    expect(backoffDelay(0, options, top)).toBe(99);
    expect(backoffDelay(3, options, top)).toBe(799);
    expect(backoffDelay(20, options, top)).toBe(9_999);
    expect(backoffDelay(1_000, options, top)).toBe(9_999);
  });

  it('uses full jitter: anywhere from 0 to the ceiling', () => {
    expect(backoffDelay(5, options, () => 0)).toBe(0);
    expect(backoffDelay(5, options, () => 0.5)).toBe(1_600);
    const samples = Array.from({ length: 500 }, () => backoffDelay(6, options));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(6_400);
    expect(new Set(samples).size).toBeGreaterThan(100);
  });
});

describe('AttemptBudget', () => {
  it('allows at most maxAttempts within the window, then says how long to wait', () => {
    // Prepare
    let now = 1_000_000;
    const budget = new AttemptBudget({ maxAttempts: 3, windowMs: 300_000 }, () => now);
    // Act
    const granted = [budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()];
    // Assess
    expect(granted).toEqual([true, true, true, false]);
    expect(budget.waitMs()).toBe(300_000);
    now += 299_999;
    expect(budget.tryAcquire()).toBe(false);
    now += 1;
    expect(budget.tryAcquire()).toBe(true);
    // The three first attempts left the window together; only the new one counts.
    expect(budget.used).toBe(1);
  });

  it('keeps a reconnect storm of 1000 attempts in 5 minutes below Binance’s 300', () => {
    let now = 0;
    const budget = new AttemptBudget(undefined, () => now);
    let granted = 0;
    for (let i = 0; i < 1000; i++) {
      if (budget.tryAcquire()) granted++;
      now += 300; // one attempt every 0.3 s for 5 minutes
    }
    expect(granted).toBeLessThan(300);
  });
});
