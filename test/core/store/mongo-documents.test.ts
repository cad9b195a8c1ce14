import { BSON, Decimal128 } from 'mongodb';
import type { Kline } from '../../../core/kline';
import { gapsFromOpenTimes } from '../../../core/store/gaps';
import {
  decimalFromText,
  decimalToText,
  gapEdgesPipeline,
  gapsFromEdges,
  klineBulk,
  klineDocument,
  klineFromDocument,
  klineRangeFilter,
  klineUpsertOperation,
  lastOpenTimesPipeline,
  marketStatusOperation,
  sortSymbols,
  type GapEdge,
} from '../../../core/store/mongo-documents';
import { retentionSeconds } from '../../../core/store/mongo-schema';
import { rng } from '../../fixtures/trades';
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

describe('kline documents', () => {
  test('carry every field with decimals as Decimal128 and times as Date', () => {
    const k = makeKline('BTCUSDT', T0);

    const doc = klineDocument(k, '1m');

    expect(doc).toStrictEqual({
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

  test('read back through BSON to the identical kline, sourceCount and provenance included', () => {
    const rest: Kline = { ...makeKline('BTCUSDT', T0), source: 'rest' };
    const dump: Kline = { ...makeKline('BTCUSDT', T0), source: 'dump' };
    for (const k of [makeKline('BTCUSDT', T0), rest, dump, { ...makeKline('ETHBTC', T0, '15m'), sourceCount: 14 }]) {
      const interval = k.interval as '1m' | '15m';
      const wire = BSON.deserialize(BSON.serialize(klineDocument(k, interval)), { promoteValues: true });

      expect(klineFromDocument(wire as ReturnType<typeof klineDocument>, 'spot', interval)).toStrictEqual(k);
    }
  });

  test('provenance is stored as a short string on 1m only; a stream kline has no field at all', () => {
    expect(klineDocument({ ...makeKline('BTCUSDT', T0), source: 'rest' }, '1m').source).toBe('rest');
    expect(klineDocument(makeKline('BTCUSDT', T0), '1m')).not.toHaveProperty('source');
    expect(klineFromDocument({ ...klineDocument(makeKline('BTCUSDT', T0), '1m'), source: 'bogus' as never }, 'spot', '1m')).not.toHaveProperty('source');
  });

  test('a 1m document has no sourceCount and the BSON size the field list implies (the server adds a 12-byte ObjectId _id)', () => {
    // BSON: 4-byte length + elements + 0; element = type byte + name + 0 + value.
    const element = (name: string, valueBytes: number) => 1 + name.length + 1 + valueBytes;
    const expected =
      4 +
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
  test('an upsert replaces the whole document by its natural key, names the unique index and sends no _id', () => {
    const k = makeKline('BTCUSDT', T0);

    expect(klineUpsertOperation(k, '1m')).toStrictEqual({
      replaceOne: { filter: { symbol: 'BTCUSDT', openTime: new Date(T0) }, replacement: klineDocument(k, '1m'), upsert: true, hint: 'symbol_1_openTime_1' },
    });
    expect(klineDocument(k, '1m')).not.toHaveProperty('_id');
  });

  test('a bulk maps each operation back to its batch index', () => {
    const batch = [makeKline('A', T0), makeKline('B', T0), makeKline('C', T0)];

    const bulk = klineBulk(batch, [0, 2], '1m');

    expect(bulk.batchIndexes).toStrictEqual([0, 2]);
    expect(bulk.operations.map((o) => ('replaceOne' in o ? o.replaceOne.filter.symbol : undefined))).toStrictEqual(['A', 'C']);
  });

  test('a market status is inserted only if absent', () => {
    expect(marketStatusOperation({ marketType: 'spot', symbol: 'BTCUSDT', status: 'BREAK', at: T0 })).toStrictEqual({
      updateOne: {
        filter: { _id: `BTCUSDT#${T0}#BREAK` },
        update: { $setOnInsert: { marketType: 'spot', symbol: 'BTCUSDT', status: 'BREAK', at: new Date(T0) } },
        upsert: true,
        hint: { _id: 1 },
      },
    });
  });
});

describe('range filters', () => {
  test('every market: an openTime window', () => {
    expect(klineRangeFilter(T0, T0 + 60_000)).toStrictEqual({ openTime: { $gte: new Date(T0), $lt: new Date(T0 + 60_000) } });
  });

  test('given markets: the index prefix, sorted and deduplicated', () => {
    const openTime = { $gte: new Date(T0), $lt: new Date(T0 + 60_000) };
    expect(klineRangeFilter(T0, T0 + 60_000, ['ETH', 'BTC', 'ETH'])).toStrictEqual({ symbol: { $in: ['BTC', 'ETH'] }, openTime });
    expect(klineRangeFilter(T0, T0 + 60_000, ['ETH'])).toStrictEqual({ symbol: 'ETH', openTime });
    expect(klineRangeFilter(T0, T0 + 60_000, [])).toStrictEqual({ symbol: { $in: [] }, openTime });
  });
});

describe('retentionSeconds', () => {
  test('turns days into seconds, keeps null (no retention) and unset apart, and refuses nonsense', () => {
    expect(retentionSeconds(undefined)).toBeUndefined();
    expect(retentionSeconds(null)).toBeNull();
    expect(retentionSeconds(30)).toBe(30 * 86_400);
    expect(() => retentionSeconds(0)).toThrow(/positive integer/);
    expect(() => retentionSeconds(1.5)).toThrow(/positive integer/);
  });
});

describe('gap search on the server', () => {
  const MIN = 60_000;

  /** What the pipeline's $setWindowFields + $match return for these stored open times (one market). */
  function edgesOf(symbol: string, times: number[], from: number, end: number): GapEdge[] {
    const t = times.filter((x) => x >= from && x < end).sort((a, b) => a - b);
    const rows: GapEdge[] = [];
    t.forEach((x, i) => {
      const previous = i === 0 ? null : t[i - 1];
      const next = i === t.length - 1 ? null : t[i + 1];
      if (previous === null || next === null || x - previous > MIN) {
        rows.push({ symbol, openTime: new Date(x), previous: previous === null ? null : new Date(previous), next: next === null ? null : new Date(next) });
      }
    });
    return rows;
  }

  test('the pipeline matches the aligned range of the given markets and keeps only run edges', () => {
    const pipeline = gapEdgesPipeline({ from: T0 + 1, to: T0 + 10 * MIN + 1 }, MIN, ['ETH', 'BTC']);

    expect(pipeline[0]).toStrictEqual({ $match: { symbol: { $in: ['BTC', 'ETH'] }, openTime: { $gte: new Date(T0 + MIN), $lt: new Date(T0 + 11 * MIN) } } });
    expect(pipeline[1]).toStrictEqual({ $project: { _id: 0, symbol: 1, openTime: 1 } });
    expect(pipeline[2]).toMatchObject({ $setWindowFields: { partitionBy: '$symbol', sortBy: { openTime: 1 } } });
  });

  test('gaps from the edges equal gaps from every open time, on random data', () => {
    const random = rng(9);
    for (let run = 0; run < 500; run++) {
      const range = { from: T0 + Math.floor(random() * 5) * MIN - (random() < 0.3 ? 17 : 0), to: T0 + (20 + Math.floor(random() * 20)) * MIN };
      const stored = Array.from({ length: 45 }, (_, i) => T0 + i * MIN).filter(() => random() < 0.6);
      const from = Math.ceil(range.from / MIN) * MIN;
      const end = Math.ceil(range.to / MIN) * MIN;
      // Edges arrive in no particular order.
      const edges = edgesOf('BTC', stored, from, end).reverse();

      const gaps = gapsFromEdges(edges, range, MIN, ['BTC', 'NONE']);

      expect(gaps.get('BTC')).toStrictEqual(gapsFromOpenTimes(stored, range, MIN));
      expect(gaps.get('NONE')).toStrictEqual(gapsFromOpenTimes([], range, MIN));
    }
  });

  test('an empty range has no gaps; edges of markets not asked for are ignored', () => {
    const edges = edgesOf('XRP', [T0], T0, T0 + MIN);

    expect(gapsFromEdges(edges, { from: T0, to: T0 }, MIN, ['BTC'])).toStrictEqual(new Map([['BTC', []]]));
  });
});

describe('last open times', () => {
  test('walk the index backwards and take each market\'s first document (a DISTINCT_SCAN)', () => {
    expect(lastOpenTimesPipeline()).toStrictEqual([{ $sort: { symbol: -1, openTime: -1 } }, { $group: { _id: '$symbol', last: { $first: '$openTime' } } }]);
    expect(lastOpenTimesPipeline(['B', 'A'])[0]).toStrictEqual({ $match: { symbol: { $in: ['A', 'B'] } } });
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
