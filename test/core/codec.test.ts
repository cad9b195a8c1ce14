import { CODEC_VERSION, decodeBatch, encodeBatch, MAX_BODY_BYTES, type IngestBatch } from '../../core/codec';
import { CodecError } from '../../core/errors';
import type { Kline } from '../../core/kline';
import type { MarketStatusEvent } from '../../core/market';
import { rng } from '../fixtures/trades';

const T0 = Date.UTC(2025, 5, 1);

function kline(symbol: string, minute: number, over: Partial<Kline> = {}): Kline {
  const openTime = T0 + minute * 60_000;
  return { marketType: 'spot', symbol, interval: '1m', openTime, closeTime: openTime + 59_999, open: '1.00000000', high: '1.50000000', low: '0.50000000', close: '1.20000000', volume: '10.00000000', quoteVolume: '12.00000000', trades: 3, takerBuyBaseVolume: '4.00000000', takerBuyQuoteVolume: '4.80000000', ...over };
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const keyOf = (k: Kline) => `${k.symbol}|${k.interval}|${k.openTime}`;
const byKey = (ks: Kline[]) => [...ks].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));

function decodeAll(bodies: string[]): IngestBatch {
  const out: IngestBatch = { klines: [], marketEvents: [] };
  for (const body of bodies) {
    const b = decodeBatch(body);
    out.klines.push(...b.klines);
    out.marketEvents.push(...b.marketEvents);
  }
  return out;
}

describe('codec round trip', () => {
  it('returns Binance’s extreme decimals unchanged', () => {
    // Prepare
    const klines = [kline('BTCUSDT', 0, { open: '0.00000001', low: '0.00000001', high: '123456789.12345678', close: '123456789.12345678', volume: '90000000000.00000000' })];
    // Act
    const [body] = encodeBatch({ klines, marketEvents: [] });
    // Assess
    expect(decodeBatch(body).klines).toEqual(klines);
  });

  it('carries market events, Unicode symbols, gaps, unordered minutes and resampled bars', () => {
    const events: MarketStatusEvent[] = [{ marketType: 'spot', symbol: '币安人生USDT', status: 'TRADING', at: T0 }, { marketType: 'spot', symbol: 'OLDBTC', status: 'DELISTED', at: T0 + 5 }];
    const klines = [
      kline('币安人生USDT', 0),
      kline('币安人生USDT', 7),
      kline('ETHUSDT', 3),
      kline('币安人生USDT', 2), // earlier than the previous one of its market
      { ...kline('ETHUSDT', 0), interval: '5m', closeTime: T0 + 299_999, sourceCount: 4 },
    ];
    const decoded = decodeAll(encodeBatch({ klines, marketEvents: events }));
    expect(decoded.marketEvents).toEqual(events);
    expect(byKey(decoded.klines)).toEqual(byKey(klines));
  });

  it('gives no body for an empty batch', () => {
    expect(encodeBatch({ klines: [], marketEvents: [] })).toEqual([]);
  });

  it('writes the version first and names the format compactly', () => {
    const [body] = encodeBatch({ klines: [kline('A', 0)], marketEvents: [] });
    expect(JSON.parse(body).v).toBe(CODEC_VERSION);
    expect(body).not.toMatch(/closeTime|"open"/);
  });
});

