import { BSON, Decimal128 } from 'mongodb';
import type { Kline } from '../../../core/kline';
import {
  decimalFromText,
  decimalToText,
  klineBulk,
  klineDocument,
  klineFromDocument,
  klineId,
  klineIdRange,
  klineRangeFilter,
  klineUpsertOperation,
  marketStatusOperation,
  parseKlineId,
  retentionSeconds,
  sortSymbols,
} from '../../../core/store/mongo-documents';
import { T0, makeKline } from './fixtures';

describe('Decimal128 text conversion', () => {
  test.each([
    '0.00000001',
    '0.00000010',
    '0.01000000',
    '0.00000000',
    '0',
    '100',
    '1.5',
    '123456789.12345678',
    '90000000000.00000000',
    '0.000000000000000000000000000001',
    '1234567890123456789012345678901234',
    '0.1234567890123456789012345678901234',
  ])('%s comes back as the same text', (text) => {
    expect(decimalToText(decimalFromText(text))).toBe(text);
  });

  test('random 8-digit decimals round-trip unchanged', () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const whole = String(next() % 10 ** (next() % 10));
      const text = `${whole}.${String(next() % 100_000_000).padStart(8, '0')}`;
      expect(decimalToText(decimalFromText(text))).toBe(text);
    }
  });

  test('a Decimal128 written by someone else in exponent form is read as plain text', () => {
    expect([Decimal128.fromString('1.0E-7'), Decimal128.fromString('5E+3'), Decimal128.fromString('0E-3')].map(decimalToText)).toStrictEqual([
      '0.00000010',
      '5000',
      '0.000',
    ]);
  });

  test('refuses a value Decimal128 would round, and non-finite values', () => {
    expect(() => decimalFromText('1.2345678901234567890123456789012345')).toThrow(/inexact/);
    expect(() => decimalToText(Decimal128.fromString('NaN'))).toThrow(/not a finite decimal/);
  });
});

describe('kline ids', () => {
  test('sort as (symbol, openTime), with a symbol before the longer symbols it prefixes', () => {
    const keys = [
      ['BTCUSDT', T0 + 60_000],
      ['BTC', T0 + 120_000],
      ['BTCUSDT', T0],
      ['BTC-X', T0],
      ['BTC_X', T0],
      ['BTC', T0],
    ] as const;
    const expected = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));

    const byId = [...keys].sort((a, b) => (klineId(a[0], a[1]) < klineId(b[0], b[1]) ? -1 : 1));

    expect(byId).toStrictEqual(expected);
  });

  test('parse back to symbol and open time, and refuse foreign ids', () => {
    expect(parseKlineId(klineId('币安人生USDT', T0))).toStrictEqual({ symbol: '币安人生USDT', openTime: T0 });
    expect([parseKlineId('abc'), parseKlineId(42), parseKlineId('#1700000000000'), parseKlineId('BTC#17')]).toStrictEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test('an id range holds exactly the market open times in [from, to)', () => {
    const r = klineIdRange('BTC', T0, T0 + 120_000);
    const inRange = (id: string) => id >= r.$gte && id < r.$lt;

    expect([klineId('BTC', T0), klineId('BTC', T0 + 60_000)].every(inRange)).toBe(true);
    expect([klineId('BTC', T0 - 60_000), klineId('BTC', T0 + 120_000), klineId('BTCUSDT', T0), klineId('BT', T0)].some(inRange)).toBe(false);
  });

  test('an id range with open bounds covers every stored time of the market', () => {
    const r = klineIdRange('BTC', 0, Number.MAX_SAFE_INTEGER);

    expect([klineId('BTC', 1_000_000_000_000), klineId('BTC', 9_999_999_999_999)].every((id) => id >= r.$gte && id < r.$lt)).toBe(true);
    expect(klineId('BTCX', T0) >= r.$lt || klineId('BTCX', T0) < r.$gte).toBe(true);
  });
});

