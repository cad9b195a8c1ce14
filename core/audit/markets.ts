/** Which markets a day's audit covers. */
import { DAY_MS } from '../interval';
import { marketKey, parseMarketKey, type MarketRef, type MarketType } from '../market';
import type { KlineStore } from '../store/port';
import { lifePeriods } from './gaps';

/**
 * Markets to audit on a day: those with klines that day (one index seek per stored market, not a
 * count of the day: that can outlast the store's time limit on a large archive) and those listed
 * during it.
 */
export async function marketsOfDay(store: KlineStore, types: readonly MarketType[], day: number): Promise<MarketRef[]> {
  const keys = new Set<string>();
  for (const marketType of types) {
    for (const symbol of await store.symbolsWithKlines(marketType, '1m', { from: day, to: day + DAY_MS })) keys.add(marketKey({ marketType, symbol }));
  }
  const bySymbol = new Map<string, Awaited<ReturnType<KlineStore['marketHistory']>>>();
  for (const e of await store.marketHistory()) {
    const marketType = (e as { marketType?: MarketType }).marketType ?? 'spot';
    if (!types.includes(marketType)) continue;
    const key = marketKey({ marketType, symbol: e.symbol });
    bySymbol.set(key, [...(bySymbol.get(key) ?? []), e]);
  }
  for (const [key, events] of bySymbol) if (lifePeriods(events).some((p) => p.from < day + DAY_MS && p.to > day)) keys.add(key);
  return [...keys].sort().map(parseMarketKey);
}
