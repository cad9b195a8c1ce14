import type { Kline } from '../../../core/kline';
import { assertMarketEvents, prepareBatch, significantDigits, storeProblem } from '../../../core/store/batch';
import { T0, makeKline } from './fixtures';

describe('storeProblem', () => {
  test('accepts a sound kline of the interval', () => {
    expect(storeProblem('1m', makeKline('BTCUSDT', T0))).toBeUndefined();
  });

  test.each<[string, Partial<Kline>, RegExp]>([
    ['a kline of another interval', { interval: '5m', closeTime: T0 + 300_000 - 1, sourceCount: 5 }, /cannot be stored as 1m/],
    ['a symbol with a space', { symbol: 'BTC USDT' }, /symbol/],
    ['a symbol with the key separator', { symbol: 'BTC#USDT' }, /symbol/],
    ['an open time before 2001', { openTime: 60_000, closeTime: 119_999 }, /storable years/],
    ['a decimal Decimal128 would round', { volume: '1.2345678901234567890123456789012345' }, /34 significant digits/],
    ['high below low', { high: '1.00000000' }, /high/],
    ['a price with a leading zero (Decimal128 would store 0.5)', { open: '00.5' }, /open has a leading zero/],
    ['an unknown provenance', { source: 'stream' as never }, /source "stream" is not one of rest, dump/],
    ['a provenance on a resampled interval', { interval: '5m', closeTime: T0 + 300_000 - 1, sourceCount: 5, source: 'rest' }, /cannot be stored as 1m|only 1m/],
  ])('refuses %s', (_name, change, reason) => {
    expect(storeProblem('1m', { ...makeKline('BTCUSDT', T0), ...change })).toMatch(reason);
  });

  test('accepts the provenances rest and dump on 1m', () => {
    expect(storeProblem('1m', { ...makeKline('BTCUSDT', T0), source: 'rest' })).toBeUndefined();
    expect(storeProblem('1m', { ...makeKline('BTCUSDT', T0), source: 'dump' })).toBeUndefined();
  });

  test('refuses a provenance on a resampled kline: bars are built, not captured', () => {
    expect(storeProblem('5m', { ...makeKline('BTCUSDT', T0, '5m'), source: 'rest' })).toMatch(/source is recorded on 1m klines only/);
  });

  test('refuses a resampled kline without sourceCount', () => {
    const { sourceCount: _dropped, ...k } = makeKline('BTCUSDT', T0, '5m');

    expect(storeProblem('5m', k)).toMatch(/sourceCount/);
  });

  test('refuses something that is not a kline without throwing', () => {
    expect(storeProblem('1m', null as unknown as Kline)).toMatch(/not a kline/);
  });
});

describe('significantDigits', () => {
  test('counts digits without leading zeros, keeping trailing ones', () => {
    expect(['0.00000001', '90000000000.00000000', '0', '0.0'].map(significantDigits)).toStrictEqual([1, 19, 1, 1]);
  });
});

describe('prepareBatch', () => {
  test('remembers every earlier kline a winner replaces', () => {
    const a = makeKline('BTCUSDT', T0);

    expect(prepareBatch('1m', [a, { ...a }, { ...a }]).replaced).toStrictEqual(new Map([[2, [0, 1]]]));
  });

  test('keeps the last kline per key, in batch order, and reports refusals by index', () => {
    const a = makeKline('BTCUSDT', T0);
    const b = makeKline('BTCUSDT', T0 + 60_000);
    const bad = { ...a, low: '99999999.00000000' };
    const a2 = { ...a, volume: '2.00000000' };

    expect(prepareBatch('1m', [a, b, bad, a2])).toStrictEqual({
      accepted: [1, 3],
      failures: [{ index: 2, reason: expect.stringMatching(/low|high|outside/) }],
      replaced: new Map([[3, [0]]]),
    });
  });
});

describe('prepareBatch on one market in ascending order (the key map skipped)', () => {
  const run = Array.from({ length: 6 }, (_, i) => makeKline('BTCUSDT', T0 + i * 60_000));

  test('accepts every sound kline in order and refuses the unsound ones by index', () => {
    const batch = run.map((k, i) => (i === 2 ? { ...k, high: '0.00000001' } : i === 4 ? { ...k, symbol: 'BTC USDT' } : k));
    const prepared = prepareBatch('1m', batch);
    expect(prepared.accepted).toStrictEqual([0, 1, 3, 5]);
    expect(prepared.failures.map((f) => f.index)).toStrictEqual([2, 4]);
    expect(prepared.replaced).toStrictEqual(new Map());
  });

  test('gives what the key map gives, which a repeated minute or a second market still takes', () => {
    // The same klines, once ascending (fast path) and once with a repeat appended (map path).
    const fast = prepareBatch('1m', run);
    const withRepeat = prepareBatch('1m', [...run, { ...run[5] }]);
    expect(fast.accepted).toStrictEqual([0, 1, 2, 3, 4, 5]);
    expect(withRepeat.accepted).toStrictEqual([0, 1, 2, 3, 4, 6]);
    expect(withRepeat.replaced).toStrictEqual(new Map([[6, [5]]]));
    const twoMarkets = prepareBatch('1m', [run[0], { ...run[0], marketType: 'usdm' }, run[1]]);
    expect([twoMarkets.accepted, twoMarkets.failures]).toStrictEqual([[0, 1, 2], []]);
  });
});

describe('assertMarketEvents', () => {
  test('accepts sound events and throws on a malformed one, naming it', () => {
    expect(() => assertMarketEvents([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }])).not.toThrow();
    expect(() => assertMarketEvents([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'OPEN' as 'TRADING', at: T0 }])).toThrow(/"OPEN"/);
    expect(() => assertMarketEvents([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'HALT', at: 1.5 }])).toThrow(TypeError);
  });
});
