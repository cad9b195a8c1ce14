/**
 * e2e: `npm run cli -- history` as its own process against the simulator's file site, killed
 * with SIGKILL part-way and interrupted by a corrupt file, then run again: the store ends equal
 * to the simulated truth, and the fault is reported by name on the way.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kline } from '../../core/kline';
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
  await store.close();
  expect(stored).toEqual([a, b].sort().flatMap((s) => sim.truth(s, 0, START - 1)));
}, 600_000);
