/**
 * Resume helpers over the port: which markets a store knows of, and their latest stored minutes.
 * Markets come from the status history (`markets`), plus any the caller already knows (e.g. from
 * exchangeInfo), so resuming is one index lookup per market and never a scan of the klines.
 */
import type { StoredInterval } from '../interval';
import { marketKey, type MarketRef, type MarketType } from '../market';
import type { KlineStore } from './port';

/** Every market of the given types with a recorded status event, plus `extra`, without duplicates. */
export async function knownMarkets(store: KlineStore, marketTypes: readonly MarketType[], extra: readonly MarketRef[] = []): Promise<MarketRef[]> {
  const seen = new Map<string, MarketRef>();
  for (const e of await store.marketHistory()) {
    if (marketTypes.includes(e.marketType)) seen.set(marketKey(e), { marketType: e.marketType, symbol: e.symbol });
  }
  for (const m of extra) seen.set(marketKey(m), { marketType: m.marketType, symbol: m.symbol });
  return [...seen.values()];
}

/**
 * Latest stored open time of each known market of one type, keyed by symbol (what a venue's
 * ingest, which captures one type, keys its markets by).
 */
export async function lastOpenTimesBySymbol(
  store: KlineStore,
  interval: StoredInterval,
  marketType: MarketType,
  extraSymbols: readonly string[] = [],
): Promise<Map<string, number>> {
  const markets = await knownMarkets(store, [marketType], extraSymbols.map((symbol) => ({ marketType, symbol })));
  const last = await store.lastOpenTimes(interval, markets);
  const bySymbol = new Map<string, number>();
  for (const m of markets) {
    const t = last.get(marketKey(m));
    if (t !== undefined) bySymbol.set(m.symbol, t);
  }
  return bySymbol;
}

/**
 * Latest stored open time of each known market of several types at once: one read of the status
 * history and one `lastOpenTimes` over every market (one index lookup each), split by type and
 * keyed by symbol. Every requested type has an entry (empty when it has no stored market).
 */
export async function lastOpenTimesByType(store: KlineStore, interval: StoredInterval, marketTypes: readonly MarketType[]): Promise<Map<MarketType, Map<string, number>>> {
  const markets = await knownMarkets(store, marketTypes);
  const last = markets.length > 0 ? await store.lastOpenTimes(interval, markets) : new Map<string, number>();
  const out = new Map<MarketType, Map<string, number>>(marketTypes.map((t) => [t, new Map<string, number>()]));
  for (const m of markets) {
    const t = last.get(marketKey(m));
    if (t !== undefined) out.get(m.marketType)?.set(m.symbol, t);
  }
  return out;
}
