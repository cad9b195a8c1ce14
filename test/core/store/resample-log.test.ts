import { StoreUnavailableError } from '../../../core/errors';
import { minuteRuns } from '../../../core/store/resample-log';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { makeKline, makeSeries, MINUTE, T0 } from './fixtures';

describe('minuteRuns', () => {
  it('merges consecutive minutes per market, any order, duplicates once', () => {
    const klines = [
      makeKline('B', T0 + 5 * MINUTE),
      makeKline('A', T0 + MINUTE),
      makeKline('A', T0),
      makeKline('A', T0 + MINUTE),
      makeKline('A', T0 + 3 * MINUTE),
      { ...makeKline('A', T0), marketType: 'usdm' as const },
    ];
    expect(minuteRuns(klines, klines.keys())).toStrictEqual([
      { marketType: 'spot', symbol: 'A', from: T0, to: T0 + 2 * MINUTE },
      { marketType: 'spot', symbol: 'A', from: T0 + 3 * MINUTE, to: T0 + 4 * MINUTE },
      { marketType: 'spot', symbol: 'B', from: T0 + 5 * MINUTE, to: T0 + 6 * MINUTE },
      { marketType: 'usdm', symbol: 'A', from: T0, to: T0 + MINUTE },
    ]);
    expect(minuteRuns(klines, [])).toStrictEqual([]);
  });

  it('reads a one-market ascending batch (a dump file) in one pass, gaps kept, and falls back for anything else', () => {
    const a = [T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 5 * MINUTE, T0 + 6 * MINUTE].map((t) => makeKline('A', t));
    const runs = [
      { marketType: 'spot', symbol: 'A', from: T0, to: T0 + 3 * MINUTE },
      { marketType: 'spot', symbol: 'A', from: T0 + 5 * MINUTE, to: T0 + 7 * MINUTE },
    ];
    expect(minuteRuns(a, [0, 1, 2, 3, 4])).toStrictEqual(runs);
    // Out of order, repeated, a round-1 kline without a market type (spot), another type: the general path.
    expect(minuteRuns(a, [3, 0, 1, 4, 2, 0])).toStrictEqual(runs);
    const { marketType: _, ...roundOne } = a[1];
    expect(minuteRuns([a[0], roundOne as typeof a[0], a[2]], [0, 1, 2])).toStrictEqual([{ marketType: 'spot', symbol: 'A', from: T0, to: T0 + 3 * MINUTE }]);
    expect(minuteRuns([a[0], { ...a[1], marketType: 'coinm' }, a[2]], [0, 1, 2])).toStrictEqual([
      { marketType: 'coinm', symbol: 'A', from: T0 + MINUTE, to: T0 + 2 * MINUTE },
      { marketType: 'spot', symbol: 'A', from: T0, to: T0 + MINUTE },
      { marketType: 'spot', symbol: 'A', from: T0 + 2 * MINUTE, to: T0 + 3 * MINUTE },
    ]);
  });
});

describe('SQLite resample log', () => {
  let store: SqliteKlineStore;

  beforeEach(async () => {
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
  });

  afterEach(async () => {
    await store.close();
  });

  it('logs the minutes a 1m upsert changed, one entry per batch, and nothing for resampled intervals', async () => {
    const first = makeSeries(['BTCUSDT'], T0, 10);
    await store.upsert('1m', first);
    await store.upsert('1m', [...first.slice(0, 5), { ...first[7], volume: '9.00000000' }]);
    await store.upsert('5m', makeSeries(['BTCUSDT'], T0, 1, '5m'));

    const log = await store.readResampleLog(10);

    expect(log.map((e) => e.runs)).toStrictEqual([
      [{ marketType: 'spot', symbol: 'BTCUSDT', from: T0, to: T0 + 10 * MINUTE }],
      [{ marketType: 'spot', symbol: 'BTCUSDT', from: T0 + 7 * MINUTE, to: T0 + 8 * MINUTE }],
    ]);
    expect(Number(log[0].id)).toBeLessThan(Number(log[1].id));
  });

  it('settles: deletes what was consumed and keeps what was carried over, in one step', async () => {
    await store.upsert('1m', makeSeries(['A'], T0, 1));
    await store.upsert('1m', makeSeries(['B'], T0, 1));
    const [a, b] = await store.readResampleLog(10);
    const carried = { marketType: 'spot' as const, symbol: 'A', from: T0 + MINUTE, to: T0 + 5 * MINUTE };

    await store.settleResampleLog([a.id], [carried]);

    expect((await store.readResampleLog(10)).map((e) => e.runs)).toStrictEqual([b.runs, [carried]]);
    await expect(store.readResampleLog(0)).rejects.toThrow(/limit must be a positive integer/);
  });

  it('stores a kline only together with its log entry', async () => {
    // The log table is gone (a damaged file): the write fails as a whole.
    (store as unknown as { db: { exec(sql: string): void } }).db.exec('DROP TABLE resample_log');

    await expect(store.upsert('1m', makeSeries(['BTCUSDT'], T0, 3))).rejects.toBeInstanceOf(StoreUnavailableError);

    expect(await store.read({ marketType: 'spot', interval: '1m', from: 0, to: Number.MAX_SAFE_INTEGER })).toStrictEqual([]);
  });

  it('keeps one watermark per market type and interval, the last written', async () => {
    await store.writeResampleState([
      { marketType: 'spot', interval: '5m', watermark: T0 },
      { marketType: 'usdm', interval: '5m', watermark: T0 + MINUTE },
    ]);
    await store.writeResampleState([{ marketType: 'spot', interval: '5m', watermark: T0 + 5 * MINUTE }]);

    const state = await store.readResampleState();

    expect(state.sort((x, y) => x.marketType.localeCompare(y.marketType))).toStrictEqual([
      { marketType: 'spot', interval: '5m', watermark: T0 + 5 * MINUTE },
      { marketType: 'usdm', interval: '5m', watermark: T0 + MINUTE },
    ]);
  });
});
