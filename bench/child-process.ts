/**
 * Runs one measurement in a child process, so its CPU time and memory are its own: the parent
 * forks a bench module (through tsx), sends it one request and gets one result back.
 *
 *   // parent
 *   const figures = await runInChild<Request, Result>(join(__dirname, 'x.ts'), request);
 *   // child (x.ts); `require.main === module` keeps modules that x.ts merely imports from answering
 *   if (require.main === module && isBenchChild()) serveChild<Request, Result>(measure);
 */
import { fork, type Serializable } from 'node:child_process';

const CHILD_FLAG = '--bench-child';

export function isBenchChild(): boolean {
  return process.argv.includes(CHILD_FLAG) && typeof process.send === 'function';
}

export function runInChild<Req extends object, Res>(modulePath: string, request: Req, options: { timeoutMs?: number; execArgv?: string[] } = {}): Promise<Res> {
  const child = fork(modulePath, [CHILD_FLAG], {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<Res>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settle(new Error(`bench child ${modulePath} did not answer within ${options.timeoutMs} ms`));
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 300_000);
    const settle = (error: Error | undefined, result?: Res): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(result as Res);
    };
    child.on('message', (message) => {
      const m = message as { result?: Res; error?: string };
      if (m.error !== undefined) settle(new Error(m.error));
      else settle(undefined, m.result);
    });
    child.on('error', (e) => settle(e));
    child.on('exit', (code, signal) => settle(new Error(`bench child ${modulePath} exited (${code ?? signal}) without a result`)));
    child.send(request as Serializable);
  });
}

/** In the child: answer the parent's one request with `measure(request)`, then exit. */
export function serveChild<Req, Res>(measure: (request: Req) => Promise<Res>): void {
  process.once('message', (request: Req) => {
    measure(request).then(
      (result) => process.send?.({ result }, () => process.exit(0)),
      (e: unknown) => process.send?.({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () => process.exit(1)),
    );
  });
}

/** CPU seconds (user + system, all threads) of this process since `start`. */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Peak RSS sampled every `everyMs` until `stop()`; returns the peak in bytes. Reads RSS alone
 * (`process.memoryUsage.rss()`): the full `process.memoryUsage()` also walks the V8 heaps, which
 * cost ≈ 0.5 % of a core at this rate and was counted in the measured process's CPU.
 */
export function rssSampler(everyMs = 250): { stop(): number; peak(): number } {
  const rss = (): number => process.memoryUsage.rss();
  let peak = rss();
  const timer = setInterval(() => (peak = Math.max(peak, rss())), everyMs);
  timer.unref();
  return {
    peak: () => Math.max(peak, rss()),
    stop() {
      clearInterval(timer);
      return Math.max(peak, rss());
    },
  };
}
