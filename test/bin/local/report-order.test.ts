/**
 * The first report of a run must not show a false gap for a market that just entered BREAK
 * (issue 14 item 13): the report waits until the status changes up to its end are recorded.
 * Real pipeline, real websockets, the simulator on an accelerated clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINUTE_MS } from '../../../core/interval';
import type { QualityReport } from '../../../core/report';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { createLogger } from '../../../core/logger';
import { startLocalPipeline, type LocalPipeline } from '../../../bin/local/pipeline';
import { startSimulator, type Simulator } from '../../../sim';

const START = Date.UTC(2026, 0, 5);
const SPEED = 120;

describe('the first report after a market entered BREAK', () => {
  let sim: Simulator;
  let store: SqliteKlineStore;
  let pipeline: LocalPipeline | undefined;
  let dir: string;
  afterAll(async () => {
    await pipeline?.stop({ deadlineMs: 10_000 });
    await sim?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the break as not expected: no gap for its minutes', async () => {
    // Prepare: a break two minutes before the end of the first report window [start of capture, start+15 min).
    const probe = await startSimulator({ markets: 6, seed: 3, startTime: START, unicodeSymbols: 0 });
    const breaking = probe.symbols(START)[2];
    await probe.close();
    sim = await startSimulator({
      markets: 6,
      seed: 3,
      speed: SPEED,
      startTime: START,
      unicodeSymbols: 0,
      lifecycle: [
        { symbol: breaking, status: 'BREAK', at: START + 13 * MINUTE_MS },
        { symbol: breaking, status: 'TRADING', at: START + 40 * MINUTE_MS },
      ],
    });
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    dir = mkdtempSync(join(tmpdir(), 'report-order-'));
    const reports: QualityReport[] = [];

    // Act
    pipeline = await startLocalPipeline({
      store,
      restUrl: sim.restUrl,
      streamUrl: sim.streamUrl,
      exchangeNow: () => sim.now(),
      speed: SPEED,
      reportEveryMinutes: 15,
      reportsDir: join(dir, 'reports'),
      undeliveredFile: join(dir, 'undelivered.jsonl'),
      deadLetterFile: join(dir, 'dead-letter.jsonl'),
      onReport: async (report) => {
        reports.push(report);
      },
      logger: createLogger({ level: 'error', write: () => undefined }),
      // exchangeInfo every 10 simulated minutes: the break is noticed only after the window ends.
      ingest: { refreshIntervalMs: (10 * MINUTE_MS) / SPEED, connectionTimers: { stallTimeoutMs: 5_000 }, gapCheckIntervalMs: 100 },
    });
    const deadline = Date.now() + 90_000;
    while (reports.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await pipeline.stop({ deadlineMs: 10_000 });
    pipeline = undefined;

    // Assess
    expect(reports.length).toBeGreaterThan(0);
    const first = reports[0];
    const { from, to } = first.summary.range;
    expect(to).toBe(START + 15 * MINUTE_MS);
    expect(from).toBeLessThan(START + 13 * MINUTE_MS);
    const row = first.markets.find((m) => m.symbol === breaking);
    const traded = (START + 13 * MINUTE_MS - from) / MINUTE_MS;
    expect(row).toMatchObject({ expected: traded, present: traded, missing: 0, gaps: [] });
    expect(first.summary.datapointsExpected).toBe(first.summary.datapointsPresent);
    const history = await store.marketHistory();
    expect(history.filter((e) => e.symbol === breaking).map((e) => e.status)).toStrictEqual(['TRADING', 'BREAK']);
    expect(history.find((e) => e.symbol === breaking && e.status === 'BREAK')?.at).toBe(START + 13 * MINUTE_MS);
  }, 120_000);
});
