/**
 * End to end: the local pipeline (the same capture, codec, writer, resampler and report code as in
 * AWS) against three simulated venues (spot, USDⓈ-M, COIN-M) on an accelerated clock with every
 * fault on, for several simulated hours and hundreds of markets, including listings, halts, a
 * delisting, a futures delisting (SETTLING) and a quarterly delivered mid-run.
 */
import { MINUTE_MS } from '../../core/interval';
import { buildQualityReport } from '../../core/report';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { createLogger } from '../../core/logger';
import { startLocalPipeline } from '../../bin/local/pipeline';
import { checkAgainstSimulator } from '../../bin/local/sim-check';
import { VENUES } from '../../core/binance/venues';
import { startSimulator, type SimOptions, type Simulator } from '../../sim';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait';

// One simulated minute per 167 real ms: fast enough for hours in half a minute, slow enough that a
// loaded CI machine still backfills a gap before the market it belongs to is delisted.
const SPEED = 360;
const SIM_HOURS = 3;
const START = Date.UTC(2026, 0, 5);
const LIMITS = { pingIntervalMs: 1000, pongTimeoutMs: 3000, maxConnectionLifetimeMs: 20_000, weightWindowMs: 1000, shutdownGraceMs: 500 };

/** The generated market names for the seed, from a short-lived simulator. */
async function marketNames(): Promise<string[]> {
  const probe = await startSimulator({ markets: 300, seed: 42, startTime: START });
  const names = probe.symbols(START);
  await probe.close();
  return names;
}

describe('local pipeline against the three simulated venues with every fault on', () => {
  let sim: Simulator;
  let futures: Simulator[] = [];
  let store: SqliteKlineStore;

  afterAll(async () => {
    await sim?.close();
    await Promise.all(futures.map((f) => f.close()));
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
      limits: LIMITS,
    });
    // Futures beside it, as Binance lists them (fewer markets): a perpetual delisted (SETTLING, then
    // gone) on USDⓈ-M, a quarterly delivered on COIN-M, both after the first backfill.
    const futuresOptions: SimOptions = { speed: SPEED, seed: 42, startTime: START, faults: ['all'], limits: LIMITS };
    futures = [
      await startSimulator({ ...futuresOptions, marketType: 'usdm', markets: 30, churn: { delistings: 1, listings: 1, withinMs: 2 * 60 * MINUTE_MS } }),
      await startSimulator({ ...futuresOptions, marketType: 'coinm', markets: 10, churn: { deliveries: 1, breaks: 1, withinMs: 2 * 60 * MINUTE_MS } }),
    ];
    const [usdm, coinm] = futures;
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    const reportsDir = mkdtempSync(join(tmpdir(), 'kline-e2e-'));
    const pipeline = await startLocalPipeline({
      store,
      venues: [sim, usdm, coinm].map((v) => ({ venue: VENUES[v.marketType], restUrl: v.restUrl, streamUrl: v.streamUrl })),
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
      types: pipeline.status().types.map((t) => ({ ...t, caughtUpTo: new Date(t.caughtUpTo ?? 0).toISOString() })),
    }));
    await pipeline.stop();
    await pipeline.resampleNow({ graceMs: 0 });
    const range = { from: pipeline.startedAt, to: pipeline.status().ingest.caughtUpTo! + MINUTE_MS };
    const report = await buildQualityReport(store, range);

    for (const venue of [sim, usdm, coinm]) {
      const check = await checkAgainstSimulator(venue, store, range);
      const type = venue.marketType;
      const markets = type === 'spot' ? 300 : type === 'usdm' ? 30 : 10;
      // Assess: 1m klines, per market type
      expect({ type, examples: check.oneMinute.examples }).toEqual({ type, examples: [] });
      expect(check.oneMinute.expected).toBeGreaterThan((markets - 2) * (SIM_HOURS * 60 - 5));
      expect({ type, ...check.oneMinute }).toMatchObject({ type, missing: 0, duplicated: 0, differing: 0, unexpected: 0 });
      // resampled bars, with sourceCount
      for (const r of check.resampled) expect({ type, interval: r.interval, ...r.comparison, examples: r.comparison.examples }).toMatchObject({ missing: 0, differing: 0, duplicated: 0, unexpected: 0, examples: [] });
      expect(check.barsChecked).toBeGreaterThan((markets - 2) * SIM_HOURS * 12);
      // the faults really happened
      const stats = venue.stats();
      expect(stats.connectionsOpened).toBeGreaterThan(1);
      expect(stats.maxWeightUsedInWindow).toBeLessThanOrEqual(venue.options.limits.requestWeightPerWindow);
      expect(stats.count418).toBe(0);
      // the report's section for the type equals the truth, market by market
      const expected = venue.expectedMinutes(range.from, range.to - 1);
      const perMarket = new Map<string, number>();
      for (const m of expected) perMarket.set(m.symbol, (perMarket.get(m.symbol) ?? 0) + 1);
      const section = report.sections.find((x) => x.marketType === type);
      expect({ type, ...section?.summary }).toMatchObject({
        type,
        datapointsExpected: expected.length,
        datapointsPresent: expected.length,
        missingMinutes: 0,
        gapCount: 0,
        marketsExpected: perMarket.size,
        availability: 1,
      });
      const reported = new Map(section?.markets.map((m) => [m.symbol, m.expected]));
      const changed = new Set(venue.marketHistory().filter((e) => e.at > range.from).map((e) => e.symbol));
      for (const symbol of changed) expect({ type, symbol, expected: reported.get(symbol) ?? 0 }).toEqual({ type, symbol, expected: perMarket.get(symbol) ?? 0 });
      if (type === 'spot') expect(changed.size).toBe(6); // two listings, two halts, a break, a delisting
      else expect(changed.size).toBe(2); // usdm: a listing, a delisting; coinm: a delivery, a break
    }
    expect(pipeline.status().ingest.gapsFilled).toBeGreaterThan(0);
    expect(pipeline.status().types.map((t) => t.marketType)).toEqual(['spot', 'usdm', 'coinm']);
    expect(report.summary.missingMinutes).toBe(0);
    // scheduled reports were written along the way, each with a section and CSV rows per market type
    const html = readdirSync(reportsDir).filter((f) => f.endsWith('.html')).sort();
    expect(html.length).toBeGreaterThanOrEqual(SIM_HOURS - 1);
    const last = readFileSync(join(reportsDir, html[html.length - 1]), 'utf8');
    for (const label of ['Spot', 'USDⓈ-M futures', 'COIN-M futures']) expect(last).toContain(label);
    const csv = readFileSync(join(reportsDir, html[html.length - 1].replace(/\.html$/, '.csv')), 'utf8');
    expect(new Set(csv.trim().split('\n').slice(1).map((row) => row.split(',')[0]))).toEqual(new Set(['spot', 'usdm', 'coinm']));
  }, 180_000);
});
