import { ConfigError } from '../../core/errors';
import { parseStoreUrl, readBinanceConfig, readMarketFilter, readReportConfig, readStoreConfig, readPositiveInt } from '../../core/config';

describe('store selection', () => {
  it('defaults to the SQLite file under ./data', () => {
    expect(readStoreConfig({})).toEqual({ kind: 'sqlite', path: './data/klines.db' });
  });

  it('accepts sqlite:PATH, mongodb:// and mongodb+srv:// in KLINE_STORE', () => {
    expect(readStoreConfig({ KLINE_STORE: 'sqlite::memory:' })).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(readStoreConfig({ KLINE_STORE: 'mongodb://u:p@127.0.0.1:27017/market' })).toMatchObject({ kind: 'mongodb', database: 'market' });
    expect(readStoreConfig({ KLINE_STORE: 'mongodb+srv://u:p@cluster0.example.net/?retryWrites=true' })).toMatchObject({ kind: 'mongodb', database: 'klines' });
  });

  it('accepts MONGODB_URI when KLINE_STORE is not set, and KLINE_STORE wins when both are', () => {
    expect(readStoreConfig({ MONGODB_URI: 'mongodb://h/x' })).toMatchObject({ kind: 'mongodb', database: 'x' });
    expect(readStoreConfig({ MONGODB_URI: 'mongodb://h/x', KLINE_STORE: 'sqlite:a.db' })).toEqual({ kind: 'sqlite', path: 'a.db' });
  });

  it.each([
    [{ KLINE_STORE: 'postgres://h/db' }, /^KLINE_STORE: expected sqlite:PATH/],
    [{ KLINE_STORE: 'sqlite:' }, /^KLINE_STORE: sqlite: needs a file path/],
    [{ MONGODB_URI: 'mysql://h' }, /^MONGODB_URI: expected/],
  ])('fails on %j with one message naming the setting', (env, message) => {
    expect(() => readStoreConfig(env)).toThrow(ConfigError);
    expect(() => readStoreConfig(env)).toThrow(message);
  });

  it('never echoes a long connection string (it may hold a password)', () => {
    expect(() => parseStoreUrl('redis://user:secretpassword@host:6379/0')).toThrow(/^(?!.*secretpassword)/);
  });
});

describe('Binance endpoints', () => {
  it('defaults to the market-data-only endpoints', () => {
    expect(readBinanceConfig({})).toEqual({ streamUrl: 'wss://data-stream.binance.vision', restUrl: 'https://data-api.binance.vision' });
  });

  it('switches to other endpoints by configuration alone and drops a trailing slash', () => {
    const c = readBinanceConfig({ BINANCE_STREAM_URL: 'wss://stream.binance.us:9443/', BINANCE_REST_URL: 'https://api.binance.us' });
    expect(c).toEqual({ streamUrl: 'wss://stream.binance.us:9443', restUrl: 'https://api.binance.us' });
  });

  it('rejects a stream URL that is not a websocket URL', () => {
    expect(() => readBinanceConfig({ BINANCE_STREAM_URL: 'https://x' })).toThrow(/^BINANCE_STREAM_URL: .* must start with wss:\/\/ or ws:\/\//);
  });
});

describe('other settings', () => {
  it('reads the markets filter upper-cased', () => {
    expect(readMarketFilter({ MARKETS_QUOTE_ASSETS: 'usdt, btc', MARKETS_SYMBOLS: 'ethusdt' })).toEqual({ quoteAssets: ['USDT', 'BTC'], symbols: ['ETHUSDT'] });
    expect(() => readMarketFilter({ MARKETS_SYMBOLS: 'BTC USDT' })).toThrow(/^MARKETS_SYMBOLS/);
  });

  it('validates report addresses', () => {
    expect(readReportConfig({ REPORT_RECIPIENTS: 'a@x.io,b@y.org', REPORT_SENDER: 'r@x.io' })).toMatchObject({ recipients: ['a@x.io', 'b@y.org'], sender: 'r@x.io' });
    expect(() => readReportConfig({ REPORT_RECIPIENTS: 'nobody' })).toThrow(/^REPORT_RECIPIENTS: "nobody" is not an e-mail address/);
  });

  it('validates positive integers', () => {
    expect(readPositiveInt({ N: '5' }, 'N', 1)).toBe(5);
    expect(readPositiveInt({}, 'N', 1)).toBe(1);
    expect(() => readPositiveInt({ N: '-2' }, 'N', 1)).toThrow(/^N: expected a positive integer/);
  });
});
