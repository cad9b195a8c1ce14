/**
 * e2e: `npm run cli -- history` as its own process against the simulator's file site, killed
 * with SIGKILL part-way, stopped by Ctrl-C (SIGINT) part-way, failed on three broken files, then
 * run again: the store ends equal to the simulated truth and every fault is reported by name.
 * Then `npm run cli -- audit` as its own process on a day with a maintenance hour, a lost minute
 * and a row Binance re-uploaded: every gap classified, the difference listed by minute.
 * The bars history built (5m … 4h, 1d, 1w) equal resampling the truth, and `export --time-zone
 * +08:00` days equal the truth's +08:00 days. (Live capture between history and audit:
 * test/e2e/history-live-audit.test.ts.)
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import type { AuditResult } from '../../core/audit/run';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binanceCsvRow } from '../../core/export/binance-csv';
import { STORED_RESAMPLED_INTERVALS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { resample } from '../../core/resample';
import { openStore } from '../../core/store/index';
import { startSimulator, type Simulator } from '../../sim';
import { runCli, type CliRun } from './cli-process';

const START = Date.UTC(2026, 0, 5);
const AUDIT_DAY = Date.UTC(2026, 0, 3);
const H = 3_600_000;
/** An exchange-wide maintenance hour: no klines in streams, REST or dumps. */
const MAINTENANCE = { from: AUDIT_DAY + 10 * H, to: AUDIT_DAY + 11 * H };

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ markets: 2, seed: 33, speed: 1, historyMs: 12 * 86_400_000, unicodeSymbols: 0, maintenance: [MAINTENANCE] });
  dir = mkdtempSync(join(tmpdir(), 'e2e-history-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ BINANCE_DUMPS_URL: sim.restUrl, BINANCE_REST_URL: sim.restUrl });

function history(killWhen?: (line: Record<string, unknown>) => boolean, signal: NodeJS.Signals = 'SIGKILL'): Promise<CliRun> {
  return runCli(['history', '--to', '2026-01-05', '--concurrency', '1', '--store', `sqlite:${join(dir, 'k.db')}`, '--state', join(dir, 'state.json')], { env: env(), killWhen, signal });
}

test('killed with SIGKILL, stopped by Ctrl-C, failed on broken files: history resumes and ends equal to the truth; the audit then classifies every gap', async () => {
  const [a, b] = sim.symbols();
  const faults = [
    { kind: 'corrupt-zip' as const, symbol: b, date: '2026-01-02' },
    { kind: 'checksum-mismatch' as const, symbol: a, date: '2026-01-01' },
    { kind: 'truncated' as const, symbol: a, date: '2026-01-03' },
  ];
  sim.dumps.setFaults(faults);

  const killed = await history((l) => l.event === 'progress' && Number(l.tasksDone) >= 3);
  expect(killed.signal).toBe('SIGKILL');

  // Ctrl-C: the tasks under way finish, the summary says it stopped, exit 130.
  const stopped = await history((l) => l.event === 'progress', 'SIGINT');
  expect(stopped.code).toBe(130);
  expect(stopped.stderr).toContain('SIGINT: finishing the tasks under way');
  expect(stopped.lines.at(-1)).toMatchObject({ event: 'summary', stopped: true });

  const failed = await history();
  expect(failed.code).toBe(3);
  // Every injected fault, by file and kind (each was retried first).
  expect(failed.stderr).toContain(`spot/daily/${b}/2026-01-02 (corrupt-zip)`);
  expect(failed.stderr).toContain(`spot/daily/${a}/2026-01-01 (checksum-mismatch)`);
  expect(failed.stderr).toMatch(new RegExp(`spot/daily/${a}/2026-01-03 \\((truncated|corrupt-zip)\\)`));
  const summary = failed.lines.at(-1) as { resumed: number };
  expect(summary.resumed).toBeGreaterThan(0);

  sim.dumps.setFaults([]);
  const done = await history();
  expect(done.code).toBe(0);

  const path = join(dir, 'k.db');
  const store = await openStore({ kind: 'sqlite', path });
  const stored = (await store.read({ marketType: 'spot', interval: '1m', from: 0, to: START })).map(({ source: _s, ...k }: Kline) => k);
  await store.close();
  const truth = (s: string) => sim.truth(s, 0, START - 1);
  expect(stored).toEqual([a, b].sort().flatMap(truth));
  expect(stored.some((k) => k.openTime >= MAINTENANCE.from && k.openTime < MAINTENANCE.to)).toBe(false);

  // The bars history built once the range was in: every stored interval, 1w included (a whole
  // Monday-to-Monday week, 2025-12-29, and the listing week before it, built from fewer minutes).
  const truths = [a, b].sort().map(truth);
  const check = await openStore({ kind: 'sqlite', path });
  for (const interval of STORED_RESAMPLED_INTERVALS) {
    const bars = await check.read({ marketType: 'spot', interval, from: 0, to: START });
    expect({ interval, bars }).toEqual({ interval, bars: truths.flatMap((t) => resample(t, interval)) });
  }
  await check.close();
  expect(truths.flatMap((t) => resample(t, '1w')).map((w) => new Date(w.openTime).toISOString())).toEqual(
    [a, b].flatMap(() => ['2025-12-22T00:00:00.000Z', '2025-12-29T00:00:00.000Z']),
  );

  // +08:00 days from the export CLI: windows open at 16:00 UTC, the first one at the listing.
  const out = join(dir, 'tz');
  const exported = await runCli(['export', '--interval', '1d', '--time-zone', '+08:00', '--from', '2025-12-20', '--to', '2026-01-04T16:00:00Z', '--store', `sqlite:${path}`, '--out', out], { json: false });
  expect([exported.code, exported.stderr]).toEqual([0, '']);
  const files = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.csv')).sort();
  const rows = files.map((f) => readFileSync(join(out, f), 'utf8')).join('');
  const days = truths.map((t) => resample(t, '1d', 8 * H).filter((d) => d.openTime < Date.UTC(2026, 0, 4, 16)));
  expect(days[0].length).toBe(12); // 2025-12-24 00:00 UTC is 08:00 on the first +08:00 day
  expect(rows).toBe(days.flat().map((k) => binanceCsvRow(k, 'spot')).join(''));

  // The audit of a day: a lost one minute of a; Binance re-uploaded b's 12:07 with a corrected row.
  const lost = AUDIT_DAY + 3 * H + 7 * 60_000;
  const corrected = AUDIT_DAY + 12 * H + 7 * 60_000;
  const db = new Database(path);
  expect(db.prepare('DELETE FROM klines_1m WHERE symbol = ? AND open_time = ?').run(a, lost).changes).toBe(1);
  db.close();
  sim.dumps.setFaults([{ kind: 'corrected-row', symbol: b, date: '2026-01-03', openTime: corrected }]);

  const audit = await runCli(['audit', '--date', '2026-01-03', '--store', `sqlite:${path}`, '--out', dir], { env: env(), json: false });

  expect(audit.stderr).toBe('');
  expect(audit.code).toBe(0);
  const result = JSON.parse(readFileSync(join(dir, 'audit-2026-01-03.json'), 'utf8')) as AuditResult;
  const of = (s: string) => result.markets.find((m) => m.market.symbol === s)!;
  expect(of(a).gaps).toStrictEqual([
    { from: lost, to: lost + 60_000, class: 'capture-loss', repaired: true },
    { from: MAINTENANCE.from, to: MAINTENANCE.to, class: 'no-kline-at-exchange' },
  ]);
  expect(of(b).gaps).toStrictEqual([{ from: MAINTENANCE.from, to: MAINTENANCE.to, class: 'no-kline-at-exchange' }]);
  expect(of(b).differing.map((d) => [d.openTime, d.fields])).toStrictEqual([[corrected, ['trades']]]);
  expect(result.totals).toMatchObject({ exchangeMinutes: 2 * 1380, missingOurs: 1, repaired: 1, differing: 1, rest: { askedMinutes: 120, requests: 2, notAsked: 0, failedMinutes: 0 } });
  expect(audit.stdout).toContain(`differs spot:${b} 2026-01-03T12:07:00.000Z: trades`);
  expect(audit.stdout).toContain('REST asked about 120 minutes in 2 requests; 0 not asked (cap)');
}, 600_000);
