/**
 * Whole-process CPU per frame: our ingest against the `binance` npm package's WebsocketClient,
 * both receiving the same simulator stream at the same time, each in its own child process (so
 * `process.cpuUsage()` in the child is that client's CPU only), the simulator in a third.
 *
 * Ours runs `startIngest` with a sink that only counts klines. The `binance` client subscribes
 * every TRADING market's `<symbol>@kline_1m` over three connections (its SUBSCRIBE messages
 * carry 250 topics each and are sent back to back, so ≤ 3 per connection stays under Binance's
 * 5 messages/s, and ≤ 1024 streams per connection) and its handler only counts messages.
 * Both measure the same window after a warm-up (connect, subscribe, JIT). A third process, plain
 * `ws` connections that only count messages, shows the floor any Node client pays per frame.
 *
 *   npx tsx bench/binance-client.ts [--markets 2000] [--seconds 60] [--warmup 10] [--speed 1]
 */
import { WebsocketClient, type WsKey } from 'binance';
import WebSocket from 'ws';
import { startIngest } from '../ingest-task/capture/ingest';
import { InProcessSink } from '../ingest-task/sinks/in-process';
import { startRemoteSimulator } from '../test/ingest-task/sim-process';
import { cpuSecondsSince, isBenchChild, rssSampler, runInChild, serveChild, sleep } from './child-process';

export type ClientName = 'ours' | 'binance' | 'ws';

interface ChildRequest {
  client: ClientName;
  restUrl: string;
  streamUrl: string;
  warmupSeconds: number;
  seconds: number;
  /** The window is measured in this many consecutive rounds. */
  rounds: number;
}

export interface ClientFigures {
  client: ClientName;
  /** Stream messages received during the measured window. */
  frames: number;
  /** Closing (`x:true`) kline frames seen during the window (binance) or klines forwarded (ours). */
  closedKlines: number;
  cpuSeconds: number;
  wallSeconds: number;
  /** Over the whole window. */
  cpuMicrosPerFrame: number;
  /** The window in `rounds` rounds: the best round (least disturbed) and the median round. */
  bestMicrosPerFrame: number;
  medianMicrosPerFrame: number;
  rounds: number;
  best: { frames: number; cpuSeconds: number; wallSeconds: number };
  /** CPU time as a share of one core over the window, %. */
  cpuPercent: number;
  rssPeakMb: number;
  rssEndMb: number;
  heapUsedEndMb: number;
  connections: number;
  /** Disconnects/reconnects seen during the whole run (should be 0). */
  reconnects: number;
  /** CPU share of the same client connected to an idle stream (no frames): its fixed cost, %. */
  idleCpuPercent?: number;
  /** Best round: (CPU − idle share × round) / frames, what each frame costs on top of the fixed cost. */
  marginalMicrosPerFrame?: number;
}

export interface ClientComparison {
  markets: number;
  speed: number;
  seconds: number;
  ours: ClientFigures;
  binance: ClientFigures;
  /** The floor: a bare `ws` client that only counts messages (what any Node client pays for the socket). */
  ws: ClientFigures;
  /** binance CPU per frame / ours, best rounds. */
  ratio: number;
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

async function tradingSymbols(restUrl: string): Promise<string[]> {
  const response = await fetch(`${restUrl}/api/v3/exchangeInfo`);
  const info = (await response.json()) as { symbols: { symbol: string; status: string }[] };
  return info.symbols.filter((s) => s.status === 'TRADING').map((s) => s.symbol);
}

interface Round {
  frames: number;
  cpuSeconds: number;
  wallSeconds: number;
}

/**
 * One measured window, split into `rounds` consecutive rounds: totals over the window, and each
 * round's figures (the best round is the one least disturbed by other work on the machine).
 */
async function window(request: ChildRequest, counters: () => { frames: number; closed: number }) {
  await sleep(request.warmupSeconds * 1000);
  const before = counters();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const rss = rssSampler();
  const rounds: Round[] = [];
  for (let i = 0; i < request.rounds; i++) {
    const f0 = counters().frames;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await sleep((request.seconds * 1000) / request.rounds);
    rounds.push({ frames: counters().frames - f0, cpuSeconds: cpuSecondsSince(c0), wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9 });
  }
  const after = counters();
  const cpuSeconds = cpuSecondsSince(cpu);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = rss.stop();
  const mem = process.memoryUsage();
  const frames = after.frames - before.frames;
  const perFrame = (r: Round): number => (r.frames > 0 ? (r.cpuSeconds * 1e6) / r.frames : Number.POSITIVE_INFINITY);
  const sorted = [...rounds].sort((a, b) => perFrame(a) - perFrame(b));
  return {
    frames,
    closedKlines: after.closed - before.closed,
    cpuSeconds,
    wallSeconds,
    cpuMicrosPerFrame: frames > 0 ? (cpuSeconds * 1e6) / frames : Number.NaN,
    cpuPercent: (cpuSeconds / wallSeconds) * 100,
    best: sorted[0],
    bestMicrosPerFrame: perFrame(sorted[0]),
    medianMicrosPerFrame: perFrame(sorted[Math.floor((sorted.length - 1) / 2)]),
    rounds: rounds.length,
    rssPeakMb: mb(peak),
    rssEndMb: mb(mem.rss),
    heapUsedEndMb: mb(mem.heapUsed),
  };
}

async function measureOurs(request: ChildRequest): Promise<ClientFigures> {
  let klines = 0;
  const sink = new InProcessSink({ onBatch: async (b) => void (klines += b.klines.length) });
  const ingest = await startIngest({ restUrl: request.restUrl, streamUrl: request.streamUrl, sink });
  const w = await window(request, () => ({ frames: ingest.status().framesReceived, closed: klines }));
  const status = ingest.status();
  await ingest.stop();
  return { client: 'ours', ...w, connections: status.connections, reconnects: status.reconnects };
}

const silent = { trace: () => undefined, info: () => undefined, error: () => undefined };

async function measureBinance(request: ChildRequest): Promise<ClientFigures> {
  const symbols = await tradingSymbols(request.restUrl);
  const client = new WebsocketClient({ wsUrl: request.streamUrl }, silent);
  let frames = 0;
  let closed = 0;
  let reconnects = 0;
  client.on('message', (message: unknown) => {
    frames++;
    const data = (message as { data?: { k?: { x?: unknown } } }).data;
    if (data?.k?.x === true) closed++;
  });
  client.on('reconnecting', () => reconnects++);
  const keys: WsKey[] = ['main', 'main2', 'main3'];
  const perKey = Math.ceil(symbols.length / keys.length);
  const used = keys.filter((_, i) => i * perKey < symbols.length);
  await Promise.all(
    used.map((key, i) =>
      client.subscribe(
        symbols.slice(i * perKey, (i + 1) * perKey).map((s) => `${s.toLowerCase()}@kline_1m`),
        key,
      ),
    ),
  );
  const w = await window(request, () => ({ frames, closed }));
  client.closeAll(true);
  return { client: 'binance', ...w, connections: used.length, reconnects };
}

/** The floor: plain `ws` connections (≤ 1000 streams each, all in the URL), counting messages. */
async function measureBareWs(request: ChildRequest): Promise<ClientFigures> {
  const symbols = await tradingSymbols(request.restUrl);
  let frames = 0;
  let closes = 0;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < symbols.length; i += 1000) {
    const names = symbols.slice(i, i + 1000).map((s) => encodeURIComponent(`${s.toLowerCase()}@kline_1m`));
    const socket = new WebSocket(`${request.streamUrl}/stream?streams=${names.join('/')}`, { perMessageDeflate: false, maxPayload: 1 << 20 });
    socket.on('message', () => frames++);
    socket.on('close', () => closes++);
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
  }
  const w = await window(request, () => ({ frames, closed: 0 }));
  for (const s of sockets) s.terminate();
  return { client: 'ws', ...w, closedKlines: Number.NaN, connections: sockets.length, reconnects: closes };
}

