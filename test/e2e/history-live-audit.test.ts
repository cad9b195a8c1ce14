/**
 * e2e, the whole life of an archive (issue 12's proof): `history` from the simulator's listing on,
 * interrupted twice (SIGKILL, then files that stay broken), then live capture by the local
 * pipeline, then `audit` of the day that history and capture shared. The store ends equal to the
 * truth, every gap of the audited day is classified, and every injected fault is named.
 *
 * The simulated day 2026-01-04 has a maintenance hour (no kline in REST or the dump) and a
 * re-uploaded dump file with one corrected row; a market listed at 06:00 the day before shows
 * its life's start in that day's audit. History fills the days
 * before it from the dumps; capture resumes where history ended (its REST backfill of the day,
 * then the stream past midnight); minutes lost in capture (deleted here) are repaired from the
 * dump once it is published.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditResult } from '../../core/audit/run';
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { startLocalPipeline } from '../../bin/local/pipeline';
import { createLogger } from '../../core/logger';
import { VENUES } from '../../core/binance/venues';
import { startSimulator, type Simulator } from '../../sim';
import { runCli, type CliRun } from './cli-process';
import { waitFor } from './wait';

const H = 3_600_000;
const DAY = Date.UTC(2026, 0, 4);
const SPEED = 8;
// The simulated clock starts at 23:56 on the audited day; its dump appears at midnight (no publication lag).
const START = DAY + 24 * H - 4 * MINUTE_MS;
const MAINTENANCE = { from: DAY + 10 * H, to: DAY + 11 * H };
const NEW = 'LATECOINUSDT';
const LISTED = DAY - 18 * H; // 2026-01-03 06:00, a day history fills

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({
    markets: 3,
    seed: 12,
    speed: SPEED,
    startTime: START,
    historyMs: 3 * 86_400_000,
    unicodeSymbols: 0,
    maintenance: [MAINTENANCE],
    lifecycle: [{ symbol: NEW, at: LISTED, status: 'TRADING' }],
    dumps: { publishLagMs: 0 },
  });
  dir = mkdtempSync(join(tmpdir(), 'e2e-life-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI against the simulator, on this test's store. */
function cli(args: string[], killWhen?: (line: Record<string, unknown>) => boolean): Promise<CliRun> {
  return runCli([...args, '--store', `sqlite:${join(dir, 'k.db')}`], {
    env: { BINANCE_DUMPS_URL: sim.restUrl, BINANCE_REST_URL: sim.restUrl },
    killWhen,
    json: args[0] === 'history',
  });
}

const strip = ({ source: _s, ...k }: Kline) => k;