describe('codec splitting', () => {
  it('packs 20,000 klines into bodies of at most 256 KiB, each filled close to the limit', () => {
    // Prepare: Unicode symbols make bytes ≠ characters
    const random = rng(1);
    const klines: Kline[] = [];
    for (let s = 0; s < 400; s++) for (let m = 0; m < 50; m++) klines.push(kline(`市场${s}USDT`, m, { trades: Math.floor(random() * 1e6) }));
    // Act
    const bodies = encodeBatch({ klines, marketEvents: [] });
    // Assess
    for (const body of bodies) expect(bytes(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    for (const body of bodies.slice(0, -1)) expect(bytes(body)).toBeGreaterThan(MAX_BODY_BYTES - 300);
    expect(byKey(decodeAll(bodies).klines)).toEqual(byKey(klines));
  });

  it('splits market events and klines under a small limit without losing one', () => {
    const events: MarketStatusEvent[] = Array.from({ length: 40 }, (_, i) => ({ marketType: 'spot', symbol: `S${i}`, status: 'TRADING', at: T0 + i }));
    const klines = Array.from({ length: 60 }, (_, i) => kline(`S${i % 7}`, i));
    const bodies = encodeBatch({ klines, marketEvents: events }, 1000);
    expect(bodies.length).toBeGreaterThan(5);
    for (const body of bodies) expect(bytes(body)).toBeLessThanOrEqual(1000);
    const decoded = decodeAll(bodies);
    expect(decoded.marketEvents).toEqual(events);
    expect(byKey(decoded.klines)).toEqual(byKey(klines));
  });

  it('refuses a kline that cannot fit in any body', () => {
    expect(() => encodeBatch({ klines: [kline('A', 0)], marketEvents: [] }, 100)).toThrow(CodecError);
  });
});

describe('decodeBatch rejects what it cannot trust', () => {
  const good = encodeBatch({ klines: [kline('A', 0), kline('A', 1)], marketEvents: [{ marketType: 'spot', symbol: 'A', status: 'TRADING', at: T0 }] })[0];
  const edit = (f: (o: { v: unknown; m: unknown[]; g: [string, string, number, string[]][] }) => void) => {
    const o = JSON.parse(good);
    f(o);
    return JSON.stringify(o);
  };

  it.each<[string, string, RegExp]>([
    ['a body that is not JSON', '{"v":1,"g":[', /body is not JSON/],
    ['a truncated body', good.slice(0, good.length - 3), /body is not JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['an unknown version', edit((o) => (o.v = 2)), /unknown version 2/],
    ['a missing version', edit((o) => delete (o as { v?: unknown }).v), /unknown version missing/],
  ])('rejects %s as a whole, naming the problem', (_name, body, expected) => {
    expect(() => decodeBatch(body)).toThrow(CodecError);
    expect(() => decodeBatch(body)).toThrow(expected);
  });

  // Each bad item is rejected alone: the second group (B) and the good event always come through.
  const withB = (f: (o: { v: unknown; m: unknown[]; g: [string, string, number, string[]][] }) => void) =>
    edit((o) => {
      o.g.push(['B', '1m', T0, ['0,1,1,1,1,1,1,1,0,0']]);
      o.m.push(['B', 'TRADING', T0]);
      f(o);
    });
  it.each<[string, string, RegExp, number]>([
    ['a second kline with high < low', withB((o) => (o.g[0][3][1] = '1,1.0,0.5,0.9,0.7,1,1,1,0,0')), /kline spot A 1m at \d+: high 0.5 < low 0.9/, 1],
    ['a row with a field too few', withB((o) => (o.g[0][3][0] = '0,1,1,1,1,1,1,1,1')), /kline spot A 1m at \d+: expected 10 or 11 fields, got 9/, 1],
    ['a non-decimal volume', withB((o) => (o.g[0][3][0] = '0,1,1,1,1,1e3,1,1,0,0')), /kline spot A .*volume is not a decimal: "1e3"/, 1],
    ['a negative step (the rows after it are lost too)', withB((o) => (o.g[0][3][1] = '-1,1,1,1,1,1,1,1,0,0')), /group #0 \(spot A\) row #1: step is not a non-negative integer/, 1],
    ['a group with an unknown interval', withB((o) => (o.g[0][1] = '7m')), /group #0: unknown interval "7m"/, 0],
    ['a group without rows', withB((o) => (o.g[0][3] = [])), /group #0: rows is not a non-empty array/, 0],
    ['a group whose symbol has a space', withB((o) => (o.g[0][0] = 'A B')), /group #0: symbol "A B" contains " "/, 0],
    ['a group whose symbol has a control character', withB((o) => (o.g[0][0] = 'A\u0007')), /group #0: symbol "A\\u0007" contains/, 0],
  ])('rejects %s alone, naming the problem, and keeps the rest', (_name, body, expected, aKlinesKept) => {
    const decoded = decodeBatch(body);
    expect(decoded.rejected).toHaveLength(1);
    expect(decoded.rejected[0].reason).toMatch(expected);
    expect(decoded.klines.filter((k) => k.symbol === 'A')).toHaveLength(aKlinesKept);
    expect(decoded.klines.filter((k) => k.symbol === 'B')).toHaveLength(1);
    expect(decoded.marketEvents.map((e) => e.symbol)).toStrictEqual(['A', 'B']);
  });

  it.each<[string, unknown[], RegExp]>([
    ['an unknown status', ['X', 'OPEN', T0], /market event #2: unknown status "OPEN"/],
    ['a symbol with "!"', ['X!', 'TRADING', T0], /market event #2: symbol "X!" contains "!"/],
    ['a symbol with a quote', ['X"Y', 'TRADING', T0], /market event #2: symbol .* contains/],
    ['a symbol with ":"', ['spot:X', 'TRADING', T0], /contains ":"/],
  ])('rejects a market event with %s alone', (_name, event, expected) => {
    const decoded = decodeBatch(withB((o) => o.m.push(event)));
    expect(decoded.rejected).toHaveLength(1);
    expect(decoded.rejected[0]).toMatchObject({ kind: 'event' });
    expect(decoded.rejected[0].reason).toMatch(expected);
    expect(decoded.marketEvents.map((e) => e.symbol)).toStrictEqual(['A', 'B']);
    expect(decoded.klines).toHaveLength(3);
  });
});

describe('market types in the codec', () => {
  // Written by round 1's encodeBatch (commit 6bfccad), before market types existed.
  const ROUND_1_BODY =
    '{"v":1,"m":[["BTCUSDT","TRADING",1748735999995]],"g":[["BTCUSDT","1m",1748736000000,["0,1.00000000,1.50000000,0.50000000,1.20000000,10.00000000,12.00000000,3,4.00000000,4.80000000","1,1.00000000,1.50000000,0.50000000,1.30000000,10.00000000,12.00000000,3,4.00000000,4.80000000"]],["ETHBTC","1m",1748736000000,["0,1.00000000,1.50000000,0.50000000,0.90000000,10.00000000,12.00000000,3,4.00000000,4.80000000"]]]}';

  it('decodes a recorded round-1 body as spot', () => {
    const decoded = decodeBatch(ROUND_1_BODY);

    expect(decoded.rejected).toStrictEqual([]);
    expect(decoded.marketEvents).toStrictEqual([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 - 5 }]);
    expect(decoded.klines).toStrictEqual([kline('BTCUSDT', 0), kline('BTCUSDT', 1, { close: '1.30000000' }), kline('ETHBTC', 0, { close: '0.90000000' })]);
  });

  it('encodes a spot batch byte for byte as round 1 did', () => {
    const klines = [kline('BTCUSDT', 0), kline('BTCUSDT', 1, { close: '1.30000000' }), kline('ETHBTC', 0, { close: '0.90000000' })];

    const bodies = encodeBatch({ klines, marketEvents: [{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 - 5 }] });

    expect(bodies).toStrictEqual([ROUND_1_BODY]);
  });

  it('keeps BTCUSDT spot, USDⓈ-M and COIN-M apart through a round trip, with their own prices and events', () => {
    // Prepare: the same symbol and minutes in three types, interleaved
    const spot = [kline('BTCUSDT', 0), kline('BTCUSDT', 1)];
    const usdm = spot.map((k) => ({ ...k, marketType: 'usdm' as const, close: '1.40000000' }));
    const coinm = spot.map((k) => ({ ...k, marketType: 'coinm' as const, close: '0.60000000' }));
    const events: MarketStatusEvent[] = [
      { marketType: 'usdm', symbol: 'BTCUSDT', status: 'SETTLING', at: T0 },
      { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
      { marketType: 'coinm', symbol: 'BTCUSDT', status: 'DELIVERED', at: T0 },
    ];
    // Act
    const bodies = encodeBatch({ klines: [spot[0], usdm[0], coinm[0], spot[1], usdm[1], coinm[1]], marketEvents: events });
    const decoded = decodeAll(bodies);
    // Assess
    const ofType = (t: string) => decoded.klines.filter((k) => k.marketType === t);
    expect(ofType('spot')).toStrictEqual(spot);
    expect(ofType('usdm')).toStrictEqual(usdm);
    expect(ofType('coinm')).toStrictEqual(coinm);
    expect(decoded.marketEvents).toStrictEqual(events);
    // One group per type: the type is written once per group, only for futures.
    const parsed = JSON.parse(bodies[0]) as { g: unknown[][]; m: unknown[][] };
    expect(parsed.g.map((g) => g[4])).toStrictEqual([undefined, 'usdm', 'coinm']);
    expect(parsed.m.map((e) => e[3])).toStrictEqual(['usdm', undefined, 'coinm']);
  });

  it('rejects a group or an event of an unknown market type alone, keeping the rest', () => {
    const body = JSON.parse(encodeBatch({ klines: [kline('A', 0), kline('B', 0)], marketEvents: [{ marketType: 'spot', symbol: 'A', status: 'TRADING', at: T0 }, { marketType: 'usdm', symbol: 'B', status: 'TRADING', at: T0 }] })[0]);
    body.g[0].push('margin');
    body.m[1][3] = 'options';

    const decoded = decodeBatch(JSON.stringify(body));

    expect(decoded.klines.map((k) => k.symbol)).toStrictEqual(['B']);
    expect(decoded.marketEvents.map((e) => e.symbol)).toStrictEqual(['A']);
    expect(decoded.rejected.map((r) => r.reason)).toStrictEqual([
      expect.stringMatching(/market event #1: unknown market type "options"/),
      expect.stringMatching(/group #0: unknown market type "margin"/),
    ]);
  });
});

describe('provenance in the codec', () => {
  it('round-trips each source: stream (absent), REST backfill and dump, mixed within one market', () => {
    // Prepare
    const klines = [kline('BTCUSDT', 0), kline('BTCUSDT', 1, { source: 'rest' }), kline('BTCUSDT', 2, { source: 'dump' }), kline('BTCUSDT', 3), kline('ETHBTC', 0, { marketType: 'usdm', source: 'rest' })];
    // Act
    const bodies = encodeBatch({ klines, marketEvents: [] });
    const decoded = decodeAll(bodies);
    // Assess
    expect(byKey(decoded.klines)).toStrictEqual(byKey(klines));
    expect(decoded.klines.filter((k) => k.source === undefined).map((k) => k.openTime)).toStrictEqual([T0, T0 + 3 * 60_000]);
    expect('source' in decoded.klines.find((k) => k.openTime === T0 && k.symbol === 'BTCUSDT')!).toBe(false);
  });

  it('costs two bytes per non-stream row and nothing on stream rows', () => {
    const stream = [kline('BTCUSDT', 0), kline('BTCUSDT', 1)];
    const [plain] = encodeBatch({ klines: stream, marketEvents: [] });
    const [rest] = encodeBatch({ klines: stream.map((k) => ({ ...k, source: 'rest' as const })), marketEvents: [] });
    const [dump] = encodeBatch({ klines: [stream[0], { ...stream[1], source: 'dump' as const }], marketEvents: [] });

    expect(bytes(rest) - bytes(plain)).toBe(4);
    expect(bytes(dump) - bytes(plain)).toBe(2);
    expect(JSON.parse(rest).g[0][3][0]).toMatch(/,r$/);
    expect(JSON.parse(dump).g[0][3][1]).toMatch(/,d$/);
  });

  it('keeps a split body exact to the limit with sources on the rows', () => {
    const klines = Array.from({ length: 400 }, (_, i) => kline(`S${i % 7}`, Math.floor(i / 7), i % 3 === 0 ? { source: 'rest' } : {}));
    const bodies = encodeBatch({ klines, marketEvents: [] }, 2_000);
    expect(bodies.length).toBeGreaterThan(1);
    for (const b of bodies) expect(bytes(b)).toBeLessThanOrEqual(2_000);
    expect(byKey(decodeAll(bodies).klines)).toStrictEqual(byKey(klines));
  });

  it('decodes a body written before provenance travelled as stream klines (the round-1 shape above)', () => {
    const body = encodeBatch({ klines: [kline('BTCUSDT', 0)], marketEvents: [] })[0];
    const decoded = decodeBatch(body);
    expect(decoded.klines[0].source).toBeUndefined();
    expect(decoded.rejected).toStrictEqual([]);
  });

  it('rejects a row with an unknown source code alone, keeping its group’s other rows at their times', () => {
    const body = JSON.parse(encodeBatch({ klines: [kline('A', 0), kline('A', 1), kline('A', 2, { source: 'rest' })], marketEvents: [] })[0]);
    body.g[0][3][1] += ',x';

    const decoded = decodeBatch(JSON.stringify(body));

    expect(decoded.klines.map((k) => [k.openTime, k.source])).toStrictEqual([
      [T0, undefined],
      [T0 + 2 * 60_000, 'rest'],
    ]);
    expect(decoded.rejected.map((r) => r.reason)).toStrictEqual([expect.stringMatching(/at \d+: unknown source code "x"/)]);
  });

  it('does not read a resampled bar’s count as a source', () => {
    const bar = { ...kline('A', 0), interval: '5m', closeTime: T0 + 299_999, sourceCount: 5 };
    const decoded = decodeAll(encodeBatch({ klines: [bar], marketEvents: [] }));
    expect(decoded.klines).toStrictEqual([bar]);
  });
});
