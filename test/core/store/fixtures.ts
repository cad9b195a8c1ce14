/** Valid klines for store tests: deterministic, with Binance-style 8-digit decimal text. */
import { intervalMs, type StoredInterval } from '../../../core/interval';
import type { Kline } from '../../../core/kline';
import type { MarketType } from '../../../core/market';

export const MINUTE = 60_000;
/** 2024-03-01T00:00:00Z */
export const T0 = Date.UTC(2024, 2, 1);

/** A sound kline whose prices depend on `seed`, so neighbouring klines differ. */
export function makeKline(symbol: string, openTime: number, interval: StoredInterval = '1m', seed = openTime / MINUTE): Kline {
  const cents = 3_700_000 + (seed % 997) * 13; // 37000.00 .. ~37129
  const price = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}000000`;
  const k: Kline = {
    marketType: 'spot',
    symbol,
    interval,
    openTime,
    closeTime: openTime + intervalMs(interval) - 1,
    open: price(cents),
    high: price(cents + 250),
    low: price(cents - 250),
    close: price(cents + 100),
    volume: `${seed % 50}.${String(seed % 100_000_000).padStart(8, '0')}`,
    quoteVolume: `${(seed % 50) * 37000}.12345678`,
    trades: seed % 5000,
    takerBuyBaseVolume: `0.${String((seed * 7) % 100_000_000).padStart(8, '0')}`,
    takerBuyQuoteVolume: '0.00000000',
  };
  if (interval !== '1m') k.sourceCount = intervalMs(interval) / MINUTE;
  return k;
}

/** `count` consecutive klines per symbol from `from`. Ordered by symbol, then openTime. */
export function makeSeries(symbols: readonly string[], from: number, count: number, interval: StoredInterval = '1m'): Kline[] {
  const step = intervalMs(interval);
  const out: Kline[] = [];
  for (const s of [...symbols].sort()) for (let i = 0; i < count; i++) out.push(makeKline(s, from + i * step, interval));
  return out;
}

/** The same klines as another market type's (copies). */
export function ofType(marketType: MarketType, klines: readonly Kline[]): Kline[] {
  return klines.map((k) => ({ ...k, marketType }));
}

/** Same order as `KlineStore.read`: symbol, then openTime. */
export function sortKlines(klines: readonly Kline[]): Kline[] {
  return [...klines].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.openTime - b.openTime));
}
