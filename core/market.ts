/** Market (symbol) status as Binance reports it, plus DELISTED when a symbol leaves exchangeInfo. */
export const MARKET_STATUSES = ['TRADING', 'END_OF_DAY', 'HALT', 'BREAK', 'CANCEL_ONLY', 'DELISTED'] as const;
export type MarketStatus = (typeof MARKET_STATUSES)[number];

/** One change of a market's status, observed at `at` (ms). The history is the list of changes. */
export interface MarketStatusEvent {
  symbol: string;
  status: MarketStatus;
  at: number;
}

/** A market's 1m klines are expected while it is TRADING. */
export function isCapturedStatus(status: MarketStatus): boolean {
  return status === 'TRADING';
}
