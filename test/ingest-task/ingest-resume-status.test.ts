/**
 * A task that starts after a downtime: markets that stopped trading or were delisted meanwhile
 * get their status recorded, dated by their klines, so the report does not expect their minutes.
 */
import { MINUTE_MS } from '../../core/interval';
import { startIngest, type IngestOptions } from '../../ingest-task/capture/ingest';
import { recordingSink, sleep, waitForSimTime } from './harness';
import { startRemoteSimulator, type RemoteSimulator } from './sim-process';

const SPEED = 300;
const FAST: Partial<IngestOptions> = {
  connectionTimers: { stallTimeoutMs: 1_000, pingTimeoutMs: 5_000 },
  backoff: { baseMs: 100, capMs: 1_000 },
  gapCheckIntervalMs: 200,
};

describe('ingest start after a downtime', () => {
  let sim: RemoteSimulator | undefined;
  const start = Date.UTC(2026, 0, 5, 12, 0);
  const rel = (m: number): number => start + m * MINUTE_MS;

  afterAll(async () => {
    await sim?.close();
  });

  it('records a market delisted and one halted while no task ran, dated after their last klines', async () => {
    // Prepare: HALTED went into a halt 30 minutes before the task starts; GONEUSDT is not listed any more.
    const options = { markets: 20, speed: SPEED, seed: 11, startTime: start, limits: { pingIntervalMs: 1_000, pongTimeoutMs: 3_000, weightWindowMs: 1_000 } };
    const probe = await startRemoteSimulator(options);
    const [halted, trading] = (await probe.markets()).map((m) => m.symbol);
    await probe.close();
    sim = await startRemoteSimulator({ ...options, lifecycle: [{ symbol: halted, at: rel(-30), status: 'HALT' }] });
    const { sink, klines, events } = recordingSink();
    const resume = new Map([
      [halted, rel(-45)],
      [trading, rel(-45)],
      ['GONEUSDT', rel(-90)],
    ]);

    // Act
    const ingest = await startIngest({ restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, resumeFrom: async () => resume, refreshIntervalMs: 200, ...FAST });
    await waitForSimTime(sim, rel(8), 20_000);
    await sleep(200);
    await ingest.stop();

    // Assess: the halted market's last 15 trading minutes were backfilled, and its halt is dated right after them
    const haltedMinutes = klines.filter((k) => k.symbol === halted).map((k) => k.openTime);
    expect(Math.min(...haltedMinutes)).toBe(rel(-44));
    expect(Math.max(...haltedMinutes)).toBe(rel(-31));
    expect(events.filter((e) => e.symbol === halted)).toEqual([{ marketType: 'spot', symbol: halted, status: 'HALT', at: rel(-30) }]);
    // the delisted market is recorded DELISTED right after its last stored minute
    expect(events.filter((e) => e.symbol === 'GONEUSDT')).toEqual([{ marketType: 'spot', symbol: 'GONEUSDT', status: 'DELISTED', at: rel(-89) }]);
    // a market that kept trading is backfilled from its last stored minute, with no status change before now
    expect(klines.filter((k) => k.symbol === trading).some((k) => k.openTime === rel(-44))).toBe(true);
    expect(events.filter((e) => e.symbol === trading).every((e) => e.status === 'TRADING')).toBe(true);
  }, 60_000);
});