describe('kline documents', () => {
  test('carry every field with decimals as Decimal128 and times as Date', () => {
    const k = makeKline('BTCUSDT', T0);

    const doc = klineDocument(k, '1m');

    expect(doc).toStrictEqual({
      _id: `BTCUSDT#${T0}`,
      symbol: 'BTCUSDT',
      openTime: new Date(T0),
      closeTime: new Date(T0 + 59_999),
      open: Decimal128.fromString(k.open),
      high: Decimal128.fromString(k.high),
      low: Decimal128.fromString(k.low),
      close: Decimal128.fromString(k.close),
      volume: Decimal128.fromString(k.volume),
      quoteVolume: Decimal128.fromString(k.quoteVolume),
      trades: k.trades,
      takerBuyBaseVolume: Decimal128.fromString(k.takerBuyBaseVolume),
      takerBuyQuoteVolume: Decimal128.fromString(k.takerBuyQuoteVolume),
    });
  });

  test('read back through BSON to the identical kline, sourceCount included', () => {
    for (const k of [makeKline('BTCUSDT', T0), { ...makeKline('ETHBTC', T0, '15m'), sourceCount: 14 }]) {
      const interval = k.interval as '1m' | '15m';
      const wire = BSON.deserialize(BSON.serialize(klineDocument(k, interval)), { promoteValues: true });

      expect(klineFromDocument(wire as ReturnType<typeof klineDocument>, 'spot', interval)).toStrictEqual(k);
    }
  });

  test('a 1m document has no sourceCount and the BSON size the field list implies', () => {
    // BSON: 4-byte length + elements + 0; element = type byte + name + 0 + value.
    const element = (name: string, valueBytes: number) => 1 + name.length + 1 + valueBytes;
    const id = `BTCUSDT#${T0}`;
    const expected =
      4 +
      element('_id', 4 + id.length + 1) +
      element('symbol', 4 + 'BTCUSDT'.length + 1) +
      element('openTime', 8) +
      element('closeTime', 8) +
      ['open', 'high', 'low', 'close', 'volume', 'quoteVolume', 'takerBuyBaseVolume', 'takerBuyQuoteVolume'].reduce((sum, f) => sum + element(f, 16), 0) +
      element('trades', 4) +
      1;

    const doc = klineDocument({ ...makeKline('BTCUSDT', T0), sourceCount: 1 }, '1m');

    expect(doc).not.toHaveProperty('sourceCount');
    expect(BSON.calculateObjectSize(doc)).toBe(expected);
    expect(BSON.serialize(doc).length).toBe(expected);
  });
});

describe('bulk operations', () => {
  test('an upsert replaces the whole document by _id and does not resend _id in the replacement', () => {
    const k = makeKline('BTCUSDT', T0);
    const { _id, ...replacement } = klineDocument(k, '1m');

    expect(klineUpsertOperation(k, '1m')).toStrictEqual({ replaceOne: { filter: { _id }, replacement, upsert: true } });
  });

  test('a bulk maps each operation back to its batch index', () => {
    const batch = [makeKline('A', T0), makeKline('B', T0), makeKline('C', T0)];

    const bulk = klineBulk(batch, [0, 2], '1m');

    expect(bulk.batchIndexes).toStrictEqual([0, 2]);
    expect(bulk.operations.map((o) => ('replaceOne' in o ? o.replaceOne.filter._id : undefined))).toStrictEqual([`A#${T0}`, `C#${T0}`]);
  });

  test('a market status is inserted only if absent', () => {
    expect(marketStatusOperation({ marketType: 'spot', symbol: 'BTCUSDT', status: 'BREAK', at: T0 })).toStrictEqual({
      updateOne: {
        filter: { _id: `BTCUSDT#${T0}#BREAK` },
        update: { $setOnInsert: { marketType: 'spot', symbol: 'BTCUSDT', status: 'BREAK', at: new Date(T0) } },
        upsert: true,
      },
    });
  });
});

describe('range filters', () => {
  test('every market: an openTime window', () => {
    expect(klineRangeFilter(T0, T0 + 60_000)).toStrictEqual({ openTime: { $gte: new Date(T0), $lt: new Date(T0 + 60_000) } });
  });

  test('given markets: one _id range each, sorted and deduplicated', () => {
    expect(klineRangeFilter(T0, T0 + 60_000, ['ETH', 'BTC', 'ETH'])).toStrictEqual({
      $or: [{ _id: klineIdRange('BTC', T0, T0 + 60_000) }, { _id: klineIdRange('ETH', T0, T0 + 60_000) }],
    });
    expect(klineRangeFilter(T0, T0 + 60_000, [])).toStrictEqual({ _id: { $in: [] } });
  });
});

describe('retentionSeconds', () => {
  test('turns days into seconds and refuses nonsense', () => {
    expect(retentionSeconds(undefined)).toBeUndefined();
    expect(retentionSeconds(30)).toBe(30 * 86_400);
    expect(() => retentionSeconds(0)).toThrow(/positive integer/);
  });
});

describe('kline document of an unusual kline', () => {
  test('keeps a zero-trade minute exactly', () => {
    const k: Kline = { ...makeKline('BTCUSDT', T0), trades: 0, volume: '0.00000000', quoteVolume: '0.00000000', takerBuyBaseVolume: '0.00000000' };

    expect(klineFromDocument(klineDocument(k, '1m'), 'spot', '1m')).toStrictEqual(k);
  });
});

describe('sortSymbols', () => {
  test('orders by UTF-8 bytes like the server, without duplicates', () => {
    // U+FF21 (fullwidth A) is one UTF-16 unit above a surrogate pair in JS order, but below it in UTF-8.
    const astral = '\u{1F600}USDT';
    const fullwidth = '\uFF21USDT';

    expect(sortSymbols([astral, 'BTC', fullwidth, 'BTC'])).toStrictEqual(['BTC', fullwidth, astral]);
    expect([astral, fullwidth].sort()).toStrictEqual([astral, fullwidth]);
  });
});
