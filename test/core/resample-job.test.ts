import { sumDecimals } from '../../core/decimal';
import { StoreUnavailableError } from '../../core/errors';
import { intervalMs, STORED_RESAMPLED_INTERVALS, type StoredInterval } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { resample } from '../../core/resample';
import {
  barsToWrite,
  budgetWindows,
  coveringWindows,
  DEFAULT_RESAMPLE_OPTIONS,
  HOUR_MS,
  lateRanges,
  readResampleOptions,
  rebuildRange,
  runResampleCycle,
  sweepSpan,
  type ResampleOptions,
} from '../../core/resample-job';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { makeKline, makeSeries, MINUTE, T0 } from './store/fixtures';

const ALL_TIME = { from: 0, to: Number.MAX_SAFE_INTEGER };
const LEVELS = ['5m', '15m', '30m', '1h'] as const;

async function memoryStore(): Promise<SqliteKlineStore> {
  const store = new SqliteKlineStore(':memory:');
  await store.applySchema();
  return store;
}

async function bars(store: SqliteKlineStore, interval: StoredInterval): Promise<Kline[]> {
  return store.read({ marketType: 'spot', interval, ...ALL_TIME });
}

/** Every stored bar equals resampling all stored 1m klines, for the windows before `until`. */
async function expectBarsEqualTruth(store: SqliteKlineStore, until: number, levels: readonly StoredInterval[] = LEVELS): Promise<void> {
  const minutes = await bars(store, '1m');
  for (const interval of levels) {
    const ms = intervalMs(interval);
    const truth = resample(minutes, interval).filter((b) => b.openTime + ms <= until);
    const stored = (await bars(store, interval)).filter((b) => b.openTime + ms <= until);
    expect({ interval, bars: stored }).toStrictEqual({ interval, bars: truth });
  }
}

const openTimes = (klines: readonly Kline[]) => klines.map((k) => k.openTime);

/** The levels up to 1h: the first run starts at the hour, not at Monday (see the full-chain test). */
const HOURLY: ResampleOptions = { ...DEFAULT_RESAMPLE_OPTIONS, intervals: LEVELS };

/** `minutes` after T0 plus 40 s: with the default 30 s grace, windows up to that minute have closed. */
const at = (minutes: number, seconds = 40) => T0 + minutes * MINUTE + seconds * 1000;

describe('readResampleOptions', () => {
  it('reads each setting from the environment and names a bad one', () => {
    const options = readResampleOptions({ RESAMPLE_MAX_SWEEP_HOURS: '3', RESAMPLE_MAX_LATE_WINDOWS: '20', RESAMPLE_GRACE_SECONDS: '45' });
    expect(options.maxSweepMs).toBe(3 * HOUR_MS);
    expect(options.maxLateWindowsPerRun).toBe(20);
    expect(options.graceMs).toBe(45_000);
    expect(() => readResampleOptions({ RESAMPLE_INITIAL_LOOKBACK_MINUTES: 'lots' })).toThrow(/RESAMPLE_INITIAL_LOOKBACK_MINUTES/);
  });

  it('refuses levels that do not build on each other', async () => {
    const store = await memoryStore();
    await expect(runResampleCycle(store, T0, { ...DEFAULT_RESAMPLE_OPTIONS, intervals: ['15m', '20m' as '30m'] })).rejects.toThrow(/20m is not a multiple/);
    await expect(runResampleCycle(store, T0, { ...DEFAULT_RESAMPLE_OPTIONS, marketsPerChunk: 0 })).rejects.toThrow(/marketsPerChunk/);
    await store.close();
  });
});

