/**
 * The ingest against the simulator over real websockets on loopback, with every fault enabled:
 * 1,500 markets for three simulated hours at 400× speed. The sink must receive every expected
 * (market, minute) exactly once, equal to the simulator's truth, and the REST weight must stay
 * within the limit (no 429 from weight, no 418 ban).
 */
import { MINUTE_MS } from '../../core/interval';
import { startIngest } from '../../ingest-task/capture/ingest';
import { MODERATE_FAULT_RATES, compareWithTruth, minuteOf, recordingSink, shortLimits, waitCaughtUp, waitForSimTime } from './harness';
import { startRemoteSimulator, type RemoteSimulator } from './sim-process';

const MARKETS = 1500;
const SPEED = 400;
const HOURS = 3;
const WEIGHT_LIMIT = 1200;
const START = Date.UTC(2026, 0, 5);
const MINUTE = 60_000;
const RATES = MODERATE_FAULT_RATES;

describe('ingest with every fault enabled', () => {
  let sim: RemoteSimulator;

  beforeAll(async () => {
    sim = await startRemoteSimulator({
      markets: MARKETS,
      speed: SPEED,
      seed: 11,
      startTime: START,
      // Real-time limits, shortened like the clock so the run meets pings, lifetimes and weight windows.
      limits: shortLimits(WEIGHT_LIMIT),
      // Random faults at moderate rates from the start; the scheduled ones are set once the ingest runs.
      faults: RATES,
    });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('forwards every expected minute of 1,500 markets exactly once, equal to the truth, within the weight limit', async () => {
    // Prepare
    const { sink, klines } = recordingSink();
    const ingest = await startIngest({
      restUrl: sim.restUrl,
      streamUrl: sim.streamUrl,
      sink,
      connectionTimers: { stallTimeoutMs: 1_000, pingTimeoutMs: 5_000 },
      maxConnectionAgeMs: 8_000,
      rotationOverlapMaxMs: 3_000,
      backoff: { baseMs: 100, capMs: 2_000 },
      gapCheckIntervalMs: 250,
    });
    const from = minuteOf(await sim.now());
    // One of each connection fault for certain, timed from when the ingest is connected: on a loaded
    // machine its start-up can outlast sim minutes a schedule fixed at launch would have fired in.
    await sim.setFaults({
      ...RATES,
      schedule: [
        { at: from + 30 * MINUTE, kind: 'drop', count: 1 },
        { at: from + 70 * MINUTE, kind: 'stall', count: 1 },
        { at: from + 110 * MINUTE, kind: 'shutdown' },
      ],
    });
    try {
      // Act: run three simulated hours with faults, then let the ingest catch up without them
      await waitForSimTime(sim, from + HOURS * 60 * MINUTE_MS, 60_000);
      await sim.setFaults({});
      const to = minuteOf(await sim.now()) - 2 * MINUTE_MS;
      // Generous: on a loaded 2-core machine the backfill after the faults can take a while.
      const caughtUp = await waitCaughtUp(ingest, to, 90_000);
      const status = ingest.status();
      await ingest.stop();
      const stats = await sim.stats();

      // Assess
      expect(caughtUp).toBe(true);
      const result = await compareWithTruth(sim, klines, from, to);
      expect(result.expected).toBeGreaterThanOrEqual(MARKETS * (HOURS * 60 - 2));
      expect(result.missing.slice(0, 5)).toEqual([]);
      expect(result.duplicates.slice(0, 5)).toEqual([]);
      expect(result.unexpected.slice(0, 5)).toEqual([]);
      expect(result.different.slice(0, 5)).toEqual([]);
      // The faults really happened and were handled.
      expect(stats.disconnects['drop-fault'] ?? 0).toBeGreaterThan(0);
      expect(status.reconnects).toBeGreaterThan(0);
      expect(status.stalls).toBeGreaterThan(0);
      expect(status.serverShutdowns).toBeGreaterThan(0);
      expect(status.rotations).toBeGreaterThan(0);
      expect(status.framesRejected).toBeGreaterThan(0);
      expect(status.gapsFilled).toBeGreaterThan(0);
      expect(stats.disconnects.lifetime ?? 0).toBe(0);
      expect(stats.disconnects['rate-limit'] ?? 0).toBe(0);
      // REST weight stayed within the limit: no ban, peak weight within the window's limit.
      expect(stats.maxWeightUsedInWindow).toBeLessThanOrEqual(WEIGHT_LIMIT);
      expect(stats.count418).toBe(0);
    } finally {
      await ingest.stop();
    }
  }, 240_000);
});
