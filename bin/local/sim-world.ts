/**
 * The simulated world of `npm start -- --sim`: a pure function of the flags, begun at
 * DEFAULT_START_TIME. A resumed run (same flags, same store) starts the clock later in the same
 * world, so listings, breaks and klines continue instead of being rolled again.
 */
import { MINUTE_MS } from '../../core/interval';
import type { MarketType } from '../../core/market';
import { DEFAULT_START_TIME, faultsFromNames, type SimOptions } from '../../sim';
import { simMarkets, type LocalOptions } from './args';

type WorldFlags = Pick<LocalOptions, 'markets' | 'speed' | 'seed' | 'faults' | 'simListings'>;

/** Options every venue's simulator shares. */
export function simulatorOptions(o: WorldFlags, startTime: number): Omit<SimOptions, 'marketType' | 'port'> {
  return {
    speed: o.speed,
    seed: o.seed,
    startTime,
    worldStartTime: DEFAULT_START_TIME,
    faults: faultsFromNames(o.faults),
    // A listing and a trading break early on, so the first reports show how they are counted.
    churn: { listings: 1, breaks: 1, withinMs: 20 * MINUTE_MS },
  };
}

/** One venue's own options: its share of the markets; `--sim-listing` symbols are spot listings. */
export function simulatorVenueOptions(o: WorldFlags, marketType: MarketType): Omit<SimOptions, 'marketType'> {
  return {
    markets: simMarkets(marketType, o.markets),
    lifecycle: marketType === 'spot' ? o.simListings.map((symbol) => ({ symbol, status: 'TRADING' as const, at: DEFAULT_START_TIME })) : [],
  };
}
