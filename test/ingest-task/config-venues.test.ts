import { readIngestConfig, readVenueConfigs } from '../../ingest-task/config';

describe('market types in the ingest configuration', () => {
  it('captures spot, USDⓈ-M and COIN-M by default, each on its own Binance hosts', () => {
    const venues = readVenueConfigs({});
    expect(venues.map((v) => v.marketType)).toEqual(['spot', 'usdm', 'coinm']);
    expect(venues.map((v) => [v.restUrl, v.streamUrl])).toEqual([
      ['https://data-api.binance.vision', 'wss://data-stream.binance.vision'],
      ['https://fapi.binance.com', 'wss://fstream.binance.com'],
      ['https://dapi.binance.com', 'wss://dstream.binance.com'],
    ]);
  });

  it('selects types with MARKET_TYPES and takes per-type endpoints and filters', () => {
    const venues = readVenueConfigs({
      MARKET_TYPES: ' coinm , usdm ',
      BINANCE_USDM_REST_URL: 'http://127.0.0.1:9001/',
      BINANCE_USDM_STREAM_URL: 'ws://127.0.0.1:9001/market',
      BINANCE_COINM_REST_URL: 'http://127.0.0.1:9002',
      MARKETS_USDM_SYMBOLS: 'btcusdt,ETHUSDT_260626',
      MARKETS_COINM_QUOTE_ASSETS: 'usd',
      // Spot's settings do not leak into the futures filters.
      MARKETS_SYMBOLS: 'BNBBTC',
    });
    expect(venues.map((v) => v.marketType)).toEqual(['usdm', 'coinm']);
    expect(venues[0]).toEqual({ marketType: 'usdm', restUrl: 'http://127.0.0.1:9001', streamUrl: 'ws://127.0.0.1:9001/market', markets: { symbols: ['BTCUSDT', 'ETHUSDT_260626'], quoteAssets: [] } });
    expect(venues[1].markets).toEqual({ symbols: [], quoteAssets: ['USD'] });
    expect(venues[1].streamUrl).toBe('wss://dstream.binance.com');
  });

  it("keeps today's spot settings working, and MARKETS_SPOT_* wins over them", () => {
    const today = readIngestConfig({ SINK: 'in-process', MARKET_TYPES: 'spot', MARKETS_QUOTE_ASSETS: 'USDT', BINANCE_REST_URL: 'https://api.binance.us' });
    expect(today.venues).toEqual([{ marketType: 'spot', restUrl: 'https://api.binance.us', streamUrl: 'wss://data-stream.binance.vision', markets: { quoteAssets: ['USDT'], symbols: [] } }]);
    expect(today.markets).toEqual({ quoteAssets: ['USDT'], symbols: [] });
    const spot = readVenueConfigs({ MARKET_TYPES: 'spot', MARKETS_QUOTE_ASSETS: 'USDT', MARKETS_SPOT_SYMBOLS: 'BTCUSDT' });
    expect(spot[0].markets).toEqual({ quoteAssets: [], symbols: ['BTCUSDT'] });
  });

  it.each([
    [{ MARKET_TYPES: 'spot,options' }, /^MARKET_TYPES: "options" is not a market type/],
    [{ MARKET_TYPES: 'spot,,usdm' }, /^MARKET_TYPES: /],
    [{ BINANCE_USDM_REST_URL: 'fapi.binance.com' }, /^BINANCE_USDM_REST_URL: /],
    [{ BINANCE_COINM_STREAM_URL: 'https://dstream.binance.com' }, /^BINANCE_COINM_STREAM_URL: .*wss:\/\//],
    [{ MARKETS_USDM_SYMBOLS: 'BTC USDT' }, /^MARKETS_USDM_SYMBOLS: "BTC USDT" is not a symbol/],
    [{ MARKETS_COINM_QUOTE_ASSETS: 'US$' }, /^MARKETS_COINM_QUOTE_ASSETS: /],
  ])('names the bad setting: %p', (env, message) => {
    expect(() => readIngestConfig({ SINK: 'in-process', ...env })).toThrow(message);
  });

  it('ignores a bad setting of a type that is not selected', () => {
    expect(() => readVenueConfigs({ MARKET_TYPES: 'spot', BINANCE_USDM_REST_URL: 'nonsense' })).not.toThrow();
  });
});
