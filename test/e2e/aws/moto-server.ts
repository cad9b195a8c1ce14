/**
 * Python moto's AWS API server (`moto_server`) as a child process on a free loopback port, for the
 * tests of the deployed artifacts (SQS, Secrets Manager, SES).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface MotoServer {
  /** e.g. http://127.0.0.1:40123; give it as AWS_ENDPOINT_URL. */
  endpoint: string;
  /** Environment a child needs to reach it: endpoint, fake credentials, the region. */
  awsEnv: Record<string, string>;
  /** moto's own dump of every backend (`/moto-api/data.json`). */
  data(): Promise<Record<string, Record<string, unknown[]>>>;
  close(): Promise<void>;
}

export const MOTO_REGION = 'eu-west-1';

export async function startMotoServer(timeoutMs = 60_000): Promise<MotoServer> {
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto_server did not start within ${timeoutMs} ms: ${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited with ${code}: ${output}`));
    });
  });
  // Keep draining its request log so the pipe never fills.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    endpoint,
    awsEnv: { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: MOTO_REGION, AWS_DEFAULT_REGION: MOTO_REGION },
    async data() {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      return (await res.json()) as Record<string, Record<string, unknown[]>>;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
