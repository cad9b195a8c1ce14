/**
 * Does the configured archive fit the Atlas tier the user named? `cdk synth` warns when it does
 * not (a warning, not an error: the figures are estimates and a user may plan to grow the tier).
 *
 * Bytes per market-minute are the README's measured figures (`npm run bench -- --only
 * wiredtiger-bytes`, simulator klines): M0 and Flex count uncompressed BSON plus index keys,
 * dedicated tiers count storage size, with zstd because the schema step creates the collections
 * with zstd (core/store/mongo-schema.ts). Tier storage is Atlas's default disk size per tier.
 */
import type { MarketType } from '../core/market';
import type { AtlasTier } from './connection-budget';

/** Bytes per market-minute: the 1m kline, and the resampled bars (5m … 1w) it leads to. */
const BYTES = {
  uncompressed: { oneMinute: 346, resampled: 117 },
  storage: { oneMinute: 87, resampled: 29 },
} as const;

const GB = 2 ** 30; // the README table counts binary units
/** Default storage of each tier (M0 and Flex: their data limits). */
export const TIER_STORAGE_BYTES: Record<AtlasTier, number> = {
  M0: 0.5 * GB,
  Flex: 5 * GB,
  M10: 10 * GB,
  M20: 20 * GB,
  M30: 40 * GB,
  M40: 80 * GB,
  M50: 160 * GB,
  M60: 320 * GB,
  M80: 750 * GB,
  M140: 1000 * GB,
  M200: 1500 * GB,
  M300: 2000 * GB,
};

/** Markets listed per type, for an unfiltered selection (Binance, 2026). */
export const LISTED_MARKETS: Record<MarketType, number> = { spot: 2000, usdm: 600, coinm: 60 };

/** Below this many days of history the tier is too small to be useful. */
export const MIN_USEFUL_DAYS = 30;

export interface SizingInput {
  tier: AtlasTier;
  marketTypes: readonly MarketType[];
  /** `marketsSymbols`: when set, exactly these markets per type are captured. */
  symbols: readonly string[];
  /** `marketsQuoteAssets`: a filter whose effect is unknown at synth (the estimate is an upper bound). */
  quoteAssets: readonly string[];
  klineRetentionDays: number | undefined;
}

export interface SizingEstimate {
  markets: number;
  /** Days of history the tier holds; 0 when the retained 1m klines alone do not fit. */
  daysThatFit: number;
  /** True when the market count is an upper bound (quote-asset filter). */
  upperBound: boolean;
}

export function estimateDays(input: SizingInput): SizingEstimate {
  const markets = input.symbols.length > 0 ? input.symbols.length * input.marketTypes.length : input.marketTypes.reduce((n, t) => n + LISTED_MARKETS[t], 0);
  const bytes = input.tier === 'M0' || input.tier === 'Flex' ? BYTES.uncompressed : BYTES.storage;
  const perDay = (b: number) => markets * 1440 * b;
  const capacity = TIER_STORAGE_BYTES[input.tier];
  const retention = input.klineRetentionDays;
  let daysThatFit: number;
  if (retention === undefined) {
    daysThatFit = capacity / perDay(bytes.oneMinute + bytes.resampled);
  } else {
    const retained = perDay(bytes.oneMinute) * retention;
    daysThatFit = retained >= capacity ? 0 : (capacity - retained) / perDay(bytes.resampled);
  }
  return { markets, daysThatFit, upperBound: input.symbols.length === 0 && input.quoteAssets.length > 0 };
}

/** The warning synth prints, or undefined when the tier holds at least MIN_USEFUL_DAYS. */
export function tierSizingWarning(input: SizingInput): string | undefined {
  const e = estimateDays(input);
  if (e.daysThatFit >= MIN_USEFUL_DAYS) return undefined;
  const what = `${e.upperBound ? 'up to ' : ''}${e.markets} markets (${input.marketTypes.join(', ')})`;
  const fit =
    e.daysThatFit === 0
      ? `the ${input.klineRetentionDays}-day 1m retention alone does not fit`
      : `it holds about ${e.daysThatFit < 1 ? `${Math.round(e.daysThatFit * 24)} hours` : `${Math.floor(e.daysThatFit)} days`} of history`;
  return (
    `atlasTier ${input.tier} is too small for ${what}: ${fit}. ` +
    'Choose a larger atlasTier, set klineRetentionDays, or capture fewer markets (marketTypes, marketsSymbols); ' +
    'see "Sizing on MongoDB Atlas" in the README.'
  );
}
