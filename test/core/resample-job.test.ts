import { sumDecimals } from '../../core/decimal';
import type { Kline } from '../../core/kline';
import {
  DEFAULT_RESAMPLE_OPTIONS,
  HOUR_MS,
  marketsBehind,
  planResampleCycle,
  readResampleOptions,
  rebuildRange,
  runResampleCycle,
  type ResampleOptions,
} from '../../core/resample-job';
import type { StoredInterval } from '../../core/interval';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { makeKline, makeSeries, MINUTE, T0 } from './store/fixtures';

const ALL_TIME = { from: 0, to: Number.MAX_SAFE_INTEGER };

async function memoryStore(): Promise<SqliteKlineStore> {
  const store = new SqliteKlineStore(':memory:');
  await store.init();
  return store;
}

async function bars(store: SqliteKlineStore, interval: StoredInterval): Promise<Kline[]> {
  return store.read({ marketType: 'spot', interval, ...ALL_TIME });
}

const openTimes = (klines: readonly Kline[]) => klines.map((k) => k.openTime);

/** One minute past `minutes` after T0, with the default 30 s grace. */
const at = (minutes: number, seconds = 40) => T0 + minutes * MINUTE + seconds * 1000;

describe('planResampleCycle', () => {
  it('counts a window as closed only once now − grace has passed its end', () => {
    // Prepare: 10:05:20 with a 30 s grace is 10:04:50, so 10:00–10:05 is still open.
    const before = T0 + 10 * HOUR_MS + 5 * MINUTE + 20_000;
    const after = before + 15_000;

    // Act
    const open = planResampleCycle(before);
    const closed = planResampleCycle(after);

    // Assess
    expect(open.closedEnd).toBe(T0 + 10 * HOUR_MS);
    expect(closed.closedEnd).toBe(T0 + 10 * HOUR_MS + 5 * MINUTE);
  });

  it('starts the recent range `lookback` before the closed end, aligned down to the hour, and catch-up before it', () => {
    // Act
    const plan = planResampleCycle(T0 + 10 * HOUR_MS + 36 * MINUTE);

    // Assess: closed end 10:35, minus 2 h = 08:35, aligned down = 08:00.
    expect(plan.recent).toStrictEqual({ from: T0 + 8 * HOUR_MS, to: T0 + 10 * HOUR_MS + 35 * MINUTE });
    expect(plan.catchUpHorizon).toStrictEqual({ from: T0 - 4 * HOUR_MS, to: T0 + 8 * HOUR_MS });
  });

  it('rejects intervals that do not divide an hour', () => {
    expect(() => planResampleCycle(T0, { ...DEFAULT_RESAMPLE_OPTIONS, intervals: ['5m', '2h' as '1h'] })).toThrow(/does not divide an hour/);
  });
});

describe('readResampleOptions', () => {
  it('reads each setting from the environment and names a bad one', () => {
    const options = readResampleOptions({ RESAMPLE_LOOKBACK_MINUTES: '90', RESAMPLE_CATCHUP_HOURS_PER_RUN: '2', RESAMPLE_GRACE_SECONDS: '45' });
    expect(options.lookbackMs).toBe(90 * MINUTE);
    expect(options.catchUpMaxHoursPerRun).toBe(2);
    expect(options.graceMs).toBe(45_000);
    expect(() => readResampleOptions({ RESAMPLE_CATCHUP_HORIZON_HOURS: 'lots' })).toThrow(/RESAMPLE_CATCHUP_HORIZON_HOURS/);
  });
});

describe('marketsBehind', () => {
  it('flags markets with more 1m klines than their bars were built from, never fewer', () => {
    // Prepare
    const counts = new Map([
      ['FULL', 60],
      ['STALE', 60],
      ['NOBAR', 3],
      ['EXPIRED', 10],
    ]);
    const hourBars = [
      { ...makeKline('FULL', T0, '1h'), sourceCount: 60 },
      { ...makeKline('STALE', T0, '1h'), sourceCount: 30 },
      { ...makeKline('EXPIRED', T0, '1h'), sourceCount: 60 },
    ];

    // Act
    const behind = marketsBehind(counts, hourBars);

    // Assess
    expect(behind).toStrictEqual(['NOBAR', 'STALE']);
  });
});

