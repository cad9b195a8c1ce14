import { alignUp, gapsFromOpenTimes } from '../../../core/store/gaps';

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
