/** `npm start` as a user runs it: a child process, signals, exit codes and what it prints. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveOptions } from '../../../sim/options';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ROOT = join(__dirname, '../../..');
const SIM_CONTINUES_WORLD = 'worldStartTime' in resolveOptions({});

function start(args: string[], env: Record<string, string>, { sigtermAfterMs, cwd }: { sigtermAfterMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // As `npm start` runs it: one node process with tsx's loader (tsx's own CLI relays signals
    // through a second process and SIGKILLs its child when that relay is slow on a loaded machine).
    const child = spawn(process.execPath, ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'bin/local.ts'), ...args], {
      cwd: cwd ?? mkdtempSync(join(tmpdir(), 'kline-start-')),
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Signal once every market type is captured and caught up (the JSON status line, every 10 s),
    // so the stop really interrupts a running capture, however loaded the machine is.
    if (sigtermAfterMs !== undefined) {
      const poll = setInterval(() => {
        if (caughtUp(stdout)) {
          clearInterval(poll);
          setTimeout(() => child.kill('SIGTERM'), sigtermAfterMs);
        }
      }, 100);
      child.on('exit', () => clearInterval(poll));
    }
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The last JSON status line says every market type has caught up to within 5 exchange minutes. */
function caughtUp(stdout: string): boolean {
  const last = stdout.split('\n').filter((l) => l.includes('"message":"status"')).pop();
  if (!last) return false;
  const types = (JSON.parse(last) as { types: { lagMs?: number }[] }).types;
  return types.length > 0 && types.every((t) => t.lagMs !== undefined && t.lagMs < 5 * 60_000);
}

/** What the run printed for people (everything but the JSON log lines). */
function printed(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
}

interface TypeVerdict {
  expected: number;
  stored: number;
  missing: number;
  duplicated: number;
  differing: number;
}

/** The verdict line: its word, the open times it covers, and each market type's figures. */
function verdict(stdout: string): { word: string; from: string; to: string; types: Record<string, TypeVerdict> } | undefined {
  const line = /^(VERIFIED|MISMATCH|INCOMPLETE): .*$/m.exec(stdout)?.[0];
  if (!line) return undefined;
  const types: Record<string, TypeVerdict> = {};
  for (const m of line.matchAll(/(spot|usdm|coinm): expected (\d+), stored (\d+), missing (\d+), duplicated (\d+), differing (\d+)/g)) {
    types[m[1]] = { expected: Number(m[2]), stored: Number(m[3]), missing: Number(m[4]), duplicated: Number(m[5]), differing: Number(m[6]) };
  }
  const span = /open times (\S+) – (\S+)\)/.exec(line);
  return { word: line.split(':')[0], from: span?.[1] ?? '', to: span?.[2] ?? '', types };
}

const PERFECT = { missing: 0, duplicated: 0, differing: 0 };

describe('npm start', () => {
  it('captures spot, USDⓈ-M and COIN-M from the simulator, stops on SIGTERM mid-run without losing a buffered kline, and verifies every type', async () => {
    // Prepare / Act
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    const run = await start(['--sim', '--markets', '60', '--speed', '300', '--faults', 'drop,duplicate,late'], { KLINE_STORE: `sqlite:${join(dir, 'k.db')}` }, { sigtermAfterMs: 1000 });
    // Assess
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/"reason":"SIGTERM"/);
    const v = verdict(run.stdout);
    expect(printed(run.stdout)).toContainEqual(expect.stringMatching(/^VERIFIED/));
    expect(v).toMatchObject({ word: 'VERIFIED', types: { spot: PERFECT, usdm: PERFECT, coinm: PERFECT } });
    // --markets 60: 60 spot, 20 USDⓈ-M and 6 COIN-M markets, each verified over several minutes.
    expect(v!.types.spot.expected).toBeGreaterThan(60 * 5);
    expect(v!.types.usdm.expected).toBeGreaterThan(20 * 5);
    expect(v!.types.coinm.expected).toBeGreaterThan(6 * 5);
    expect(run.stdout).toMatch(/behind the exchange at the stop .*: spot [^,]+, usdm [^,]+, coinm [^.]+\./);
    expect(run.code).toBe(0);
  }, 90_000);

  it('MARKET_TYPES selects the types captured and verified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    const run = await start(['--sim', '--markets', '30', '--speed', '300'], { KLINE_STORE: `sqlite:${join(dir, 'k.db')}`, MARKET_TYPES: 'coinm' }, { sigtermAfterMs: 1000 });
    const v = verdict(run.stdout);
    expect(printed(run.stdout)).toContainEqual(expect.stringMatching(/^VERIFIED/));
    expect(v).toMatchObject({ word: 'VERIFIED', types: { coinm: PERFECT } });
    expect(Object.keys(v!.types)).toEqual(['coinm']);
    expect(run.code).toBe(0);
  }, 90_000);

  // A restart is verifiable only when the simulator continues the same world (its listings and
  // breaks placed from the world's start, not re-rolled from the restart: issue 14 item 13, sim's
  // `worldStartTime`). Without it the verification rightly says MISMATCH for the re-rolled markets.
  (SIM_CONTINUES_WORLD ? it : it.skip)('a restarted run verifies the earlier run and the minutes backfilled between the runs, not only its own', async () => {
    // Prepare: a first run, stopped.
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    const cwd = mkdtempSync(join(tmpdir(), 'kline-start-'));
    const env = { KLINE_STORE: `sqlite:${join(dir, 'k.db')}` };
    const args = ['--sim', '--markets', '30', '--speed', '300'];
    const first = await start(args, env, { cwd, sigtermAfterMs: 1000 });
    const v1 = verdict(first.stdout);
    expect(printed(first.stdout)).toContainEqual(expect.stringMatching(/^VERIFIED/));
    expect(v1).toMatchObject({ word: 'VERIFIED', types: { spot: PERFECT, usdm: PERFECT, coinm: PERFECT } });
    // Act: the second run on the same store.
    const second = await start(args, env, { cwd, sigtermAfterMs: 1000 });
    // Assess: its verification starts where the first run's did and covers more of every type.
    const v2 = verdict(second.stdout);
    expect(second.stdout.split('\n').filter((l) => /^(VERIFIED|MISMATCH|INCOMPLETE|examples)/.test(l))).toEqual([expect.stringMatching(/^VERIFIED/)]);
    expect(second.stderr).toBe('');
    expect(v2).toMatchObject({ word: 'VERIFIED', from: v1!.from, types: { spot: PERFECT, usdm: PERFECT, coinm: PERFECT } });
    expect(v2!.to > v1!.to).toBe(true);
    for (const t of ['spot', 'usdm', 'coinm']) expect(v2!.types[t].expected).toBeGreaterThan(v1!.types[t].expected);
    expect(second.code).toBe(0);
  }, 120_000);

  it('exits non-zero when nothing could be verified (stopped before the first full minute)', async () => {
    // --speed 1: the first full minute ends a minute after the start, long after the 3 s run.
    const run = await start(['--sim', '--markets', '5', '--speed', '1', '--duration', '3'], { KLINE_STORE: 'sqlite::memory:' });
    expect(run.stdout).toMatch(/^Nothing to verify yet: no full minute was captured/m);
    expect(run.stdout).not.toMatch(/^VERIFIED/m);
    expect(run.code).toBe(1);
  }, 60_000);

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
