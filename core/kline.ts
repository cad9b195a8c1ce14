import type { MarketType } from './market';

/**
 * The kline model. Prices and quantities are decimal text exactly as Binance sent them
 * (e.g. "0.01000000"): text keeps every digit and the number of fraction digits, and
 * arithmetic is done exactly in `decimal.ts`.
 */
export interface Kline {
  /** Which of Binance's venues the kline came from: part of its key (docs/data-model.md). */
  marketType: MarketType;
  symbol: string;
  interval: string;
  /** Open time, ms since epoch, UTC. */
  openTime: number;
  /** Close time, ms since epoch: openTime + interval - 1. */
  closeTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Base asset volume. */
  volume: string;
  quoteVolume: string;
  trades: number;
  takerBuyBaseVolume: string;
  takerBuyQuoteVolume: string;
  /** Resampled klines only: how many 1m klines the bar was built from. */
  sourceCount?: number;
  /** 1m only: where the kline came from when not the stream (absent = captured from the stream). */
  source?: KlineSource;
}

/** Provenance of a 1m kline that did not come from the stream (docs/data-model.md). */
export const KLINE_SOURCES = ['rest', 'dump'] as const;
export type KlineSource = (typeof KLINE_SOURCES)[number];

/** The decimal fields of a kline, in Binance's column order. */
export const DECIMAL_FIELDS = [
  'open',
  'high',
  'low',
  'close',
  'volume',
  'quoteVolume',
  'takerBuyBaseVolume',
  'takerBuyQuoteVolume',
] as const satisfies readonly (keyof Kline)[];

/** Natural key of a kline within its interval: market type, symbol, open time. */
export function klineKey(k: Pick<Kline, 'marketType' | 'symbol' | 'openTime'>): string {
  return `${k.marketType}:${k.symbol}|${k.openTime}`;
}

/** Result of parsing untrusted input: a kline or the reason it was rejected. */
export type ParseResult = { ok: true; kline: Kline } | { ok: false; reason: string };
