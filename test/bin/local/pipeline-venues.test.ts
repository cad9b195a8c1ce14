/**
 * The local pipeline on startCapture, against three simulated venues over real websockets: one
 * venue refusing the location (HTTP 451) is shown per type and retried, and never stops the others,
 * which are stored and verified exactly.
 */
import { MINUTE_MS } from '../../../core/interval';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { createLogger } from '../../../core/logger';
import { VENUES } from '../../../core/binance/venues';
import { startLocalPipeline, type LocalPipeline } from '../../../bin/local/pipeline';
import { checkAgainstSimulator } from '../../../bin/local/sim-check';
import { formatStatusLine } from '../../../bin/local/status-line';
import { startVenueSimulators, type VenueSimulators } from '../../../sim/index';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START = Date.UTC(2026, 0, 5);
const TYPES = ['spot', 'usdm', 'coinm'] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(100);
  }
  return cond();
}

/** The check of a type once what the capture forwarded is stored (delivery runs behind forwarding by a flush). */
async function storedCheck(sims: VenueSimulators, store: SqliteKlineStore, t: (typeof TYPES)[number], range: { from: number; to: number }) {
  let check = await checkAgainstSimulator(sims.venue(t), store, range);
  for (let i = 0; i < 50 && check.oneMinute.missing > 0; i++) {
    await sleep(200);
    check = await checkAgainstSimulator(sims.venue(t), store, range);
  }
  return check;
}

describe('local pipeline with one venue refusing the location', () => {
  let sims: VenueSimulators;
  let store: SqliteKlineStore;
  let pipeline: LocalPipeline | undefined;

  beforeAll(async () => {
    sims = await startVenueSimulators(TYPES, { markets: 6, speed: 60, seed: 4, startTime: START });
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
  });
  afterAll(async () => {
    await pipeline?.stop();
    await sims.close();
    await store.close();
  });

  it('shows the refused type as FAILED with its reason, retries it, and stores the other types exactly', async () => {
    // Prepare
    sims.venue('usdm').setFaults({ restrictedLocation: true });
    const lines: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'kline-venues-'));
    // Act
    pipeline = await startLocalPipeline({
      store,
      venues: TYPES.map((t) => ({ venue: VENUES[t], restUrl: sims.venue(t).restUrl, streamUrl: sims.venue(t).streamUrl })),
      exchangeNow: () => sims.venue('spot').now(),
      speed: 60,
      reportEveryMinutes: 60,
      reportsDir: join(dir, 'reports'),
      deadLetterFile: join(dir, 'dead-letter.jsonl'),
      undeliveredFile: join(dir, 'undelivered.jsonl'),
      logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }),
      ingest: { venueRetryMs: 300, gapCheckIntervalMs: 100 },
    });
    const p = pipeline;
    const caughtUp = (t: string, to: number): boolean => (p.status().types.find((x) => x.marketType === t)?.caughtUpTo ?? 0) >= to;
    const target = p.startedAt + 3 * MINUTE_MS;
    // Assess: spot and coinm run on; usdm keeps failing with the refusal and is retried.
    expect(await until(() => caughtUp('spot', target) && caughtUp('coinm', target), 60_000)).toBe(true);
    const usdm = p.status().types.find((t) => t.marketType === 'usdm');
    expect(['failed', 'starting']).toContain(usdm?.state);
    expect(usdm?.failures).toBeGreaterThanOrEqual(2);
    expect(usdm?.error).toMatch(/451|location/i);
    expect(formatStatusLine(p.status())).toMatch(/spot 6 lag [^·]+ · usdm (FAILED \(.+\)|starting) · coinm \d+ lag /);
    expect(lines.some((l) => l.includes('"marketType":"usdm"') && l.includes('the other market types carry on'))).toBe(true);
    for (const t of ['spot', 'coinm'] as const) {
      const check = await storedCheck(sims, store, t, { from: p.startedAt, to: target + MINUTE_MS });
      expect({ t, ...check.oneMinute, examples: check.oneMinute.examples }).toMatchObject({ t, missing: 0, duplicated: 0, differing: 0, unexpected: 0, examples: [] });
      expect(check.oneMinute.expected).toBeGreaterThan(0);
    }
    // The refusal lifted, usdm comes back and catches up from where this run began.
    sims.venue('usdm').setFaults({});
    expect(await until(() => caughtUp('usdm', target), 60_000)).toBe(true);
    const check = await storedCheck(sims, store, 'usdm', { from: p.startedAt, to: target + MINUTE_MS });
    expect(check.oneMinute).toMatchObject({ missing: 0, duplicated: 0, differing: 0, unexpected: 0 });
  }, 150_000);
});