export interface ClientBenchOptions {
  markets?: number;
  /** Rounds the window is split into (default one per 10 s). */
  rounds?: number;
  /** Real seconds measured against an idle stream first (no updates) for each client's fixed cost; 0 skips. */
  idleSeconds?: number;
  /** Simulator speed (1 = real time: 29 updates + 1 close per market-minute). */
  speed?: number;
  seconds?: number;
  warmupSeconds?: number;
}

const CLIENTS = ['ours', 'binance', 'ws'] as const;

/** All three clients at once, each in its own process, against one simulator. */
async function runClients(sim: { restUrl: string; streamUrl: string }, warmupSeconds: number, seconds: number, rounds: number): Promise<Record<ClientName, ClientFigures>> {
  const request = { restUrl: sim.restUrl, streamUrl: sim.streamUrl, warmupSeconds, seconds, rounds };
  const timeoutMs = (warmupSeconds + seconds + 60) * 1000;
  const [ours, binance, ws] = await Promise.all(CLIENTS.map((client) => runInChild<ChildRequest, ClientFigures>(__filename, { ...request, client }, { timeoutMs })));
  return { ours, binance, ws };
}

export async function benchClients(options: ClientBenchOptions = {}): Promise<ClientComparison> {
  const markets = options.markets ?? 2000;
  const speed = options.speed ?? 1;
  const seconds = options.seconds ?? 60;
  const warmupSeconds = options.warmupSeconds ?? 10;
  const idleSeconds = options.idleSeconds ?? 15;
  const rounds = options.rounds ?? Math.max(1, Math.round(seconds / 10));
  let idle: Record<ClientName, ClientFigures> | undefined;
  if (idleSeconds > 0) {
    // Same markets and subscriptions, no updates: within the window no frame arrives (the first close is 60 s after start).
    const quiet = await startRemoteSimulator({ markets, speed: 1, seed: 5, updatesPerMinute: 0 });
    try {
      idle = await runClients(quiet, Math.min(warmupSeconds, 8), Math.min(idleSeconds, 40), 1);
    } finally {
      await quiet.close();
    }
  }
  const sim = await startRemoteSimulator({ markets, speed, seed: 5 });
  let live: Record<ClientName, ClientFigures>;
  try {
    live = await runClients(sim, warmupSeconds, seconds, rounds);
  } finally {
    await sim.close();
  }
  if (idle) {
    for (const client of CLIENTS) {
      const f = live[client];
      const idleCpuPercent = idle[client].cpuPercent;
      f.idleCpuPercent = idleCpuPercent;
      f.marginalMicrosPerFrame = ((f.best.cpuSeconds - (idleCpuPercent / 100) * f.best.wallSeconds) * 1e6) / f.best.frames;
    }
  }
  return { markets, speed, seconds, ...live, ratio: live.binance.bestMicrosPerFrame / live.ours.bestMicrosPerFrame };
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (require.main === module && isBenchChild()) {
  serveChild<ChildRequest, ClientFigures>((r) => (r.client === 'ours' ? measureOurs(r) : r.client === 'binance' ? measureBinance(r) : measureBareWs(r)));
} else if (require.main === module) {
  benchClients({ markets: arg('--markets'), seconds: arg('--seconds'), warmupSeconds: arg('--warmup'), speed: arg('--speed'), idleSeconds: arg('--idle') }).then(
    (c) => console.log(JSON.stringify(c, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
