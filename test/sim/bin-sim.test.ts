import { spawn } from 'node:child_process';
import { join } from 'node:path';

describe('npm run sim (bin/sim.ts)', () => {
  it('prints its REST and stream URLs, serves them, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../bin/sim.ts'), '--port', '0', '--markets', '5', '--speed', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        if (out.includes('Ctrl-C')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const rest = /REST\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const stream = /STREAM\s+(ws:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const info = (await (await fetch(`${rest}/api/v3/exchangeInfo`)).json()) as { symbols: unknown[] };
    child.kill('SIGINT');
    const code = await exited;

    expect(stream?.replace('ws://', 'http://')).toBe(rest);
    expect(info.symbols).toHaveLength(5);
    expect(code).toBe(0);
    expect(out).toContain('stopped:');
  });

  it('exits with 2 and the usage on a bad argument', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../bin/sim.ts'), '--faults', 'meteor'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));

    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

    expect(code).toBe(2);
    expect(err).toContain('unknown fault "meteor"');
    expect(err).toContain('usage: npm run sim');
  });
});
