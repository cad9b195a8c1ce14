/**
 * e2e: `npm run cli -- history` as its own process against the simulator's file site, killed
 * with SIGKILL part-way and interrupted by a corrupt file, then run again: the store ends equal
 * to the simulated truth, and the fault is reported by name on the way. The bars the history
 * job built (5m … 4h, 1d, 1w) equal resampling the truth, and `export --time-zone +08:00` days
 * equal the truth's +08:00 days.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binanceCsvRow } from '../../core/export/binance-csv';
import { STORED_RESAMPLED_INTERVALS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { resample } from '../../core/resample';
import { openStore } from '../../core/store/index';
import { startSimulator, type Simulator } from '../../sim';

const START = Date.UTC(2026, 0, 5);
const ROOT = join(__dirname, '..', '..');

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ markets: 2, seed: 33, speed: 1, historyMs: 12 * 86_400_000, unicodeSymbols: 0 });
  dir = mkdtempSync(join(tmpdir(), 'e2e-history-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

function history(killWhen?: (line: Record<string, unknown>) => boolean): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'cli.ts'), 'history', '--to', '2026-01-05', '--concurrency', '1', '--store', `sqlite:${join(dir, 'k.db')}`, '--state', join(dir, 'state.json')], {
    cwd: ROOT,
    env: { ...process.env, BINANCE_DUMPS_URL: sim.restUrl, BINANCE_REST_URL: sim.restUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let rest = '';
  child.stdout.on('data', (c: Buffer) => {
    rest += c.toString();
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) {
      if (p.trim() === '') continue;
      const line = JSON.parse(p) as Record<string, unknown>;
      lines.push(line);
      if (killWhen?.(line)) child.kill('SIGKILL');
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, lines, stderr })));
}

test('killed with SIGKILL and failed on a corrupt file, history resumes and ends equal to the truth', async () => {
  const [a, b] = sim.symbols();
  sim.dumps.setFaults([{ kind: 'corrupt-zip', symbol: b, date: '2026-01-02' }]);

  const killed = await history((l) => l.event === 'progress' && Number(l.tasksDone) >= 3);
  expect(killed.signal).toBe('SIGKILL');

  const failed = await history();
  expect(failed.code).toBe(3);
  expect(failed.stderr).toContain(`spot/daily/${b}/2026-01-02 (corrupt-zip)`);
  const summary = failed.lines.at(-1) as { resumed: number };
  expect(summary.resumed).toBeGreaterThan(0);

  sim.dumps.setFaults([]);
  const done = await history();
  expect(done.code).toBe(0);

  const store = await openStore({ kind: 'sqlite', path: join(dir, 'k.db') });
  const stored = (await store.read({ marketType: 'spot', interval: '1m', from: 0, to: START })).map(({ source: _s, ...k }: Kline) => k);
  const truth = [a, b].sort().map((s) => sim.truth(s, 0, START - 1));
  expect(stored).toEqual(truth.flat());

  // The bars history built once the range was in: every stored interval, 1w included (a whole
  // Monday-to-Monday week, 2025-12-29, and the listing week before it, built from fewer minutes).
  for (const interval of STORED_RESAMPLED_INTERVALS) {
    const bars = await store.read({ marketType: 'spot', interval, from: 0, to: START });
    expect({ interval, bars }).toEqual({ interval, bars: truth.flatMap((t) => resample(t, interval)) });
  }
  await store.close();
  expect(truth.flatMap((t) => resample(t, '1w')).map((w) => new Date(w.openTime).toISOString())).toEqual(
    [a, b].flatMap(() => ['2025-12-22T00:00:00.000Z', '2025-12-29T00:00:00.000Z']),
  );

  // +08:00 days from the export CLI: windows open at 16:00 UTC, the first one at the listing.
  const out = join(dir, 'tz');
  const exported = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'cli.ts'), 'export', '--interval', '1d', '--time-zone', '+08:00', '--from', '2025-12-20', '--to', '2026-01-04T16:00:00Z', '--store', `sqlite:${join(dir, 'k.db')}`, '--out', out], { cwd: ROOT, encoding: 'utf8' });
  expect([exported.status, exported.stderr]).toEqual([0, '']);
  const files = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.csv')).sort();
  const rows = files.map((f) => readFileSync(join(out, f), 'utf8')).join('');
  const days = [a, b].sort().map((s, i) => resample(truth[i], '1d', 8 * 3_600_000).filter((d) => d.openTime < Date.UTC(2026, 0, 4, 16)));
  expect(days[0].length).toBe(12); // 2025-12-24 00:00 UTC is 08:00 on the first +08:00 day
  expect(rows).toBe(days.flat().map((k) => binanceCsvRow(k, 'spot')).join(''));
}, 600_000);
