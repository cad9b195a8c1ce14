import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireStoreLock, StoreLockedError } from '../../../bin/local/store-lock';

const ROOT = join(__dirname, '../../..');

describe('one pipeline per store', () => {
  it('refuses a store locked by a live process, naming it, and takes over a lock whose process is gone', async () => {
    // Prepare: a live process owns the lock
    const db = join(mkdtempSync(join(tmpdir(), 'kline-lock-')), 'k.db');
    const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    writeFileSync(`${db}.lock`, `${owner.pid}\n`);

    // Act / Assess
    expect(() => acquireStoreLock(db)).toThrow(StoreLockedError);
    expect(() => acquireStoreLock(db)).toThrow(new RegExp(`another pipeline \\(pid ${owner.pid}\\) is using the store`));

    owner.kill('SIGKILL');
    await new Promise((r) => owner.once('exit', r));
    const release = acquireStoreLock(db);
    expect(existsSync(`${db}.lock`)).toBe(true);
    release();
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it('a second npm start on the same SQLite store refuses to start with one clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-lock-'));
    const env = { ...process.env, KLINE_STORE: `sqlite:${join(dir, 'k.db')}` };
    const run = (args: string[]) => spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'bin/local.ts'), ...args], { cwd: dir, env });
    const first = run(['--sim', '--markets', '5', '--speed', '60']);
    let firstOut = '';
    first.stdout.on('data', (d: Buffer) => (firstOut += d.toString()));
    for (let i = 0; i < 300 && !firstOut.includes('pipeline started'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(firstOut).toContain('pipeline started');

    const second = run(['--sim', '--markets', '5']);
    let err = '';
    second.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => second.once('exit', r));
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));

    expect(code).toBe(1);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^KLINE_STORE: another pipeline \(pid \d+\) is using the store .*k\.db; stop it first/);
  }, 60_000);
});
