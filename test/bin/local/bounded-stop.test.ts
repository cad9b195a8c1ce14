/**
 * A stop while the store is unavailable (its disk is full, on a real 8 MB tmpfs) ends by its
 * deadline, says what it could not store and keeps it in a file; the next start stores it, and
 * nothing the ingest accepted is lost. Mounting a tmpfs needs root: skipped (and said) otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINUTE_MS } from '../../../core/interval';
import { createLogger } from '../../../core/logger';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { startSimulator, type Simulator } from '../../../sim/index';
import { startLocalPipeline } from '../../../bin/local/pipeline';
import { replayUndelivered } from '../../../bin/local/undelivered';
import { checkAgainstSimulator } from '../../../bin/local/sim-check';

const isRoot = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fillDisk(dir: string): string {
  const filler = join(dir, 'filler');
  const chunk = Buffer.alloc(256 * 1024, 1);
  let n = 0;
  try {
    for (;;) writeFileSync(filler, chunk, { flag: n++ === 0 ? 'w' : 'a' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  return filler;
}

(isRoot ? describe : describe.skip)('a stop while the store is unavailable (disk full on a tmpfs; needs root)', () => {
  let mount: string;
  let sim: Simulator;
  beforeAll(async () => {
    mount = mkdtempSync(join(tmpdir(), 'kline-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
    sim = await startSimulator({ markets: 20, speed: 300, seed: 5, limits: { weightWindowMs: 1_000 } });
  });
  afterAll(async () => {
    await sim.close();
    execFileSync('umount', ['-l', mount]);
  });

  it('ends by its deadline, keeps what it could not store, and the next start stores it all', async () => {
    // Prepare
    const outside = mkdtempSync(join(tmpdir(), 'kline-kept-'));
    const undeliveredFile = join(outside, 'undelivered.jsonl');
    const store = new SqliteKlineStore(join(mount, 'k.db'));
    await store.applySchema();
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    const pipeline = await startLocalPipeline({
      store,
      restUrl: sim.restUrl,
      streamUrl: sim.streamUrl,
      exchangeNow: () => sim.now(),
      speed: 300,
      reportEveryMinutes: 100_000,
      reportsDir: join(outside, 'reports'),
      deadLetterFile: join(outside, 'dead.jsonl'),
      undeliveredFile,
      logger,
      ingest: { refreshIntervalMs: 1_000, gapCheckIntervalMs: 250 },
    });
    const capturing = () => pipeline.status().storedTotal > 0 && (pipeline.status().ingest.caughtUpTo ?? 0) >= pipeline.startedAt + 2 * MINUTE_MS;
    for (let i = 0; i < 300 && !capturing(); i++) await sleep(100);
    expect(capturing()).toBe(true);
    const filler = fillDisk(mount);
    // Deliveries fail once the store needs more room than its files already have (SQLITE_FULL).
    for (let i = 0; i < 300 && !lines.some((l) => l.includes('sink delivery failed')); i++) await sleep(100);
    expect(lines.some((l) => l.includes('sink delivery failed'))).toBe(true);

    // Act
    const started = Date.now();
    const outcome = await pipeline.stop({ deadlineMs: 2_000 });
    const took = Date.now() - started;

    // Assess: bounded, says what it kept and where
    expect(took).toBeLessThan(8_000);
    expect(outcome.kept).toMatchObject({ file: undeliveredFile });
    expect(outcome.kept!.klines).toBeGreaterThan(0);
    expect(outcome.reason).toMatch(/full|SQLITE_FULL/i);
    expect(existsSync(undeliveredFile)).toBe(true);

    // Act: space comes back; the next start stores what was kept
    rmSync(filler);
    const stored = await replayUndelivered(store, undeliveredFile, logger);

    // Assess: nothing the ingest accepted is lost
    expect(stored).toBe(outcome.kept!.klines);
    expect(existsSync(undeliveredFile)).toBe(false);
    const caughtUpTo = pipeline.status().ingest.caughtUpTo!;
    const check = await checkAgainstSimulator(sim, store, { from: pipeline.startedAt, to: caughtUpTo + MINUTE_MS });
    expect(check.oneMinute).toMatchObject({ missing: 0, duplicated: 0, differing: 0 });
    expect(check.oneMinute.expected).toBeGreaterThan(20);
    await store.close();
  }, 60_000);
});
