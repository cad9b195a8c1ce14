import { parseStoreUrl, readBinanceConfig, readStoreConfig } from '../../core/config';
import { redactSecrets } from '../../core/redact';
import { checkBinanceReachable } from '../../bin/local/reachability';
import { createLogger } from '../../core/logger';

const SECRET = 's3cret';

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('no credential in any message, whatever the input looks like', () => {
  const mistyped = [
    `mongodb:/user:${SECRET}@cluster0.example.net/db`,
    `MONGODB://user:${SECRET}@cluster0.example.net/db`,
    ` mongodb://user:${SECRET}@cluster0.example.net/db`,
    `mongo+srv://user:${SECRET}@cluster0.example.net/db`,
    `mongodb//user:${SECRET}@cluster0.example.net`,
    `user:${SECRET}@cluster0.example.net`,
    `mongodb+srv:user:${SECRET}`,
    `${SECRET}`,
  ];

  it.each(mistyped)('KLINE_STORE=%j fails naming the setting, without the password', (value) => {
    const message = errorOf(() => readStoreConfig({ KLINE_STORE: value }));
    expect(message).toMatch(/^KLINE_STORE/);
    expect(message).not.toContain(SECRET);
  });

  it.each(mistyped)('MONGODB_URI=%j fails naming the setting, without the password', (value) => {
    const message = errorOf(() => readStoreConfig({ MONGODB_URI: value }));
    expect(message).toMatch(/^MONGODB_URI/);
    expect(message).not.toContain(SECRET);
  });

  it('shows the mistyped scheme so the mistake can be seen', () => {
    expect(errorOf(() => parseStoreUrl(`MONGODB://u:${SECRET}@h/db`))).toContain('"MONGODB://"');
    expect(errorOf(() => parseStoreUrl(` mongodb://u:${SECRET}@h/db`))).toContain('leading whitespace');
  });

  it.each([`http://user:${SECRET}@`, `ftp://user:${SECRET}@host`, `http//user:${SECRET}@host`])('BINANCE_REST_URL=%j fails without the password', (value) => {
    const message = errorOf(() => readBinanceConfig({ BINANCE_REST_URL: value }));
    expect(message).toMatch(/^BINANCE_REST_URL/);
    expect(message).not.toContain(SECRET);
  });

  it('the unreachable-Binance message does not echo a password in BINANCE_REST_URL', async () => {
    const message = await checkBinanceReachable(`http://user:${SECRET}@127.0.0.1:1`, 2_000);
    expect(message).toMatch(/could not be reached at http:\/\/\*\*\*@127\.0\.0\.1:1/);
    expect(message).not.toContain(SECRET);
  });

  it('log lines carry no credential in messages, fields or errors', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    log.info(`connecting to mongodb://u:${SECRET}@h`, { uri: `MONGODB://u:${SECRET}@h`, error: new Error(`bad uri mongodb:/u:${SECRET}@h`) });
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(JSON.parse(lines[0]).uri).toBe('MONGODB://***@h');
  });

  it('leaves e-mail addresses and text without userinfo alone', () => {
    expect(redactSecrets('sent to ops@example.com at 10:00')).toBe('sent to ops@example.com at 10:00');
    expect(redactSecrets('no secrets here')).toBe('no secrets here');
    expect(redactSecrets('"mongodb://u:p@ss@h/db"')).toBe('"mongodb://***@h/db"');
  });
});

describe('MongoDB connection strings are parsed by the driver’s own parser', () => {
  it.each([
    ['mongodb://u:p@h1:1,h2:2/db?replicaSet=rs0', 'db'],
    ['mongodb://h1,h2,h3/?replicaSet=rs0', 'klines'],
    ['mongodb+srv://u:p@cluster0.abcde.mongodb.net/prod?retryWrites=true&w=majority', 'prod'],
    ['mongodb://u:p%40x@[::1]:27017/k', 'k'],
  ])('accepts %s (database %s)', (uri, database) => {
    expect(parseStoreUrl(uri)).toStrictEqual({ kind: 'mongodb', uri, database });
  });

  it.each(['mongodb://u:p@/db', 'mongodb://', 'mongodb+srv://h1,h2/db'])('refuses %s naming the setting', (uri) => {
    expect(errorOf(() => parseStoreUrl(uri, 'MONGODB_URI'))).toMatch(/^MONGODB_URI.*(not a valid MongoDB connection string|no host)/);
  });
});
