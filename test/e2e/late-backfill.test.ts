/**
 * End to end (issue 9, "Proof"): the local pipeline stays exact after a late backfill hours old.
 * An hour of one market's 1m klines is held back from the store while the pipeline runs (the
 * writer is told they were stored), so the resampler builds the bars around it from some of their
 * minutes; after the run the held klines are written, hours late, as a backfill or an import would
 * write them. The next resampler run rebuilds exactly those windows, and every 1m kline and bar
 * equals the simulated world: 0 missing, 0 duplicated, 0 differing.
 */
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import type { KlineStore, TimeRange, UpsertResult } from '../../core/store/port';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { createLogger } from '../../core/logger';
import { startLocalPipeline } from '../../bin/local/pipeline';
import { checkAgainstSimulator } from '../../bin/local/sim-check';
import { VENUES } from '../../core/binance/venues';
import { startSimulator, type Simulator } from '../../sim';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait';

const SPEED = 360;
const SIM_HOURS = 4;
const HOUR = 60 * MINUTE_MS;
const START = Date.UTC(2026, 0, 5);

/**
 * The store with one market's 1m klines in `hold.range` kept out of it (the writer is told they
 * were stored) and collected in `held`: they reach the store later, as a late backfill.
 */
function holdingBack(store: KlineStore, symbol: string): { store: KlineStore; hold: { range?: TimeRange }; held: Kline[] } {
  const hold: { range?: TimeRange } = {};
  const held: Kline[] = [];
  const isHeld = (k: Kline) => k.symbol === symbol && hold.range !== undefined && k.openTime >= hold.range.from && k.openTime < hold.range.to;
  const upsert = async (interval: Parameters<KlineStore['upsert']>[0], klines: readonly Kline[]): Promise<UpsertResult> => {
    if (interval !== '1m' || !klines.some(isHeld)) return store.upsert(interval, klines);
    const passed: number[] = [];
    klines.forEach((k, i) => (isHeld(k) ? held.push(k) : passed.push(i)));
    const result = await store.upsert(interval, passed.map((i) => klines[i]));
    return { written: result.written, failures: result.failures.map((f) => ({ ...f, index: passed[f.index] })) };
  };
  const wrapped = new Proxy(store, {
    get: (target, key) => {
      if (key === 'upsert') return upsert;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, hold, held };
}

describe('local pipeline: a late backfill hours old', () => {
  let sim: Simulator;
  let store: SqliteKlineStore;

  afterAll(async () => {
    await sim?.close();
    await store?.close();
  });

  it('rebuilds the partial bars it completes, and the store equals the simulated world', async () => {
    // Prepare
    sim = await startSimulator({ markets: 20, speed: SPEED, seed: 9, startTime: START });
    const symbol = sim.symbols(START)[3];
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    const late = holdingBack(store, symbol);
    const reportsDir = mkdtempSync(join(tmpdir(), 'kline-late-'));
    const pipeline = await startLocalPipeline({
      store: late.store,
      venues: [{ venue: VENUES.spot, restUrl: sim.restUrl, streamUrl: sim.streamUrl }],
      exchangeNow: () => sim.now(),
      speed: SPEED,
      reportEveryMinutes: 0,
      reportsDir,
      logger: createLogger({ level: 'silent' }),
      deadLetterFile: join(reportsDir, 'dead-letter.jsonl'),
    });
    const runUntil = pipeline.startedAt + SIM_HOURS * HOUR;
    // 60 minutes across an hour boundary: both hours' bars (and the 5m … 30m bars at the edges)
    // are first built from some of their minutes only.
    const firstWholeHour = Math.ceil(pipeline.startedAt / HOUR) * HOUR;
    late.hold.range = { from: firstWholeHour + 17 * MINUTE_MS, to: firstWholeHour + 77 * MINUTE_MS };
    const hours = { marketType: 'spot' as const, interval: '1h' as const, symbols: [symbol], from: firstWholeHour, to: firstWholeHour + 2 * HOUR };

    // Act: run, let the resampler build what it has, then the backfill and the next scheduled run.
    await waitFor(() => sim.now() >= runUntil, (SIM_HOURS * 3_600_000) / SPEED + 30_000);
    await waitFor(() => (pipeline.status().ingest.caughtUpTo ?? 0) >= runUntil - 2 * MINUTE_MS, 30_000, () => pipeline.status().ingest);
    await pipeline.stop();
    await pipeline.resampleNow({ graceMs: 0 });
    const before = await store.read(hours);
    const lateBy = sim.now() - late.hold.range.to;
    expect((await store.upsert('1m', late.held)).failures).toEqual([]);
    await pipeline.resampleNow({ graceMs: 0 });

    // Assess
    expect(new Set(late.held.map((k) => k.openTime)).size).toBe(60);
    expect(lateBy).toBeGreaterThan(1.5 * HOUR);
    expect(before.map((b) => b.sourceCount)).toEqual([17, 43]);
    expect((await store.read(hours)).map((b) => b.sourceCount)).toEqual([60, 60]);
    const range = { from: pipeline.startedAt, to: pipeline.status().ingest.caughtUpTo! + MINUTE_MS };
    const check = await checkAgainstSimulator(sim, store, range);
    expect(check.oneMinute).toMatchObject({ missing: 0, duplicated: 0, differing: 0, unexpected: 0, examples: [] });
    for (const r of check.resampled) expect({ interval: r.interval, ...r.comparison }).toMatchObject({ missing: 0, differing: 0, duplicated: 0, unexpected: 0, examples: [] });
    expect(check.barsChecked).toBeGreaterThan(20 * SIM_HOURS * 12 * 0.9);
  }, 120_000);
});
