/**
 * `npm run cli -- …` as its own process, for the e2e tests: stdout (and, when it is JSON lines,
 * each line parsed), stderr, exit code and signal. `killWhen` sends `signal` (default SIGKILL)
 * once, at the first JSON line it accepts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv;
  killWhen?: (line: Record<string, unknown>) => boolean;
  signal?: NodeJS.Signals;
  /** Parse stdout as JSON lines (default true; false for commands that print text). */
  json?: boolean;
}

export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let stdout = '';
  let rest = '';
  let sent = false;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (options.json === false) return;
    rest += c.toString();
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) {
      if (p.trim() === '') continue;
      const line = JSON.parse(p) as Record<string, unknown>;
      lines.push(line);
      if (!sent && options.killWhen?.(line)) {
        sent = true;
        child.kill(options.signal ?? 'SIGKILL');
      }
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, lines, stdout, stderr })));
}