describe('runResampleCycle', () => {
  let store: SqliteKlineStore;

  beforeEach(async () => {
    store = await memoryStore();
  });

  afterEach(async () => {
    await store.close();
  });

  it('builds the closed windows only, with bars equal to the sum of their minutes', async () => {
    // Prepare: 13 minutes 00:00–00:12 of two markets; at 00:12:40 the 5m windows 00:00 and 00:05 have closed.
    const minutes = makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 13);
    await store.upsert('1m', minutes);

    // Act
    const result = await runResampleCycle(store, at(12));

    // Assess
    const fives = await bars(store, '5m');
    expect(fives.map((b) => [b.symbol, b.openTime])).toStrictEqual([
      ['BTCUSDT', T0],
      ['BTCUSDT', T0 + 5 * MINUTE],
      ['ETHUSDT', T0],
      ['ETHUSDT', T0 + 5 * MINUTE],
    ]);
    const first = fives[0];
    const sources = minutes.filter((k) => k.symbol === 'BTCUSDT' && k.openTime < T0 + 5 * MINUTE);
    expect(first.sourceCount).toBe(5);
    expect(first.volume).toBe(sumDecimals(sources.map((k) => k.volume)));
    expect(first.open).toBe(sources[0].open);
    expect(first.close).toBe(sources[4].close);
    expect(await bars(store, '15m')).toStrictEqual([]);
    expect(await bars(store, '1h')).toStrictEqual([]);
    expect(result.byInterval['5m']).toStrictEqual({ computed: 4, written: 4, failed: 0 });
    expect(result.barsWritten).toBe(4);
  });

  it('includes a late minute on the next run', async () => {
    // Prepare: 00:03 arrives after the run that closed 00:00–00:05.
    const minutes = makeSeries(['BTCUSDT'], T0, 5);
    const late = minutes[3];
    await store.upsert('1m', minutes.filter((k) => k !== late));
    await runResampleCycle(store, at(5));
    const before = (await bars(store, '5m'))[0];
    await store.upsert('1m', [late]);

    // Act
    await runResampleCycle(store, at(10));

    // Assess
    const after = (await bars(store, '5m'))[0];
    expect(before.sourceCount).toBe(4);
    expect(after.sourceCount).toBe(5);
    expect(after.volume).toBe(sumDecimals(minutes.map((k) => k.volume)));
  });

  it('records in sourceCount how many minutes each bar was built from', async () => {
    // Prepare: one hour with minutes 10–19 missing.
    const hour = makeSeries(['BTCUSDT'], T0, 60).filter((k) => k.openTime < T0 + 10 * MINUTE || k.openTime >= T0 + 20 * MINUTE);
    await store.upsert('1m', hour);

    // Act
    await runResampleCycle(store, at(61));

    // Assess
    const byInterval = async (interval: StoredInterval) => (await bars(store, interval)).map((b) => b.sourceCount);
    expect(await byInterval('1h')).toStrictEqual([50]);
    expect(await byInterval('30m')).toStrictEqual([20, 30]);
    expect(await byInterval('15m')).toStrictEqual([10, 10, 15, 15]);
    expect((await byInterval('5m')).filter((n) => n !== 5)).toStrictEqual([]);
    expect(await byInterval('5m')).toHaveLength(10);
  });

  it('writes nothing on a second run over the same minutes', async () => {
    // Prepare
    await store.upsert('1m', makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 70));
    const first = await runResampleCycle(store, at(70));
    const snapshot = await bars(store, '15m');

    // Act
    const second = await runResampleCycle(store, at(70));

    // Assess
    expect(first.barsWritten).toBeGreaterThan(0);
    expect(second.barsComputed).toBe(first.barsComputed);
    expect(second.barsWritten).toBe(0);
    expect(await bars(store, '15m')).toStrictEqual(snapshot);
  });

  it('gives the same bars whatever the chunk size', async () => {
    // Prepare
    const minutes = makeSeries(['AUSDT', 'BUSDT', 'CUSDT'], T0, 130);
    await store.upsert('1m', minutes);
    const other = await memoryStore();
    await other.upsert('1m', minutes);

    // Act
    const oneByOne = await runResampleCycle(store, at(130), { ...DEFAULT_RESAMPLE_OPTIONS, marketsPerChunk: 1, sliceMs: HOUR_MS });
    const together = await runResampleCycle(other, at(130));

    // Assess
    expect(oneByOne.chunks).toBe(3 * 3); // 3 markets × 3 one-hour slices (00:00, 01:00, 02:00–02:10)
    expect(together.chunks).toBe(2); // one chunk × two 2-hour slices
    for (const interval of ['5m', '15m', '30m', '1h'] as const) expect(await bars(store, interval)).toStrictEqual(await bars(other, interval));
    await other.close();
  });

  describe('catch-up after an outage', () => {
    const options: ResampleOptions = { ...DEFAULT_RESAMPLE_OPTIONS, catchUpMaxHoursPerRun: 3 };
    // The resampler was down for 10 hours while minutes kept arriving; at 10:01 it runs again.
    const now = at(10 * 60 + 1);

    beforeEach(async () => {
      await store.upsert('1m', makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 10 * 60));
    });

    it('rebuilds at most the configured hours per run, oldest first', async () => {
      // Act
      const run = await runResampleCycle(store, now, options);

      // Assess: the recent range is 08:00–10:00; catch-up takes 00:00, 01:00, 02:00.
      expect(run.range).toStrictEqual({ from: T0 + 8 * HOUR_MS, to: T0 + 10 * HOUR_MS });
      expect(run.catchUp).toStrictEqual([0, 1, 2].map((h) => ({ marketType: 'spot', range: { from: T0 + h * HOUR_MS, to: T0 + (h + 1) * HOUR_MS }, markets: 2 })));
      expect(openTimes((await bars(store, '1h')).filter((b) => b.symbol === 'BTCUSDT'))).toStrictEqual([0, 1, 2, 8, 9].map((h) => T0 + h * HOUR_MS));
    });

    it('drains the backlog over successive runs, then stops rebuilding', async () => {
      // Act
      const runs = [];
      for (let i = 0; i < 4; i++) runs.push(await runResampleCycle(store, now, options));

      // Assess
      expect(runs.map((r) => r.catchUp.length)).toStrictEqual([3, 3, 2, 0]);
      const hourBars = await bars(store, '1h');
      expect(hourBars).toHaveLength(2 * 10);
      expect(hourBars.every((b) => b.sourceCount === 60)).toBe(true);
      expect(await bars(store, '5m')).toHaveLength(2 * 10 * 12);
    });
  });

  it('rebuilds an old hour for the one market whose minutes were backfilled after its bar was built', async () => {
    // Prepare: ETHUSDT lacks 00:30–00:59 when the bars are built; hours later the ingest backfills it.
    const btc = makeSeries(['BTCUSDT'], T0, 6 * 60);
    const eth = makeSeries(['ETHUSDT'], T0, 6 * 60);
    const backfill = eth.filter((k) => k.openTime >= T0 + 30 * MINUTE && k.openTime < T0 + HOUR_MS);
    await store.upsert('1m', [...btc, ...eth.filter((k) => !backfill.includes(k))]);
    await rebuildRange(store, { from: T0, to: T0 + 6 * HOUR_MS }, at(6 * 60));
    const staleBar = (await bars(store, '1h')).find((b) => b.symbol === 'ETHUSDT' && b.openTime === T0);
    await store.upsert('1m', backfill);

    // Act
    const run = await runResampleCycle(store, at(6 * 60 + 1));

    // Assess
    expect(staleBar?.sourceCount).toBe(30);
    expect(run.catchUp).toStrictEqual([{ marketType: 'spot', range: { from: T0, to: T0 + HOUR_MS }, markets: 1 }]);
    const fixed = (await bars(store, '1h')).find((b) => b.symbol === 'ETHUSDT' && b.openTime === T0);
    expect(fixed?.sourceCount).toBe(60);
    expect(fixed?.volume).toBe(sumDecimals(eth.slice(0, 60).map((k) => k.volume)));
  });

  it('never rebuilds bars whose 1m klines have expired', async () => {
    // Prepare: a full 1h bar from earlier, only half its minutes still stored.
    const full = { ...makeKline('BTCUSDT', T0, '1h'), sourceCount: 60 };
    await store.upsert('1h', [full]);
    await store.upsert('1m', makeSeries(['BTCUSDT'], T0 + 30 * MINUTE, 30));

    // Act
    const run = await runResampleCycle(store, at(6 * 60));

    // Assess
    expect(run.catchUp).toStrictEqual([]);
    expect(await bars(store, '1h')).toStrictEqual([full]);
  });
});

describe('rebuildRange', () => {
  it('widens the range to whole hours and builds only what has closed', async () => {
    // Prepare
    const store = await memoryStore();
    await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 150));

    // Act: asked for 00:20–01:10; now is 02:20:40, so both hours have closed.
    const result = await rebuildRange(store, { from: T0 + 20 * MINUTE, to: T0 + 70 * MINUTE }, at(140));

    // Assess
    expect(result.range).toStrictEqual({ from: T0, to: T0 + 2 * HOUR_MS });
    expect(openTimes(await bars(store, '1h'))).toStrictEqual([T0, T0 + HOUR_MS]);
    await store.close();
  });

  it('refuses a range longer than one invocation may build', async () => {
    const store = await memoryStore();
    await expect(rebuildRange(store, { from: T0, to: T0 + 30 * HOUR_MS }, T0 + 40 * HOUR_MS)).rejects.toThrow(/at most 24 h/);
    await store.close();
  });
});