test('history (killed, then failing on broken files), live capture, then the audit: the store equals the truth and every gap and fault is named', async () => {
  const symbols = sim.symbols(START);
  const [a, b] = symbols.filter((s) => s !== NEW);
  // History up to the audited day; capture takes the day from REST (its backfill on resume) and the stream.
  const history = ['history', '--to', '2026-01-04', '--concurrency', '2', '--state', join(dir, 'state.json')];

  // 1. History, killed part-way; then files that stay broken are retried and named; then done.
  sim.dumps.setFaults([
    { kind: 'checksum-mismatch', symbol: a, date: '2026-01-02' },
    { kind: 'truncated', symbol: b, date: '2026-01-03' },
    { kind: 'corrected-row', symbol: b, date: '2026-01-04', openTime: DAY + 12 * H + 7 * MINUTE_MS },
  ]);
  const killed = await cli(history, (l) => l.event === 'progress' && Number(l.tasksDone) >= 2);
  expect(killed.signal).toBe('SIGKILL');
  const failed = await cli(history);
  expect(failed.code).toBe(3);
  expect(failed.stderr).toContain(`spot/daily/${a}/2026-01-02 (checksum-mismatch)`);
  expect(failed.stderr).toContain(`spot/daily/${b}/2026-01-03 (truncated)`);
  sim.dumps.setFaults([{ kind: 'corrected-row', symbol: b, date: '2026-01-04', openTime: DAY + 12 * H + 7 * MINUTE_MS }]);
  const done = await cli(history);
  expect([done.code, done.stderr]).toEqual([0, '']);

  // 2. Live capture from where history ended, past midnight.
  const store = new SqliteKlineStore(join(dir, 'k.db'));
  const pipeline = await startLocalPipeline({
    store,
    venues: [{ venue: VENUES.spot, restUrl: sim.restUrl, streamUrl: sim.streamUrl }],
    exchangeNow: () => sim.now(),
    speed: SPEED,
    reportEveryMinutes: 60,
    reportsDir: dir,
    logger: createLogger({ level: 'silent' }),
    deadLetterFile: join(dir, 'dead-letter.jsonl'),
    undeliveredFile: join(dir, 'undelivered.jsonl'),
  });
  // Past midnight, and long enough after the start that minutes arrive by the stream, not only by backfill.
  const until = Math.max(DAY + 24 * H + 2 * MINUTE_MS, pipeline.startedAt + 3 * MINUTE_MS);
  await waitFor(() => (pipeline.status().ingest.caughtUpTo ?? 0) >= until, 120_000, () => pipeline.status().ingest);
  await pipeline.stop();
  const capturedTo = pipeline.status().ingest.caughtUpTo!;
  // Stream klines carry no source field (the least bytes); the day before capture came from REST.
  const sources = new Set((await store.read({ marketType: 'spot', interval: '1m', from: DAY, to: capturedTo })).map((k) => k.source ?? 'stream'));
  expect([...sources].sort()).toEqual(['rest', 'stream']);
  await store.close();

  // Capture lost three minutes of `a` on the audited day (as in an outage nobody backfilled).
  const lost = [DAY + 3 * H, DAY + 3 * H + MINUTE_MS, DAY + 15 * H];
  const db = new Database(join(dir, 'k.db'));
  const del = db.prepare('DELETE FROM klines_1m WHERE symbol = ? AND open_time = ?');
  for (const t of lost) expect(del.run(a, t).changes).toBe(1);
  db.close();

  // 3. The audit of the day, now that Binance's dump of it is published.
  const audit = await cli(['audit', '--date', '2026-01-04', '--out', dir]);
  expect([audit.code, audit.stderr]).toEqual([0, '']);
  const result = JSON.parse(readFileSync(join(dir, 'audit-2026-01-04.json'), 'utf8')) as AuditResult;
  const byMarket = Object.fromEntries(result.markets.map((m) => [m.market.symbol, m]));
  expect(byMarket[a]).toMatchObject({ status: 'audited', missingOurs: lost, missingTheirs: [], repaired: 3 });
  expect(byMarket[a].gaps).toEqual([
    { from: DAY + 3 * H, to: DAY + 3 * H + 2 * MINUTE_MS, class: 'capture-loss', repaired: true },
    { from: MAINTENANCE.from, to: MAINTENANCE.to, class: 'no-kline-at-exchange' },
    { from: DAY + 15 * H, to: DAY + 15 * H + MINUTE_MS, class: 'capture-loss', repaired: true },
  ]);
  expect(byMarket[b].differing).toEqual([expect.objectContaining({ openTime: DAY + 12 * H + 7 * MINUTE_MS, fields: ['trades'] })]);
  expect(byMarket[NEW].gaps).toEqual([{ from: MAINTENANCE.from, to: MAINTENANCE.to, class: 'no-kline-at-exchange' }]);
  expect(audit.stdout).toContain(`2026-01-04: verified against Binance's dump: ${(1380 * symbols.length - 3 - 1).toLocaleString('en')} of ${(1380 * symbols.length).toLocaleString('en')} minutes equal, 1 differing, 3 missing in ours (3 repaired from the dump), 0 missing in Binance's`);
  expect(audit.stdout).toContain(`differs spot:${b} 2026-01-04T12:07:00.000Z: trades`);

  // The day before (from the dumps alone): everything equal; the new market's first six hours are outside its life.
  const before = await cli(['audit', '--date', '2026-01-03', '--out', dir]);
  expect([before.code, before.stderr]).toEqual([0, '']);
  const previous = JSON.parse(readFileSync(join(dir, 'audit-2026-01-03.json'), 'utf8')) as AuditResult;
  expect(previous.markets.find((m) => m.market.symbol === NEW)?.gaps).toEqual([{ from: DAY - 24 * H, to: LISTED, class: 'outside-life' }]);
  expect(before.stdout).toContain(`2026-01-03: verified against Binance's dump: ${(1440 * (symbols.length - 1) + 18 * 60).toLocaleString('en')} of ${(1440 * (symbols.length - 1) + 18 * 60).toLocaleString('en')} minutes equal`);

  // The store equals the truth, from each market's listing to where capture caught up.
  const after = new SqliteKlineStore(join(dir, 'k.db'));
  for (const symbol of symbols) {
    const stored = (await after.read({ marketType: 'spot', interval: '1m', symbols: [symbol], from: 0, to: capturedTo })).map(strip);
    const truth = sim.truth(symbol, 0, capturedTo - 1);
    expect({ symbol, count: stored.length }).toEqual({ symbol, count: truth.length });
    expect(stored).toEqual(truth);
  }
  await after.close();
}, 300_000);
