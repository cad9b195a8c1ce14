/**
 * A Lambda bundle in its own `node` process, loaded by lambda-host.js the way the Node.js runtime
 * loads it. The runtime provides the AWS SDK v3 on its NODE_PATH; here the repository's
 * node_modules plays that part (it also provides better-sqlite3, for the KLINE_STORE=sqlite: test
 * store, see lambda/shared/store.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../../../lib/paths';

export interface LambdaInvocationError {
  name: string;
  message: string;
}

export interface LambdaContainer {
  invoke<T>(event: unknown): Promise<{ result?: T; error?: LambdaInvocationError }>;
  /** Every line the function wrote to stdout/stderr (its logs and EMF metrics). */
  lines(): string[];
  close(): Promise<void>;
}

export async function startLambdaContainer(file: string, exportName: string, functionName: string, env: Record<string, string>, timeoutMs = 30_000): Promise<LambdaContainer> {
  const child: ChildProcess = fork(path.join(__dirname, 'lambda-host.js'), [file, exportName, functionName], {
    execPath: process.execPath,
    execArgv: [],
    cwd: path.dirname(file),
    env: { PATH: process.env.PATH ?? '', NODE_PATH: path.join(REPO_ROOT, 'node_modules'), AWS_LAMBDA_FUNCTION_NAME: functionName, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  let partial = '';
  const collect = (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.trim() !== ''));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let nextId = 1;
  const waiting = new Map<number, (m: { result?: unknown; error?: LambdaInvocationError }) => void>();
  child.on('exit', (code, signal) => {
    for (const done of waiting.values()) done({ error: { name: 'ContainerExited', message: `${functionName} exited (${code ?? signal}): ${lines.slice(-5).join(' | ')}` } });
    waiting.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${functionName} exited with ${code} while loading: ${lines.join('\n')}`)));
    child.on('message', (m: { ready?: boolean; id?: number; result?: unknown; error?: LambdaInvocationError }) => {
      if (m.ready) resolve();
      else if (m.id !== undefined) {
        waiting.get(m.id)?.(m);
        waiting.delete(m.id);
      }
    });
  });
  return {
    invoke<T>(event: unknown) {
      return new Promise<{ result?: T; error?: LambdaInvocationError }>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, resolve as (m: { result?: unknown; error?: LambdaInvocationError }) => void);
        child.send({ id, event, timeoutMs }, (err) => err && reject(err));
      });
    },
    lines: () => [...lines, ...(partial ? [partial] : [])],
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
