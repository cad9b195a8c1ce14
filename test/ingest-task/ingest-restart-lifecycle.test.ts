/**
 * Restart and market lifecycle against the simulator over loopback websockets.
 */
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { startIngest, type IngestOptions } from '../../ingest-task/capture/ingest';
import { compareWithTruth, minuteOf, recordingSink, waitCaughtUp, waitForSimTime } from './harness';
import { startRemoteSimulator, type RemoteSimulator } from './sim-process';

const SPEED = 400;
const FAST: Partial<IngestOptions> = {
  connectionTimers: { stallTimeoutMs: 1_000, pingTimeoutMs: 5_000 },
  backoff: { baseMs: 100, capMs: 1_000 },
  gapCheckIntervalMs: 200,
};

describe('ingest restart', () => {
  let sim: RemoteSimulator;

  beforeAll(async () => {
    sim = await startRemoteSimulator({
      markets: 300,
      speed: SPEED,
      seed: 5,
      limits: { pingIntervalMs: 1_000, pongTimeoutMs: 3_000, weightWindowMs: 1_000, requestWeightPerWindow: 1_200 },
      faults: { dropPerMinute: 0.01, duplicate: 0.002, reorder: 0.002, late: 0.02, lateDelayMs: 5_000 },
    });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('a new instance resumes from what the sink received: nothing missing, nothing doubled', async () => {
    // Prepare: the first instance runs 40 simulated minutes and is stopped mid-run
    const { sink, klines } = recordingSink();
    const first = await startIngest({ restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, ...FAST });
    const from = minuteOf(await sim.now());
    await waitForSimTime(sim, from + 40 * MINUTE_MS, 30_000);
    await first.stop();
    const stoppedAt = await sim.now();
    const lastStored = new Map<string, number>();
    for (const k of klines) lastStored.set(k.symbol, Math.max(lastStored.get(k.symbol) ?? 0, k.openTime));
    await waitForSimTime(sim, stoppedAt + 10 * MINUTE_MS, 30_000);

    // Act: a second instance resumes from the last received minute per market
    const second = await startIngest({ restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, resumeFrom: async () => lastStored, ...FAST });
    await waitForSimTime(sim, stoppedAt + 40 * MINUTE_MS, 30_000);
    await sim.setFaults({});
    const to = minuteOf(await sim.now()) - 2 * MINUTE_MS;
    const caughtUp = await waitCaughtUp(second, to, 20_000);
    const status = second.status();
    await second.stop();

    // Assess
    expect(caughtUp).toBe(true);
    expect(status.klinesFromBackfill).toBeGreaterThanOrEqual(300 * 10);
    const result = await compareWithTruth(sim, klines, from, to);
    expect(result.expected).toBeGreaterThan(300 * 75);
    expect(result.missing.slice(0, 5)).toEqual([]);
    expect(result.duplicates.slice(0, 5)).toEqual([]);
    expect(result.different.slice(0, 5)).toEqual([]);
  }, 90_000);
});

describe('ingest market lifecycle', () => {
  let sim: RemoteSimulator | undefined;
  const start = Date.UTC(2026, 0, 5, 0, 0);
  const rel = (m: number): number => start + m * MINUTE_MS;
  const simOptions = { markets: 40, speed: SPEED, seed: 9, startTime: start, limits: { pingIntervalMs: 1_000, pongTimeoutMs: 3_000, weightWindowMs: 1_000 } };

  afterAll(async () => {
    await sim?.close();
  });

  it('listings join, halted and delisted markets leave, and every status change reaches the sink', async () => {
    // Prepare: learn the generated symbols, then schedule their lifecycle
    const probe = await startRemoteSimulator(simOptions);
    const markets = (await probe.markets()).map((m) => m.symbol);
    await probe.close();
    const [pausing, delisted, halted] = markets;
    sim = await startRemoteSimulator({
      ...simOptions,
      lifecycle: [
        { symbol: 'NEWCOINUSDT', at: rel(8), status: 'TRADING' },
        { symbol: pausing, at: rel(10), status: 'BREAK' },
        { symbol: delisted, at: rel(12), status: 'DELISTED' },
        { symbol: halted, at: rel(14), status: 'HALT' },
        { symbol: pausing, at: rel(22), status: 'TRADING' },
      ],
    });
    const { sink, klines, events } = recordingSink();
    const ingest = await startIngest({ restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, refreshIntervalMs: 200, ...FAST });
    const from = minuteOf(await sim.now());

    // Act
    await waitForSimTime(sim, rel(18), 20_000);
    const streamsWhileHalted = ingest.streams();
    await waitForSimTime(sim, rel(32), 20_000);
    const to = minuteOf(await sim.now()) - 2 * MINUTE_MS;
    const caughtUp = await waitCaughtUp(ingest, to, 15_000);
    const streamsAtEnd = ingest.streams();
    await ingest.stop();

    // Assess: the status history
    expect(caughtUp).toBe(true);
    const initial = events.filter((e) => e.at < rel(1));
    expect(initial.map((e) => e.symbol).sort()).toEqual([...markets].sort());
    expect(new Set(initial.map((e) => e.status))).toEqual(new Set(['TRADING']));
    const later = events.filter((e) => e.at >= rel(1)).map((e) => [e.symbol, e.status]);
    expect(later).toEqual([
      ['NEWCOINUSDT', 'TRADING'],
      [pausing, 'BREAK'],
      [delisted, 'DELISTED'],
      [halted, 'HALT'],
      [pausing, 'TRADING'],
    ]);
    const seenAt = (symbol: string, status: string): number => events.find((e) => e.symbol === symbol && e.status === status)?.at ?? NaN;
    expect(seenAt('NEWCOINUSDT', 'TRADING')).toBeGreaterThanOrEqual(rel(8));
    expect(seenAt('NEWCOINUSDT', 'TRADING')).toBeLessThan(rel(12));

    // Assess: subscriptions follow the status
    const stream = (s: string): string => `${s.toLowerCase()}@kline_1m`;
    expect(streamsWhileHalted).toContain(stream('NEWCOINUSDT'));
    expect(streamsWhileHalted).not.toContain(stream(pausing));
    expect(streamsWhileHalted).not.toContain(stream(delisted));
    expect(streamsWhileHalted).not.toContain(stream(halted));
    expect(streamsAtEnd).toContain(stream(pausing));
    expect(streamsAtEnd).not.toContain(stream(halted));

    // Assess: the klines — existing markets over the whole run, the listing from when it was first seen
    const existing = new Set(markets);
    const result = await compareWithTruth(sim, klines, from, to, existing);
    expect(result.missing).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.different).toEqual([]);
    const listed = await compareWithTruth(sim, klines, minuteOf(seenAt('NEWCOINUSDT', 'TRADING')), to, new Set(['NEWCOINUSDT']));
    expect(listed.expected).toBeGreaterThan(15);
    expect(listed.missing).toEqual([]);
    expect(listed.duplicates).toEqual([]);
    const pausingMinutes = klines.filter((k: Kline) => k.symbol === pausing).map((k) => k.openTime);
    expect(pausingMinutes.filter((t) => t >= rel(10) && t < rel(22))).toEqual([]);
    expect(klines.filter((k) => k.symbol === delisted && k.openTime >= rel(12))).toEqual([]);
  });
});
