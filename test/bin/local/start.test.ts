/** `npm start` as a user runs it: a child process, signals, exit codes and what it prints. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ROOT = join(__dirname, '../../..');

function start(args: string[], env: Record<string, string>, { sigtermAfterMs }: { sigtermAfterMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'bin/local.ts'), ...args], {
      cwd: mkdtempSync(join(tmpdir(), 'kline-start-')),
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Signal once the pipeline has stored klines, so the stop really interrupts a running capture.
    if (sigtermAfterMs !== undefined) {
      const poll = setInterval(() => {
        if (/"storedTotal":[1-9]/.test(stdout) || /"message":"report written"/.test(stdout)) {
          clearInterval(poll);
          setTimeout(() => child.kill('SIGTERM'), sigtermAfterMs);
        }
      }, 100);
      child.on('exit', () => clearInterval(poll));
    }
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start', () => {
  it('stops on SIGTERM mid-run without losing a buffered kline, and verifies the store against the simulator', async () => {
    // Prepare / Act
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    const run = await start(['--sim', '--markets', '60', '--speed', '300', '--faults', 'drop,duplicate,late'], { KLINE_STORE: `sqlite:${join(dir, 'k.db')}` }, { sigtermAfterMs: 3000 });
    // Assess
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/"reason":"SIGTERM"/);
    const verdict = /(VERIFIED|MISMATCH): expected (\d+), stored (\d+), missing (\d+), duplicated (\d+), differing (\d+)/.exec(run.stdout);
    expect(verdict).not.toBeNull();
    const [, word, expected, , missing, duplicated, differing] = verdict!;
    expect({ word, missing, duplicated, differing }).toEqual({ word: 'VERIFIED', missing: '0', duplicated: '0', differing: '0' });
    expect(Number(expected)).toBeGreaterThan(60 * 5);
    expect(run.code).toBe(0);
  }, 90_000);

  it('says in one message that Binance could not be reached and how to run offline', async () => {
    const run = await start([], { BINANCE_REST_URL: 'http://127.0.0.1:1', KLINE_STORE: 'sqlite::memory:' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/Binance could not be reached at http:\/\/127\.0\.0\.1:1 .*npm start -- --sim/);
  }, 30_000);

  it('fails at start on bad configuration, naming the setting', async () => {
    const run = await start(['--sim'], { KLINE_STORE: 'postgres://db/klines' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Configuration error: KLINE_STORE: expected sqlite:PATH/);
    expect(run.stdout).toBe('');
  }, 30_000);

  it('rejects an unknown flag with the usage text', async () => {
    const run = await start(['--simulate'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option "--simulate"[\s\S]*Usage: npm start/);
  }, 30_000);
});