describe('planning helpers', () => {
  const options = { ...DEFAULT_RESAMPLE_OPTIONS, maxSweepMs: HOUR_MS };

  it('sweeps a level up to its last closed window and the watermark of the level below', () => {
    const w = new Map([
      ['5m', T0 + 20 * MINUTE],
      ['15m', T0],
    ]);
    // 00:37:20 − 30 s grace: 5m windows up to 00:35 have closed; 15m only up to 00:15 (the 5m watermark is 00:20).
    expect(sweepSpan('5m', '1m', w, T0 + 37 * MINUTE + 20_000, options)).toStrictEqual({ from: T0 + 20 * MINUTE, to: T0 + 35 * MINUTE });
    expect(sweepSpan('15m', '5m', w, T0 + 37 * MINUTE + 20_000, options)).toStrictEqual({ from: T0, to: T0 + 15 * MINUTE });
    // Nothing closed yet.
    expect(sweepSpan('5m', '1m', w, T0 + 25 * MINUTE + 20_000, options)).toBeUndefined();
  });

  it('splits log runs at the watermark and keeps only the late part of the market type asked for', () => {
    const runs = [
      { marketType: 'spot' as const, symbol: 'A', from: T0 + 3 * MINUTE, to: T0 + 12 * MINUTE },
      { marketType: 'spot' as const, symbol: 'B', from: T0 + 20 * MINUTE, to: T0 + 21 * MINUTE },
      { marketType: 'usdm' as const, symbol: 'A', from: T0, to: T0 + MINUTE },
    ];
    const late = lateRanges(runs, 'spot', T0 + 10 * MINUTE);
    expect([...late]).toStrictEqual([['A', [{ from: T0 + 3 * MINUTE, to: T0 + 10 * MINUTE }]]]);
    expect([...coveringWindows(late, '5m')]).toStrictEqual([['A', [{ from: T0, to: T0 + 10 * MINUTE }]]]);
    expect([...coveringWindows(late, '15m', T0)]).toStrictEqual([]);
  });

  it('cuts late windows at the per-run budget and carries the rest over as log runs', () => {
    const windows = new Map([
      ['A', [{ from: T0, to: T0 + 15 * MINUTE }]],
      ['B', [{ from: T0, to: T0 + 10 * MINUTE }]],
    ]);
    const { now, carried, count } = budgetWindows(windows, 'spot', 5 * MINUTE, 4);
    expect(count).toBe(4);
    expect([...now]).toStrictEqual([
      ['A', [{ from: T0, to: T0 + 15 * MINUTE }]],
      ['B', [{ from: T0, to: T0 + 5 * MINUTE }]],
    ]);
    expect(carried).toStrictEqual([{ marketType: 'spot', symbol: 'B', from: T0 + 5 * MINUTE, to: T0 + 10 * MINUTE }]);
  });

  it('writes new and changed bars, never one built from fewer minutes unless allowed', () => {
    const stored = { ...makeKline('A', T0, '1h'), sourceCount: 60 };
    const same = { ...stored };
    const fewer = { ...stored, volume: '1.00000000', sourceCount: 30 };
    const more = { ...stored, volume: '2.00000000', sourceCount: 60, trades: stored.trades + 1 };
    const fresh = { ...makeKline('B', T0, '1h'), sourceCount: 60 };
    expect(barsToWrite([same, fresh], [stored], false)).toStrictEqual({ write: [fresh], keptFewer: 0 });
    expect(barsToWrite([fewer], [stored], false)).toStrictEqual({ write: [], keptFewer: 1 });
    expect(barsToWrite([fewer], [stored], true)).toStrictEqual({ write: [fewer], keptFewer: 0 });
    expect(barsToWrite([more], [stored], false)).toStrictEqual({ write: [more], keptFewer: 0 });
    // The same value written with other trailing zeros is no change.
    expect(barsToWrite([{ ...stored, volume: `${stored.volume}00` }], [stored], false).write).toStrictEqual([]);
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
    const result = await runResampleCycle(store, at(12), HOURLY);

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
    expect(result.byInterval['5m']).toStrictEqual({ computed: 4, written: 4, failed: 0, keptFewer: 0 });
    expect(result.klinesRead).toBe(20); // the minutes of the closed windows, no more
    expect(result.watermarks.find((w) => w.marketType === 'spot' && w.interval === '5m')?.watermark).toBe(T0 + 10 * MINUTE);
  });

  it('reads each minute once over consecutive runs and writes each window once', async () => {
    // Prepare: minutes arrive as time passes; a run every 5 minutes for two hours.
    const all = makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 120);
    let klinesRead = 0;
    let barsWritten = 0;

    // Act
    for (let m = 5; m <= 120; m += 5) {
      await store.upsert('1m', all.filter((k) => k.openTime >= T0 + (m - 5) * MINUTE && k.openTime < T0 + m * MINUTE));
      const r = await runResampleCycle(store, at(m, 50), HOURLY);
      klinesRead += r.klinesRead;
      barsWritten += r.barsWritten;
    }

    // Assess
    expect(klinesRead).toBe(all.length);
    expect(barsWritten).toBe(2 * (24 + 8 + 4 + 2));
    await expectBarsEqualTruth(store, T0 + 2 * HOUR_MS);
  });

  it('records in sourceCount how many minutes each bar was built from', async () => {
    // Prepare: one hour with minutes 10–19 missing.
    const hour = makeSeries(['BTCUSDT'], T0, 60).filter((k) => k.openTime < T0 + 10 * MINUTE || k.openTime >= T0 + 20 * MINUTE);
    await store.upsert('1m', hour);

    // Act
    await runResampleCycle(store, at(61), HOURLY);

    // Assess
    const byInterval = async (interval: StoredInterval) => (await bars(store, interval)).map((b) => b.sourceCount);
    expect(await byInterval('1h')).toStrictEqual([50]);
    expect(await byInterval('30m')).toStrictEqual([20, 30]);
    expect(await byInterval('15m')).toStrictEqual([10, 10, 15, 15]);
    expect((await byInterval('5m')).filter((n) => n !== 5)).toStrictEqual([]);
    expect(await byInterval('5m')).toHaveLength(10);
  });

  it('reads and writes nothing on a second run with nothing new', async () => {
    // Prepare
    await store.upsert('1m', makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 70));
    const first = await runResampleCycle(store, at(70), HOURLY);
    const snapshot = await bars(store, '15m');

    // Act
    const second = await runResampleCycle(store, at(70), HOURLY);

    // Assess
    expect(first.barsWritten).toBeGreaterThan(0);
    expect(second).toMatchObject({ klinesRead: 0, barsRead: 0, barsWritten: 0, logEntries: 0 });
    expect(await bars(store, '15m')).toStrictEqual(snapshot);
  });

  it('ignores a redelivered batch: identical minutes leave no log entry and no work', async () => {
    // Prepare
    const minutes = makeSeries(['BTCUSDT'], T0, 30);
    await store.upsert('1m', minutes);
    await runResampleCycle(store, at(30), HOURLY);

    // Act
    await store.upsert('1m', minutes);
    const again = await runResampleCycle(store, at(31), HOURLY);

    // Assess
    expect(await store.readResampleLog(10)).toStrictEqual([]);
    expect(again).toMatchObject({ klinesRead: 0, barsWritten: 0 });
  });

  describe('late minutes', () => {
    it('rebuilds a window when one of its minutes arrives after the run that built it', async () => {
      // Prepare: 00:03 arrives after the run that closed 00:00–00:05.
      const minutes = makeSeries(['BTCUSDT'], T0, 5);
      const late = minutes[3];
      await store.upsert('1m', minutes.filter((k) => k !== late));
      await runResampleCycle(store, at(5), HOURLY);
      const before = (await bars(store, '5m'))[0];
      await store.upsert('1m', [late]);

      // Act
      const run = await runResampleCycle(store, at(6), HOURLY);

      // Assess
      const after = (await bars(store, '5m'))[0];
      expect(before.sourceCount).toBe(4);
      expect(after.sourceCount).toBe(5);
      expect(after.volume).toBe(sumDecimals(minutes.map((k) => k.volume)));
      expect(run).toMatchObject({ lateWindows: 1, klinesRead: 5, logEntries: 1 });
      expect(await store.readResampleLog(10)).toStrictEqual([]);
    });

    it('rebuilds only the windows and parents a backfill hours old touched, for the market it touched', async () => {
      // Prepare: ETHUSDT lacks 00:30–00:59 when the bars are built; hours later the ingest backfills it.
      const btc = makeSeries(['BTCUSDT'], T0, 6 * 60);
      const eth = makeSeries(['ETHUSDT'], T0, 6 * 60);
      const backfill = eth.filter((k) => k.openTime >= T0 + 30 * MINUTE && k.openTime < T0 + HOUR_MS);
      await store.upsert('1m', [...btc, ...eth.filter((k) => !backfill.includes(k))]);
      await runResampleCycle(store, at(6 * 60), HOURLY);
      const staleBar = (await bars(store, '1h')).find((b) => b.symbol === 'ETHUSDT' && b.openTime === T0);
      await store.upsert('1m', backfill);

      // Act
      const run = await runResampleCycle(store, at(6 * 60 + 1), HOURLY);

      // Assess: six 5m windows rebuilt from their 30 minutes, then 2 × 15m, 1 × 30m, 1 × 1h.
      expect(staleBar?.sourceCount).toBe(30);
      expect(run).toMatchObject({ lateWindows: 6, klinesRead: 30 });
      expect(run.byInterval).toMatchObject({ '5m': { written: 6 }, '15m': { written: 2 }, '30m': { written: 1 }, '1h': { written: 1 } });
      const fixed = (await bars(store, '1h')).find((b) => b.symbol === 'ETHUSDT' && b.openTime === T0);
      expect(fixed?.sourceCount).toBe(60);
      expect(fixed?.volume).toBe(sumDecimals(eth.slice(0, 60).map((k) => k.volume)));
      await expectBarsEqualTruth(store, T0 + 6 * HOUR_MS);
    });

    it('leaves a parent whose level has not passed it yet to the sweep', async () => {
      // Prepare: the 5m level has passed 00:10, the 15m level has not passed 00:00–00:15.
      const minutes = makeSeries(['BTCUSDT'], T0, 15);
      await store.upsert('1m', minutes.filter((k) => k.openTime !== T0 + 2 * MINUTE));
      await runResampleCycle(store, at(10), HOURLY);
      await store.upsert('1m', [minutes[2]]);

      // Act
      await runResampleCycle(store, at(11), HOURLY);
      const beforeSweep = await bars(store, '15m');
      await runResampleCycle(store, at(15), HOURLY);

      // Assess
      expect(beforeSweep).toStrictEqual([]);
      await expectBarsEqualTruth(store, T0 + 15 * MINUTE);
    });

    it('carries late windows over the per-run budget to the next run', async () => {
      // Prepare
      const minutes = makeSeries(['AUSDT', 'BUSDT'], T0, 60);
      await store.upsert('1m', minutes.filter((k) => k.openTime % (5 * MINUTE) !== 0));
      await runResampleCycle(store, at(60), HOURLY);
      await store.upsert('1m', minutes.filter((k) => k.openTime % (5 * MINUTE) === 0));
      const options: ResampleOptions = { ...HOURLY, maxLateWindowsPerRun: 10 };

      // Act
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await runResampleCycle(store, at(61), options));

      // Assess: 24 late windows, 10 per run.
      expect(runs.map((r) => r.lateWindows)).toStrictEqual([10, 10, 4]);
      expect(await store.readResampleLog(10)).toStrictEqual([]);
      await expectBarsEqualTruth(store, T0 + HOUR_MS);
    });
  });

  describe('outage', () => {
    // The resampler was down for 10 hours while minutes kept arriving; at 10:01 it runs again.
    const options: ResampleOptions = { ...HOURLY, maxSweepMs: 3 * HOUR_MS };

    it('catches up over several runs, a bounded span each, then reads nothing', async () => {
      // Prepare: a first run at 00:00 sets the watermarks; then the outage.
      await runResampleCycle(store, at(0), options);
      await store.upsert('1m', makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 10 * 60));

      // Act
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await runResampleCycle(store, at(10 * 60 + 1), options));

      // Assess: 3 h of 1m per run, at most 2 × 180 minutes read; the coarser levels follow.
      expect(runs.map((r) => r.klinesRead)).toStrictEqual([360, 360, 360, 120, 0]);
      expect(runs.map((r) => Math.round(r.behindMs / HOUR_MS))).toStrictEqual([7, 4, 1, 0, 0]);
      const hourBars = await bars(store, '1h');
      expect(hourBars).toHaveLength(2 * 10);
      expect(hourBars.every((b) => b.sourceCount === 60)).toBe(true);
      await expectBarsEqualTruth(store, T0 + 10 * HOUR_MS);
    });

    it('takes the outage backfill hours later through the log, once', async () => {
      // Prepare: the ingest was down 02:00–05:00 and backfills it at 09:00; the resampler ran throughout.
      const all = makeSeries(['BTCUSDT'], T0, 10 * 60);
      const hole = (k: Kline) => k.openTime >= T0 + 2 * HOUR_MS && k.openTime < T0 + 5 * HOUR_MS;
      for (let h = 1; h <= 9; h++) {
        await store.upsert('1m', all.filter((k) => k.openTime < T0 + h * HOUR_MS && k.openTime >= T0 + (h - 1) * HOUR_MS && !hole(k)));
        await runResampleCycle(store, at(h * 60), HOURLY);
      }
      await store.upsert('1m', all.filter(hole));

      // Act
      const run = await runResampleCycle(store, at(9 * 60 + 1), HOURLY);

      // Assess
      expect(run).toMatchObject({ lateWindows: 36, klinesRead: 180 });
      await expectBarsEqualTruth(store, T0 + 9 * HOUR_MS);
    });
  });

  describe('crashes', () => {
    it('a crash between the bar writes and the log delete re-does the work and completes the parents', async () => {
      // Prepare: a late minute; the store fails while writing the 15m bar (after the 5m bar is written).
      const minutes = makeSeries(['BTCUSDT'], T0, 60);
      await store.upsert('1m', minutes.filter((k) => k.openTime !== T0 + 7 * MINUTE));
      await runResampleCycle(store, at(60), HOURLY);
      await store.upsert('1m', [minutes[7]]);
      const upsert = store.upsert.bind(store);
      const failing = jest.spyOn(store, 'upsert').mockImplementation(async (interval, klines) => {
        if (interval === '15m') throw new StoreUnavailableError('connection lost');
        return upsert(interval, klines);
      });

      // Act
      await expect(runResampleCycle(store, at(61), HOURLY)).rejects.toThrow(StoreUnavailableError);
      failing.mockRestore();
      const logAfterCrash = await store.readResampleLog(10);
      await runResampleCycle(store, at(62), HOURLY);

      // Assess
      expect(logAfterCrash).toHaveLength(1);
      expect((await bars(store, '5m'))[1].sourceCount).toBe(5);
      expect(await store.readResampleLog(10)).toStrictEqual([]);
      await expectBarsEqualTruth(store, T0 + HOUR_MS);
    });

    it('a crash after a sweep wrote bars but before its watermark moved writes nothing twice', async () => {
      // Prepare
      await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 10));
      const write = store.writeResampleState.bind(store);
      const writeState = jest.spyOn(store, 'writeResampleState').mockImplementation(async (w) => {
        if (w.some((x) => x.watermark === T0 + 10 * MINUTE)) throw new StoreUnavailableError('connection lost');
        return write(w);
      });
      await expect(runResampleCycle(store, at(10), HOURLY)).rejects.toThrow(StoreUnavailableError);
      writeState.mockRestore();

      // Act
      const again = await runResampleCycle(store, at(10), HOURLY);

      // Assess: the bars were there already; the sweep found them equal.
      expect(again.barsWritten).toBe(0);
      expect(again.barsComputed).toBeGreaterThan(0);
      expect(await bars(store, '5m')).toHaveLength(2);
    });

    it('keeps watermarks across a restart of the store', async () => {
      // Prepare
      const file = `${require('node:os').tmpdir()}/resample-state-${process.pid}-${Date.now()}.db`;
      const first = new SqliteKlineStore(file);
      await first.applySchema();
      await first.upsert('1m', makeSeries(['BTCUSDT'], T0, 20));
      await runResampleCycle(first, at(20), HOURLY);
      await first.close();

      // Act
      const second = new SqliteKlineStore(file);
      await second.applySchema();
      const run = await runResampleCycle(second, at(20), HOURLY);
      const state = await second.readResampleState();
      await second.close();
      require('node:fs').rmSync(file, { force: true });
      require('node:fs').rmSync(`${file}-wal`, { force: true });
      require('node:fs').rmSync(`${file}-shm`, { force: true });

      // Assess
      expect(run.klinesRead).toBe(0);
      expect(state.find((w) => w.marketType === 'spot' && w.interval === '5m')?.watermark).toBe(T0 + 20 * MINUTE);
    });
  });

  it('builds 4h, 1d and Monday-aligned 1w bars from the level below, and a late minute days old reaches the week', async () => {
    // Prepare: twelve days of one market from Thursday 2024-02-29; the first run of a new store starts at that week's Monday.
    const start = T0 - 24 * HOUR_MS;
    const all = makeSeries(['BTCUSDT'], start, 12 * 24 * 60);
    const lateMinute = all[6 * 24 * 60 + 17];
    await runResampleCycle(store, start);
    await store.upsert('1m', all.filter((k) => k !== lateMinute));
    const end = start + 12 * 24 * HOUR_MS;
    const daily = { ...DEFAULT_RESAMPLE_OPTIONS, maxSweepMs: 24 * HOUR_MS };
    const runs = [];
    for (let i = 0; i < 30 && (runs.length === 0 || runs[runs.length - 1].behindMs > 0); i++) runs.push(await runResampleCycle(store, end + 40_000, daily));
    const weekBefore = (await bars(store, '1w')).map((b) => b.sourceCount);

    // Act
    await store.upsert('1m', [lateMinute]);
    const late = await runResampleCycle(store, end + 60_000, daily);

    // Assess: 24 h with data per run and level; the week 2024-03-04 closed with 7 days of minutes.
    expect(runs.length).toBeGreaterThan(1);
    // The empty days from Monday cost nothing; the first run at 00:00:00 had closed 23:55, so slices start there.
    expect(runs[0].watermarks.find((w) => w.interval === '5m')?.watermark).toBe(start - 5 * MINUTE + 24 * HOUR_MS);
    expect(weekBefore).toStrictEqual([4 * 24 * 60, 7 * 24 * 60 - 1]);
    expect(late).toMatchObject({ lateWindows: 1, klinesRead: 5 });
    expect((await bars(store, '1w'))[1]).toMatchObject({ openTime: Date.UTC(2024, 2, 4), sourceCount: 7 * 24 * 60 });
    await expectBarsEqualTruth(store, end, STORED_RESAMPLED_INTERVALS);
  });

  it('never replaces a bar by one built from fewer minutes (1m retention expired)', async () => {
    // Prepare: a full 1h bar from earlier; only its last 30 minutes are still stored and are re-logged.
    await runResampleCycle(store, at(0), HOURLY);
    const full = { ...makeKline('BTCUSDT', T0, '1h'), sourceCount: 60 };
    await store.upsert('1h', [full]);
    await store.upsert('1m', makeSeries(['BTCUSDT'], T0 + 30 * MINUTE, 30));

    // Act
    const run = await runResampleCycle(store, at(6 * 60), HOURLY);

    // Assess
    expect(run.byInterval['1h']).toMatchObject({ keptFewer: 1, written: 0 });
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

  it('replaces bars by bars built from fewer minutes only when asked', async () => {
    // Prepare
    const store = await memoryStore();
    const full = { ...makeKline('BTCUSDT', T0, '1h'), sourceCount: 60 };
    await store.upsert('1h', [full]);
    await store.upsert('1m', makeSeries(['BTCUSDT'], T0 + 30 * MINUTE, 30));

    // Act
    const kept = await rebuildRange(store, { from: T0, to: T0 + HOUR_MS }, at(120));
    const keptBar = await bars(store, '1h');
    const replaced = await rebuildRange(store, { from: T0, to: T0 + HOUR_MS }, at(120), DEFAULT_RESAMPLE_OPTIONS, { allowFewer: true });

    // Assess
    expect(kept.barsKeptFewer).toBe(1);
    expect(keptBar).toStrictEqual([full]);
    expect(replaced.byInterval['1h']).toMatchObject({ written: 1 });
    expect((await bars(store, '1h'))[0].sourceCount).toBe(30);
    await store.close();
  });

  it('refuses a range longer than one invocation may build', async () => {
    const store = await memoryStore();
    await expect(rebuildRange(store, { from: T0, to: T0 + 30 * HOUR_MS }, T0 + 40 * HOUR_MS)).rejects.toThrow(/at most 24 h/);
    await store.close();
  });
});
