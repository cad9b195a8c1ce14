/**
 * The simulated world of `npm start -- --sim`: a pure function of the flags, begun at
 * DEFAULT_START_TIME. A resumed run (same flags, same store) starts the clock later in the same
 * world, so listings, breaks and klines continue instead of being rolled again.
 */
import { MINUTE_MS } from '../../core/interval';
import { DEFAULT_START_TIME, faultsFromNames, type SimOptions } from '../../sim';
import type { LocalOptions } from './args';

export function simulatorOptions(o: Pick<LocalOptions, 'markets' | 'speed' | 'seed' | 'faults' | 'simListings'>, startTime: number): SimOptions {
  return {
    markets: o.markets,
    speed: o.speed,
    seed: o.seed,
    startTime,
    worldStartTime: DEFAULT_START_TIME,
    faults: faultsFromNames(o.faults),
    // A listing and a trading break early on, so the first reports show how they are counted.
    churn: { listings: 1, breaks: 1, withinMs: 20 * MINUTE_MS },
    lifecycle: o.simListings.map((symbol) => ({ symbol, status: 'TRADING' as const, at: DEFAULT_START_TIME })),
  };
}
