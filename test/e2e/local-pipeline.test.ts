/**
 * End to end: the local pipeline (the same ingest, codec, writer, resampler and report code as in
 * AWS) against the simulator on an accelerated clock with every fault on, for several simulated
 * hours and hundreds of markets, including listings, halts and a delisting mid-run.
 */
import { MINUTE_MS } from '../../core/interval';
import { buildQualityReport } from '../../core/report';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { createLogger } from '../../ingest-task/logger';
import { startLocalPipeline } from '../../bin/local/pipeline';
import { checkAgainstSimulator } from '../../bin/local/sim-check';
import { startSimulator, type Simulator } from '../../sim';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// One simulated minute per 167 real ms: fast enough for hours in half a minute, slow enough that a
// loaded CI machine still backfills a gap before the market it belongs to is delisted.
const SPEED = 360;
const SIM_HOURS = 3;
const START = Date.UTC(2026, 0, 5);

/** The generated market names for the seed, from a short-lived simulator. */
async function marketNames(): Promise<string[]> {
  const probe = await startSimulator({ markets: 300, seed: 42, startTime: START });
  const names = probe.symbols(START);
  await probe.close();
  return names;
}

function waitFor(cond: () => boolean, timeoutMs: number, describe: () => unknown = () => ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(t);
        reject(new Error(`timed out: ${JSON.stringify(describe())}`));
      }
    }, 50);
  });
}

describe('local pipeline against the simulator with every fault on', () => {
  let sim: Simulator;
  let store: SqliteKlineStore;

  afterAll(async () => {
    await sim?.close();
    await store?.close();
  });

  it('stores every expected kline exactly once, resamples them exactly and reports the truth', async () => {
    // Prepare: market changes at fixed times after the first half hour (the pipeline's first
    // backfill of 300 markets takes a few real seconds, i.e. tens of minutes at this speed).
    const at = (minutes: number): number => START + minutes * MINUTE_MS;
    const names = await marketNames();
    sim = await startSimulator({
      markets: 300,
      speed: SPEED,
      seed: 42,
      startTime: START,
      faults: ['all'],
      lifecycle: [
        { symbol: 'NEWALPHAUSDT', status: 'TRADING', at: at(40) },
        { symbol: names[10], status: 'HALT', at: at(55) },
        { symbol: names[10], status: 'TRADING', at: at(70) },
        { symbol: 'NEWBETAUSDT', status: 'TRADING', at: at(83) },
        { symbol: names[20], status: 'BREAK', at: at(95) },
        { symbol: names[20], status: 'TRADING', at: at(101) },
        { symbol: names[30], status: 'DELISTED', at: at(118) },
        { symbol: names[40], status: 'HALT', at: at(150) },
      ],
      // Real-time limits shortened like the clock, so the run meets pings, lifetimes (rotation) and weight windows.
      limits: { pingIntervalMs: 1000, pongTimeoutMs: 3000, maxConnectionLifetimeMs: 20_000, weightWindowMs: 1000, shutdownGraceMs: 500 },
    });
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    const reportsDir = mkdtempSync(join(tmpdir(), 'kline-e2e-'));
    const pipeline = await startLocalPipeline({
      store,
      restUrl: sim.restUrl,
      streamUrl: sim.streamUrl,
      exchangeNow: () => sim.now(),
      speed: SPEED,
      reportEveryMinutes: 60,
      reportsDir,
      logger: createLogger({ level: 'silent' }),
      deadLetterFile: join(reportsDir, 'dead-letter.jsonl'),
      // At 360× a real-time second is 6 market minutes, so faults are 360× denser than on Binance:
      // two copies of every stream; stall detection, reconnect backoff and backfill retry shortened with the clock.
      // Minutes a connection misses are backfilled; only the last ones of a market delisted while
      // both copies are down could not be (REST refuses a delisted symbol).
      ingest: {
        streamCopies: 2,
        backoff: { baseMs: 100, capMs: 2000 },
        backfillRetryMs: 250,
        refreshIntervalMs: 400,
        gapCheckIntervalMs: 100,
        connectionTimers: { stallTimeoutMs: 1200, pingTimeoutMs: 7000 },
      },
    });
    const runUntil = pipeline.startedAt + SIM_HOURS * 60 * MINUTE_MS;

    // Act
    await waitFor(() => sim.now() >= runUntil, (SIM_HOURS * 3_600_000) / SPEED + 30_000);
    await waitFor(() => (pipeline.status().ingest.caughtUpTo ?? 0) >= runUntil - 2 * MINUTE_MS, 30_000, () => ({
      ...pipeline.status().ingest,
      runUntil: new Date(runUntil).toISOString(),
      caughtUpTo: new Date(pipeline.status().ingest.caughtUpTo ?? 0).toISOString(),
    }));
    await pipeline.stop();
    await pipeline.resampleNow({ graceMs: 0 });
    const range = { from: pipeline.startedAt, to: pipeline.status().ingest.caughtUpTo! + MINUTE_MS };
    const check = await checkAgainstSimulator(sim, store, range);
    const report = await buildQualityReport(store, range);

    // Assess: 1m klines
    expect(check.oneMinute.examples).toEqual([]);
    expect(check.oneMinute.expected).toBeGreaterThan(300 * (SIM_HOURS * 60 - 5));
    expect(check.oneMinute).toMatchObject({ missing: 0, duplicated: 0, differing: 0, unexpected: 0 });
    // resampled bars, with sourceCount
    for (const r of check.resampled) expect({ interval: r.interval, ...r.comparison, examples: r.comparison.examples }).toMatchObject({ missing: 0, differing: 0, duplicated: 0, unexpected: 0, examples: [] });
    expect(check.barsChecked).toBeGreaterThan(300 * SIM_HOURS * 12);
    // the faults really happened
    const stats = sim.stats();
    expect(stats.connectionsOpened).toBeGreaterThan(1);
    expect(pipeline.status().ingest.gapsFilled).toBeGreaterThan(0);
    expect(stats.maxWeightUsedInWindow).toBeLessThanOrEqual(sim.options.limits.requestWeightPerWindow);
    expect(stats.count418).toBe(0);
    // the report's figures equal the truth's, market by market
    const expected = sim.expectedMinutes(range.from, range.to - 1);
    const perMarket = new Map<string, number>();
    for (const m of expected) perMarket.set(m.symbol, (perMarket.get(m.symbol) ?? 0) + 1);
    expect(report.summary).toMatchObject({
      datapointsExpected: expected.length,
      datapointsPresent: expected.length,
      missingMinutes: 0,
      gapCount: 0,
      marketsExpected: perMarket.size,
      availability: 1,
    });
    const reported = new Map(report.markets.map((m) => [m.symbol, m.expected]));
    const changed = new Set(sim.marketHistory().filter((e) => e.at > range.from).map((e) => e.symbol));
    expect(changed.size).toBe(6); // two listings, two halts, a break, a delisting
    for (const symbol of changed) expect({ symbol, expected: reported.get(symbol) ?? 0 }).toEqual({ symbol, expected: perMarket.get(symbol) ?? 0 });
    // scheduled reports were written along the way
    expect(readdirSync(reportsDir).filter((f) => f.endsWith('.html')).length).toBeGreaterThanOrEqual(SIM_HOURS - 1);
  }, 120_000);
});
