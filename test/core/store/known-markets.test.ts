/** Resume points per market type from a real (SQLite) store: BTCUSDT spot and BTCUSDT usdm never mix. */
import type { Kline } from '../../../core/kline';
import type { MarketType } from '../../../core/market';
import { lastOpenTimesByType } from '../../../core/store/known-markets';
import type { KlineStore } from '../../../core/store/port';
import { SqliteKlineStore } from '../../../core/store/sqlite';

const T0 = Date.UTC(2026, 0, 5);
const M = 60_000;
const k = (marketType: MarketType, symbol: string, minute: number): Kline => ({
  marketType,
  symbol,
  interval: '1m',
  openTime: T0 + minute * M,
  closeTime: T0 + minute * M + M - 1,
  open: '1',
  high: '1',
  low: '1',
  close: '1',
  volume: '0',
  quoteVolume: '0',
  trades: 0,
  takerBuyBaseVolume: '0',
  takerBuyQuoteVolume: '0',
});

describe('lastOpenTimesByType', () => {
  let store: SqliteKlineStore;
  beforeEach(async () => {
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
  });
  afterEach(async () => {
    await store.close();
  });

  it('returns each type\'s last stored minute per symbol, with one history read and one lastOpenTimes call over every market', async () => {
    // Prepare: the same symbol in spot and usdm with different last minutes; a coinm market without klines
    await store.upsert('1m', [k('spot', 'BTCUSDT', 0), k('spot', 'BTCUSDT', 3), k('usdm', 'BTCUSDT', 9), k('spot', 'ETHBTC', 5)]);
    await store.recordMarketStatus([
      { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
      { marketType: 'spot', symbol: 'ETHBTC', status: 'TRADING', at: T0 },
      { marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
      { marketType: 'coinm', symbol: 'BTCUSD_PERP', status: 'TRADING', at: T0 },
    ]);
    const calls = { history: 0, lastOpenTimes: [] as number[] };
    const counted = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'marketHistory') calls.history++;
        if (prop === 'lastOpenTimes') return (interval: '1m', markets: readonly unknown[]) => (calls.lastOpenTimes.push(markets.length), target.lastOpenTimes(interval, markets as never));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as KlineStore;

    // Act
    const points = await lastOpenTimesByType(counted, '1m', ['spot', 'usdm', 'coinm']);

    // Assess
    expect(points.get('spot')).toEqual(new Map([['BTCUSDT', T0 + 3 * M], ['ETHBTC', T0 + 5 * M]]));
    expect(points.get('usdm')).toEqual(new Map([['BTCUSDT', T0 + 9 * M]]));
    expect(points.get('coinm')).toEqual(new Map());
    expect(calls).toEqual({ history: 1, lastOpenTimes: [4] });
  });

  it('leaves out the types not asked for, and answers an empty store with an empty map per type', async () => {
    expect(await lastOpenTimesByType(store, '1m', ['usdm'])).toEqual(new Map([['usdm', new Map()]]));
    await store.upsert('1m', [k('spot', 'BTCUSDT', 1)]);
    await store.recordMarketStatus([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }]);
    expect(await lastOpenTimesByType(store, '1m', ['usdm'])).toEqual(new Map([['usdm', new Map()]]));
  });
});
