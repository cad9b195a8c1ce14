import type { MarketStatus } from '../../core/market';
import { diffMarkets, MarketWatcher, matchesFilter } from '../../ingest-task/capture/markets';
import type { ExchangeInfo } from '../../core/binance/rest/rest-client';

const info = (serverTime: number, symbols: [string, string, string][]): ExchangeInfo => ({
  serverTime,
  rateLimits: [],
  symbols: symbols.map(([symbol, status, quoteAsset]) => ({ symbol, status, baseAsset: symbol.replace(quoteAsset, ''), quoteAsset })),
});

describe('matchesFilter', () => {
  it('matches everything with empty filters, and every given filter otherwise', () => {
    const s = { symbol: 'ETHBTC', quoteAsset: 'BTC' };
    expect(matchesFilter(s, { quoteAssets: [], symbols: [] })).toBe(true);
    expect(matchesFilter(s, { quoteAssets: ['USDT'], symbols: [] })).toBe(false);
    expect(matchesFilter(s, { quoteAssets: ['BTC'], symbols: ['ETHBTC'] })).toBe(true);
    expect(matchesFilter(s, { quoteAssets: ['BTC'], symbols: ['BNBBTC'] })).toBe(false);
  });
});

describe('diffMarkets', () => {
  const map = (entries: [string, MarketStatus][]): Map<string, MarketStatus> => new Map(entries);

  it('reports listings, halts, resumptions and delistings with the observation time', () => {
    const before = map([['A', 'TRADING'], ['B', 'TRADING'], ['C', 'BREAK'], ['D', 'TRADING']]);
    const after = map([['A', 'TRADING'], ['B', 'HALT'], ['C', 'TRADING'], ['E', 'TRADING']]);
    const changes = diffMarkets(before, after, 42, 'spot');
    expect(changes.events).toEqual(
      expect.arrayContaining([
        { marketType: 'spot', symbol: 'B', status: 'HALT', at: 42 },
        { marketType: 'spot', symbol: 'C', status: 'TRADING', at: 42 },
        { marketType: 'spot', symbol: 'E', status: 'TRADING', at: 42 },
        { marketType: 'spot', symbol: 'D', status: 'DELISTED', at: 42 },
      ]),
    );
    expect(changes.events).toHaveLength(4);
    expect(changes.started.sort()).toEqual(['C', 'E']);
    expect(changes.stopped.sort()).toEqual(['B', 'D']);
  });

  it('reports nothing when nothing changed', () => {
    const same = map([['A', 'TRADING']]);
    expect(diffMarkets(same, same, 1, 'spot')).toEqual({ events: [], started: [], stopped: [] });
  });
});

describe('MarketWatcher', () => {
  it('emits every market’s status once at start, then only changes', () => {
    const w = new MarketWatcher({ quoteAssets: ['USDT'], symbols: [] }, 'spot');
    const first = w.apply(info(1, [['AUSDT', 'TRADING', 'USDT'], ['BUSDT', 'BREAK', 'USDT'], ['CBTC', 'TRADING', 'BTC']]));
    expect(first.events).toEqual([
      { marketType: 'spot', symbol: 'AUSDT', status: 'TRADING', at: 1 },
      { marketType: 'spot', symbol: 'BUSDT', status: 'BREAK', at: 1 },
    ]);
    expect(first.started).toEqual(['AUSDT']);
    expect(w.apply(info(2, [['AUSDT', 'TRADING', 'USDT'], ['BUSDT', 'BREAK', 'USDT']])).events).toEqual([]);
  });

  it('stamps its venue’s market type on every event (COIN-M: the same symbol as elsewhere stays COIN-M)', () => {
    const w = new MarketWatcher({ quoteAssets: [], symbols: [] }, 'coinm');
    const first = w.apply(info(1, [['BTCUSD_PERP', 'TRADING', 'USD']]));
    const gone = w.apply(info(2, []));
    expect([...first.events, ...gone.events]).toEqual([
      { marketType: 'coinm', symbol: 'BTCUSD_PERP', status: 'TRADING', at: 1 },
      { marketType: 'coinm', symbol: 'BTCUSD_PERP', status: 'DELISTED', at: 2 },
    ]);
  });

  it('emits DELISTED once when a market leaves, and TRADING again when it is relisted', () => {
    const w = new MarketWatcher({ quoteAssets: [], symbols: [] }, 'spot');
    w.apply(info(1, [['AUSDT', 'TRADING', 'USDT']]));
    expect(w.apply(info(2, [])).events).toEqual([{ marketType: 'spot', symbol: 'AUSDT', status: 'DELISTED', at: 2 }]);
    expect(w.apply(info(3, [])).events).toEqual([]);
    const back = w.apply(info(4, [['AUSDT', 'TRADING', 'USDT']]));
    expect(back.events).toEqual([{ marketType: 'spot', symbol: 'AUSDT', status: 'TRADING', at: 4 }]);
    expect(back.started).toEqual(['AUSDT']);
  });
});
