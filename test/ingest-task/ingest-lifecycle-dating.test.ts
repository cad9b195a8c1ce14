/**
 * Market lifecycle while the stream is down: minutes owed by markets that leave are still
 * forwarded, and status events carry the times the statuses really changed (the simulator's
 * lifecycle times), not the times a refresh noticed them.
 */
import { MINUTE_MS } from '../../core/interval';
import type { MarketStatusEvent } from '../../core/market';
import { startIngest, type IngestOptions } from '../../ingest-task/capture/ingest';
import { compareWithTruth, minuteOf, recordingSink, waitCaughtUp, waitForSimTime } from './harness';
import { startRemoteSimulator, type RemoteSimulator } from './sim-process';

const SPEED = 400;
const start = Date.UTC(2026, 0, 5, 0, 0);
const rel = (m: number): number => start + m * MINUTE_MS;
const simOptions = { markets: 40, speed: SPEED, seed: 9, startTime: start, limits: { pingIntervalMs: 1_000, pongTimeoutMs: 3_000, weightWindowMs: 1_000 } };
const FAST: Partial<IngestOptions> = {
  connectionTimers: { stallTimeoutMs: 1_000, pingTimeoutMs: 5_000 },
  backoff: { baseMs: 100, capMs: 1_000 },
  gapCheckIntervalMs: 100,
  refreshIntervalMs: 200,
};

/** The generated symbols of `simOptions` (same seed, same list). */
async function generatedSymbols(): Promise<string[]> {
  const probe = await startRemoteSimulator(simOptions);
  const symbols = (await probe.markets()).map((m) => m.symbol);
  await probe.close();
  return symbols;
}

/** Events after the first discovery as [symbol, status, time], in the order received. */
const later = (events: readonly MarketStatusEvent[]): [string, string, number][] => events.filter((e) => e.at >= rel(1)).map((e) => [e.symbol, e.status, e.at]);

describe('ingest market lifecycle while the stream is down', () => {
  let sim: RemoteSimulator | undefined;

  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('backfills markets that halt, pause, list and resume during a stall, and dates each change when it happened', async () => {
    // Prepare: every connection stalls at minute 9 (silent for ~7 simulated minutes); the
    // lifecycle changes happen while it is silent and are noticed by refreshes
    const [paused, halted] = await generatedSymbols();
    const lifecycle = [
      { symbol: paused, at: rel(10), status: 'BREAK' as const },
      { symbol: halted, at: rel(11), status: 'HALT' as const },
      { symbol: 'NEWCOINUSDT', at: rel(12), status: 'TRADING' as const },
      { symbol: paused, at: rel(14), status: 'TRADING' as const },
    ];
    sim = await startRemoteSimulator({ ...simOptions, lifecycle, faults: { schedule: [{ at: rel(9) + 20_000, kind: 'stall' }] } });
    const { sink, klines, events } = recordingSink();
    const ingest = await startIngest({ restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, ...FAST });
    const from = minuteOf(await sim.now()) + MINUTE_MS;

    // Act
    await waitForSimTime(sim, rel(30), 30_000);
    const to = minuteOf(await sim.now()) - 2 * MINUTE_MS;
    const caughtUp = await waitCaughtUp(ingest, to, 15_000);
    const status = ingest.status();
    await ingest.stop();

    // Assess: the stall happened and was repaired from REST
    expect(caughtUp).toBe(true);
    expect(status.stalls).toBeGreaterThanOrEqual(1);
    expect(status.klinesFromBackfill).toBeGreaterThan(40 * 3);
    // every change dated at the simulator's time, in order
    expect(later(events)).toEqual(lifecycle.map((l) => [l.symbol, l.status, l.at]));
    // every expected minute exactly once, equal to the truth (the listing from its first minute)
    const result = await compareWithTruth(sim, klines, from, to);
    expect(result.missing).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.different).toEqual([]);
    expect(klines.filter((k) => k.symbol === halted && k.openTime >= from && k.openTime < rel(11)).length).toBe((rel(11) - from) / MINUTE_MS);
  }, 60_000);

  it('with two stream copies, a market delisted while one connection is stalled loses no minute (captured from captureFrom)', async () => {
    // Prepare: the oldest connection stalls at minute 9; the market is delisted at minute 12,
    // after which REST refuses its klines (-1121), so only the other copy can deliver its last minutes
    const [delisted] = await generatedSymbols();
    sim = await startRemoteSimulator({
      ...simOptions,
      lifecycle: [{ symbol: delisted, at: rel(12), status: 'DELISTED' }],
      faults: { schedule: [{ at: rel(9) + 20_000, kind: 'stall', count: 1 }] },
    });
    const { sink, klines, events } = recordingSink();
    // captureFrom: the markets are captured and recorded from the simulator's first minute, however late the first look
    const ingest = await startIngest({ restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, streamCopies: 2, captureFrom: rel(0), ...FAST });
    const from = rel(0);

    // Act
    await waitForSimTime(sim, rel(20), 30_000);
    const to = minuteOf(await sim.now()) - 2 * MINUTE_MS;
    const caughtUp = await waitCaughtUp(ingest, to, 15_000);
    const status = ingest.status();
    await ingest.stop();

    // Assess
    expect(caughtUp).toBe(true);
    expect(status.stalls).toBe(1);
    expect(later(events)).toEqual([[delisted, 'DELISTED', rel(12)]]);
    const initial = events.filter((e) => e.at < rel(1));
    expect(initial).toHaveLength(40);
    expect(new Set(initial.map((e) => `${e.status}@${e.at}`))).toEqual(new Set([`TRADING@${rel(0)}`]));
    const mine = klines.filter((k) => k.symbol === delisted).map((k) => k.openTime);
    expect(mine.filter((t) => t >= from)).toEqual(Array.from({ length: (rel(12) - from) / MINUTE_MS }, (_, i) => from + i * MINUTE_MS));
    const result = await compareWithTruth(sim, klines, from, to);
    expect(result.missing).toEqual([]);
    expect(result.duplicates).toEqual([]);
  }, 60_000);
});
