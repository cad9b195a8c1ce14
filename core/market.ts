/**
 * Market (symbol) status as Binance reports it: spot's statuses, then the futures' contract
 * statuses (USDⓈ-M and COIN-M), plus our DELISTED when a symbol leaves exchangeInfo.
 */
export const MARKET_STATUSES = [
  'TRADING',
  'END_OF_DAY',
  'HALT',
  'BREAK',
  'CANCEL_ONLY',
  'PENDING_TRADING',
  'PRE_DELIVERING',
  'DELIVERING',
  'DELIVERED',
  'PRE_SETTLE',
  'SETTLING',
  'CLOSE',
  'DELISTED',
] as const;
export type MarketStatus = (typeof MARKET_STATUSES)[number];

export function isMarketStatus(value: unknown): value is MarketStatus {
  return typeof value === 'string' && (MARKET_STATUSES as readonly string[]).includes(value);
}

/** One change of a market's status, observed at `at` (ms). The history is the list of changes. */
export interface MarketStatusEvent {
  marketType: MarketType;
  symbol: string;
  status: MarketStatus;
  at: number;
}

/** A market's 1m klines are expected while it is TRADING (in every market type). */
export function isCapturedStatus(status: MarketStatus): boolean {
  return status === 'TRADING';
}

/**
 * Binance's market types: spot, USDⓈ-M futures (fapi/fstream), COIN-M futures (dapi/dstream).
 * The same symbol exists in several types, so the type is part of every key (docs/data-model.md).
 */
export const MARKET_TYPES = ['spot', 'usdm', 'coinm'] as const;
export type MarketType = (typeof MARKET_TYPES)[number];

export function isMarketType(value: unknown): value is MarketType {
  return typeof value === 'string' && (MARKET_TYPES as readonly string[]).includes(value);
}

/** Parses a comma-separated list of market types ("spot,usdm"); throws naming the bad entry. */
export function parseMarketTypes(text: string, setting = 'MARKET_TYPES'): MarketType[] {
  const parts = text.split(',').map((p) => p.trim());
  const bad = parts.find((p) => !isMarketType(p));
  if (bad !== undefined || parts.length === 0) {
    throw new Error(`${setting}: "${bad ?? text}" is not a market type (expected a comma-separated list of ${MARKET_TYPES.join(', ')})`);
  }
  return [...new Set(parts as MarketType[])];
}

/** One market: its type and its symbol. */
export interface MarketRef {
  marketType: MarketType;
  symbol: string;
}

/** In-memory key of a market, "<marketType>:<symbol>" (':' is not allowed in symbols). */
export function marketKey(ref: MarketRef): string {
  return `${ref.marketType}:${ref.symbol}`;
}

export function parseMarketKey(key: string): MarketRef {
  const at = key.indexOf(':');
  const marketType = key.slice(0, at);
  if (at < 0 || !isMarketType(marketType)) throw new Error(`"${key}" is not a market key`);
  return { marketType, symbol: key.slice(at + 1) };
}
