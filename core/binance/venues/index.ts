/** Every venue by market type. */
import type { MarketType } from '../../market';
import { COINM } from './coinm';
import { SPOT } from './spot';
import { USDM } from './usdm';
import type { Venue } from './venue';

export const VENUES: Readonly<Record<MarketType, Venue>> = { spot: SPOT, usdm: USDM, coinm: COINM };

export function venueOf(marketType: MarketType): Venue {
  return VENUES[marketType];
}

export type { Venue, VenueSymbol } from './venue';
export { SPOT, USDM, COINM };
