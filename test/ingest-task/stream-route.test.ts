import { StreamRoute } from '../../ingest-task/streams/stream-route';
import { COINM, SPOT, USDM } from '../../core/binance/venues';
import { normaliseSymbols, splitStreamUrl } from '../../core/binance/venues/venue';

describe('a venue stream route', () => {
  it('adds the venue path to a bare host and keeps a routed path given in the URL', () => {
    expect(new StreamRoute(USDM, 'wss://fstream.binance.com').url).toBe('wss://fstream.binance.com/market');
    expect(new StreamRoute(USDM, 'wss://fstream.binance.com/market/').url).toBe('wss://fstream.binance.com/market');
    expect(new StreamRoute(USDM, 'ws://127.0.0.1:9/public').url).toBe('ws://127.0.0.1:9/public');
    expect(new StreamRoute(SPOT, 'wss://data-stream.binance.vision').url).toBe('wss://data-stream.binance.vision');
    expect(new StreamRoute(COINM, 'wss://dstream.binance.com').url).toBe('wss://dstream.binance.com');
    expect(splitStreamUrl(USDM, 'ws://h/x/market')).toEqual({ base: 'ws://h/x', pathIndex: 0 });
  });

  it('leaves a silent path for the preferred one first, then the others, then starts over', () => {
    const route = new StreamRoute(USDM, 'ws://h/public');
    const seen = [route.path];
    for (let i = 0; i < 4; i++) {
      expect(route.abandon(route.url)).toBe(true);
      seen.push(route.path);
    }
    expect(seen).toEqual(['/public', '/market', '', '/market', '/public']);
    expect(route.switches).toBe(4);
  });

  it('ignores a report about a URL it already left (two copies finding the same silence) and venues with one path', () => {
    const route = new StreamRoute(USDM, 'ws://h/public');
    expect(route.abandon('ws://h/public')).toBe(true);
    expect(route.abandon('ws://h/public')).toBe(false);
    expect(route.url).toBe('ws://h/market');
    const coinm = new StreamRoute(COINM, 'ws://h');
    expect(coinm.abandon('ws://h')).toBe(false);
    expect(coinm.switches).toBe(0);
  });
});

describe('exchangeInfo per venue', () => {
  it('reads status from `status` (spot, USDⓈ-M) or `contractStatus` (COIN-M) and skips entries missing a field', () => {
    const info = {
      symbols: [
        { symbol: 'BTCUSD_PERP', contractStatus: 'TRADING', status: 'IGNORED', baseAsset: 'BTC', quoteAsset: 'USD', contractType: 'PERPETUAL', deliveryDate: 4133404800000 },
        { symbol: 'ETHUSD_260626', contractStatus: 'PENDING_TRADING', baseAsset: 'ETH', quoteAsset: 'USD', contractType: 'CURRENT_QUARTER', deliveryDate: 1782460800000 },
        { symbol: 'NOSTATUS', baseAsset: 'X', quoteAsset: 'USD' },
        'garbage',
        null,
      ],
    };
    expect(COINM.symbols(info)).toEqual([
      { symbol: 'BTCUSD_PERP', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USD', contractType: 'PERPETUAL', deliveryDate: 4133404800000 },
      { symbol: 'ETHUSD_260626', status: 'PENDING_TRADING', baseAsset: 'ETH', quoteAsset: 'USD', contractType: 'CURRENT_QUARTER', deliveryDate: 1782460800000 },
    ]);
    expect(USDM.symbols(info).map((s) => [s.symbol, s.status])).toEqual([['BTCUSD_PERP', 'IGNORED']]);
    expect(normaliseSymbols({ symbols: 'nope' }, 'status')).toEqual([]);
  });

  it('prices futures klines requests by limit and backfills with the cheapest rows per weight', () => {
    expect([1, 99, 100, 499, 500, 1000, 1001, 1500].map((l) => USDM.klinesWeight(l))).toEqual([1, 1, 2, 2, 5, 5, 10, 10]);
    expect(USDM.klinesWeight(USDM.backfillLimit)).toBe(2);
    expect(SPOT.klinesWeight(1000)).toBe(2);
  });
});
