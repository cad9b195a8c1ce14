import { alignUp, gapsFromOpenTimes } from '../../../core/store/gaps';
import { gapsFromEdges } from '../../../core/store/mongo-documents';

const M = 60_000;
const range = { from: 10 * M, to: 20 * M };

describe('gapsFromOpenTimes', () => {
  test('a complete range has no gaps', () => {
    const times = Array.from({ length: 10 }, (_, i) => (10 + i) * M);

    expect(gapsFromOpenTimes(times, range, M)).toStrictEqual([]);
  });

  test('no stored kline gives the whole range as one gap', () => {
    expect(gapsFromOpenTimes([], range, M)).toStrictEqual([range]);
  });

  test('finds gaps at the start, middle and end as merged half-open ranges', () => {
    const times = [12, 13, 14, 17, 18].map((m) => m * M);

    expect(gapsFromOpenTimes(times, range, M)).toStrictEqual([
      { from: 10 * M, to: 12 * M },
      { from: 15 * M, to: 17 * M },
      { from: 19 * M, to: 20 * M },
    ]);
  });

  test('ignores duplicates, unaligned and out-of-range open times', () => {
    const times = [5 * M, 10 * M, 10 * M, 11 * M + 5, 12 * M, 25 * M];

    expect(gapsFromOpenTimes(times, range, M)).toStrictEqual([
      { from: 11 * M, to: 12 * M },
      { from: 13 * M, to: 20 * M },
    ]);
  });

  test('an unaligned range expects only the aligned open times inside it', () => {
    expect(gapsFromOpenTimes([11 * M], { from: 10 * M + 1, to: 12 * M + 1 }, M)).toStrictEqual([{ from: 12 * M, to: 13 * M }]);
  });

  test('an empty range has no gaps', () => {
    expect(gapsFromOpenTimes([], { from: 10 * M, to: 10 * M }, M)).toStrictEqual([]);
  });
});

describe('alignUp', () => {
  test('rounds up to the next multiple and keeps multiples', () => {
    expect([alignUp(0, M), alignUp(1, M), alignUp(M, M)]).toStrictEqual([0, M, M]);
  });
});

describe('weekly windows (Monday 00:00 UTC, as Binance opens its 1w klines)', () => {
  const W = 7 * 86_400_000;
  const monday = Date.UTC(2025, 2, 3); // Monday 2025-03-03
  const weeks = (n: number) => Array.from({ length: n }, (_, i) => monday + i * W);

  test('four stored Monday weeks leave no gap in a range of four weeks', () => {
    expect(new Date(monday).getUTCDay()).toBe(1);
    expect(gapsFromOpenTimes(weeks(4), { from: monday, to: monday + 4 * W }, W)).toStrictEqual([]);
  });

  test('a missing week is a gap from its Monday to the next', () => {
    const stored = weeks(4).filter((_, i) => i !== 2);

    expect(gapsFromOpenTimes(stored, { from: monday, to: monday + 4 * W }, W)).toStrictEqual([{ from: monday + 2 * W, to: monday + 3 * W }]);
  });

  test('a range starting mid-week expects the next Monday; a Thursday-aligned (epoch) open time is not a week', () => {
    const thursday = monday + 3 * 86_400_000;

    expect(alignUp(monday + 1, W)).toBe(monday + W);
    expect(alignUp(monday, W)).toBe(monday);
    expect(gapsFromOpenTimes([thursday, monday + W], { from: monday - 86_400_000, to: monday + 2 * W }, W)).toStrictEqual([{ from: monday, to: monday + W }]);
  });

  test('every other interval keeps epoch alignment (4h, 1d)', () => {
    const H4 = 4 * 3_600_000;
    expect(alignUp(Date.UTC(2025, 2, 3, 1), H4)).toBe(Date.UTC(2025, 2, 3, 4));
    expect(gapsFromOpenTimes([Date.UTC(2025, 2, 4)], { from: Date.UTC(2025, 2, 3), to: Date.UTC(2025, 2, 5) }, 86_400_000)).toStrictEqual([
      { from: Date.UTC(2025, 2, 3), to: Date.UTC(2025, 2, 4) },
    ]);
  });

  test('a step no interval has is refused, naming it', () => {
    expect(() => gapsFromOpenTimes([], range, 7 * M)).toThrow(/no kline interval is 420000 ms long/);
  });
});

describe('the MongoDB gap search with weekly windows', () => {
  test('server-side edges give the same Monday-aligned gaps as the open-time walk', () => {
    const W = 7 * 86_400_000;
    const monday = Date.UTC(2025, 2, 3);
    const stored = [monday, monday + W, monday + 3 * W];
    const edges = stored.map((t, i) => ({ symbol: 'BTC', openTime: new Date(t), previous: i === 0 ? null : new Date(stored[i - 1]), next: i === stored.length - 1 ? null : new Date(stored[i + 1]) }));
    const range = { from: monday - 86_400_000, to: monday + 5 * W };

    expect(gapsFromEdges(edges, range, W, ['BTC']).get('BTC')).toStrictEqual(gapsFromOpenTimes(stored, range, W));
    expect(gapsFromOpenTimes(stored, range, W)).toStrictEqual([
      { from: monday + 2 * W, to: monday + 3 * W },
      { from: monday + 4 * W, to: monday + 5 * W },
    ]);
  });
});
