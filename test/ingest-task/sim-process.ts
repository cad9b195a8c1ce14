/**
 * Runs the simulator in a child process for the heavy ingest tests: same API as far as the
 * tests need it, every call asynchronous. `close()` ends the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Kline } from '../../core/kline';
import type { MarketStatusEvent } from '../../core/market';
import type { ExpectedMinute, FaultConfig, SimMarketInfo, SimOptions, SimStats } from '../../sim/index';

export interface RemoteSimulator {
  restUrl: string;
  streamUrl: string;
  now(): Promise<number>;
  truth(symbol: string, from: number, to: number): Promise<Kline[]>;
  expectedMinutes(from: number, to: number): Promise<ExpectedMinute[]>;
  markets(at?: number): Promise<SimMarketInfo[]>;
  marketHistory(): Promise<MarketStatusEvent[]>;
  stats(): Promise<SimStats>;
  setFaults(faults: FaultConfig | readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startRemoteSimulator(options: SimOptions): Promise<RemoteSimulator> {
  const child: ChildProcess = fork(join(__dirname, 'sim-host.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error !== undefined) w.reject(new Error(m.error));
    else w.resolve(m.result);
  });
  child.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('simulator process exited'));
    waiting.clear();
  });
  const call = <T>(method: string, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, method, args });
    });
  const started = await call<{ restUrl: string; streamUrl: string }>('start', options);
  return {
    restUrl: started.restUrl,
    streamUrl: started.streamUrl,
    now: () => call('now'),
    truth: (symbol, from, to) => call('truth', symbol, from, to),
    expectedMinutes: (from, to) => call('expectedMinutes', from, to),
    markets: (at) => call('markets', ...(at === undefined ? [] : [at])),
    marketHistory: () => call('marketHistory'),
    stats: () => call('stats'),
    setFaults: (faults) => call('setFaults', faults),
    async close() {
      await call('close').catch(() => undefined);
      if (child.exitCode === null) child.kill();
    },
  };
}
