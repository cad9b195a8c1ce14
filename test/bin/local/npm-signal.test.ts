/**
 * `kill <npm pid>`: npm does not forward SIGTERM to the script it runs, so the pipeline must stop
 * on its own when npm exits, and not keep writing to the store as an orphan.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

function pipelinePids(dir: string): number[] {
  // Processes whose working directory is this test's folder: the pipeline (npm itself is gone).
  const out = execFileSync('ps', ['-eo', 'pid=']).toString().trim().split(/\s+/).map(Number);
  return out.filter((pid) => {
    try {
      return execFileSync('readlink', [`/proc/${pid}/cwd`]).toString().trim() === dir;
    } catch {
      return false;
    }
  });
}

describe('npm start and signals', () => {
  it('SIGTERM to the npm start PID stops the whole pipeline cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-npm-'));
    const log = join(dir, 'out.log');
    const npm = spawn('sh', ['-c', `exec npm --prefix ${ROOT} start -- --sim --markets 5 --speed 60 > ${log} 2>&1`], {
      cwd: dir,
      env: { ...process.env, KLINE_STORE: `sqlite:${join(dir, 'k.db')}` },
    });
    const read = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    for (let i = 0; i < 400 && !/"storedTotal":[1-9]|"message":"connection open"/.test(read()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(read()).toMatch(/connection open|storedTotal/);

    npm.kill('SIGTERM');
    await new Promise((r) => npm.once('exit', r));
    let left = pipelinePids(dir);
    for (let i = 0; i < 150 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      left = pipelinePids(dir);
    }
    for (const pid of left) process.kill(pid, 'SIGKILL'); // never leave one behind, even when failing

    expect(left).toStrictEqual([]);
    expect(read()).toMatch(/"message":"stopping","reason":"SIGTERM"/);
    expect(read()).toMatch(/Stored \d+ klines/);
  }, 90_000);
});
