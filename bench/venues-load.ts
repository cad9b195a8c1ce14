/**
 * `venues-load`: all three market types at Binance's real frame rates, captured by one ingest
 * process (startCapture, as the Fargate task runs it): ≈ 2,000 spot markets (an update every
 * 2 s), ≈ 600 USDⓈ-M and ≈ 60 COIN-M contracts (every 250 ms), ≈ 3,600 frames/s in all. Each
 * venue's simulator runs in its own child process at speed 1; the ingest runs in another, so its
 * CPU share (process.cpuUsage, all threads), peak RSS and close → sink latency are its own.
 *
 * Close → sink: for every kline the sink receives from the stream in the measured window, real
 * time at the sink minus the minute's close, in exchange time (the simulators' clocks run at
 * speed 1 from a known offset, measured before the start).
 *
 *   npx tsx bench/venues-load.ts [--seconds 90] [--cpu-prof DIR]   (or `npm run bench -- --only venues-load`)
 */
import type { MarketType } from '../core/market';
import { startCapture } from '../ingest-task/capture/capture';
import { silentLogger } from '../core/logger';
import { InProcessSink } from '../ingest-task/sinks/in-process';
import { VENUES } from '../core/binance/venues';
import { startRemoteSimulator, type RemoteSimulator } from '../test/ingest-task/sim-process';
import { cpuSecondsSince, isBenchChild, rssSampler, runInChild, serveChild, sleep } from './child-process';
import { num, type Table } from './table';

export const VENUES_LOAD_MARKETS: Readonly<Record<MarketType, number>> = { spot: 2000, usdm: 600, coinm: 60 };

interface Request {
  endpoints: { marketType: MarketType; restUrl: string; streamUrl: string; offsetMs: number }[];
  warmupSeconds: number;
  seconds: number;
}

export interface VenuesLoadFigures {
  markets: Record<string, number>;
  seconds: number;
  cpuPercent: number;
  peakRssMb: number;
  framesPerSecond: number;
  klinesInWindow: number;
  closeToSinkP50Ms: number;
  closeToSinkP99Ms: number;
  closeToSinkMaxMs: number;
  connections: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** In the measured child: capture every venue, measure after the warm-up. */
async function measure(r: Request): Promise<VenuesLoadFigures> {
  const offsets = new Map(r.endpoints.map((e) => [e.marketType, e.offsetMs]));
  const latencies: number[] = [];
  let measuring = false;
  let klinesInWindow = 0;
  // Batches arrive per venue; every kline of a batch came from that venue's ingest.
  const sinks = new Map<MarketType, InProcessSink>();
  for (const e of r.endpoints) {
    sinks.set(
      e.marketType,
      new InProcessSink({
        onBatch: async (b) => {
          if (!measuring) return;
          const exchangeNow = Date.now() + (offsets.get(e.marketType) ?? 0);
          for (const k of b.klines) {
            klinesInWindow++;
            latencies.push(exchangeNow - (k.closeTime + 1));
          }
        },
      }),
    );
  }
  const handles = await Promise.all(
    r.endpoints.map((e) =>
      startCapture({
        venues: [{ venue: VENUES[e.marketType], restUrl: e.restUrl, streamUrl: e.streamUrl }],
        sink: sinks.get(e.marketType) as InProcessSink,
        streamCopies: 1,
        logger: silentLogger,
      }),
    ),
  );
  await sleep(r.warmupSeconds * 1000);
  const frames0 = handles.reduce((n, h) => n + h.status().venues.reduce((m, v) => m + (v.ingest?.framesReceived ?? 0), 0), 0);
  const rss = rssSampler();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  measuring = true;
  await sleep(r.seconds * 1000);
  measuring = false;
  const cpuSeconds = cpuSecondsSince(cpu0);
  const elapsed = (Date.now() - t0) / 1000;
  const peak = rss.stop();
  const statuses = handles.map((h) => h.status());
  const frames = statuses.reduce((n, s) => n + s.venues.reduce((m, v) => m + (v.ingest?.framesReceived ?? 0), 0), 0) - frames0;
  await Promise.all(handles.map((h) => h.stop()));
  latencies.sort((a, b) => a - b);
  return {
    markets: Object.fromEntries(statuses.flatMap((s) => s.venues.map((v) => [v.marketType, v.ingest?.markets ?? 0]))),
    seconds: elapsed,
    cpuPercent: (100 * cpuSeconds) / elapsed,
    peakRssMb: peak / 1024 / 1024,
    framesPerSecond: frames / elapsed,
    klinesInWindow,
    closeToSinkP50Ms: percentile(latencies, 50),
    closeToSinkP99Ms: percentile(latencies, 99),
    closeToSinkMaxMs: latencies.length > 0 ? latencies[latencies.length - 1] : NaN,
    connections: statuses.reduce((n, s) => n + s.connections, 0),
  };
}

export async function benchVenuesLoad(
  options: { seconds?: number; warmupSeconds?: number; markets?: Partial<Record<MarketType, number>>; cpuProfileDir?: string } = {},
): Promise<VenuesLoadFigures> {
  const sims: { marketType: MarketType; sim: RemoteSimulator }[] = [];
  try {
    for (const marketType of ['spot', 'usdm', 'coinm'] as const) {
      const markets = options.markets?.[marketType] ?? VENUES_LOAD_MARKETS[marketType];
      sims.push({ marketType, sim: await startRemoteSimulator({ marketType, markets, speed: 1, seed: 7, startTime: Math.floor(Date.now() / 60_000) * 60_000 - 60_000 * 60 }) });
    }
    const endpoints = [];
    for (const { marketType, sim } of sims) {
      const before = Date.now();
      const simNow = await sim.now();
      endpoints.push({ marketType, restUrl: sim.restUrl, streamUrl: sim.streamUrl, offsetMs: simNow - (before + Date.now()) / 2 });
    }
    return await runInChild<Request, VenuesLoadFigures>(__filename, { endpoints, warmupSeconds: options.warmupSeconds ?? 20, seconds: options.seconds ?? 90 }, {
      timeoutMs: 600_000,
      // A V8 CPU profile of the measured process (open it in Chrome DevTools or speedscope).
      execArgv: options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [],
    });
  } finally {
    await Promise.all(sims.map((s) => s.sim.close()));
  }
}

export function venuesLoadTable(f: VenuesLoadFigures): Table {
  const m = f.markets;
  return {
    title: `venues-load: one ingest process, ${num(m.spot ?? 0)} spot + ${num(m.usdm ?? 0)} USDⓈ-M + ${num(m.coinm ?? 0)} COIN-M markets at real frame rates (${num(Math.round(f.framesPerSecond))} frames/s, ${f.connections} connections, ${Math.round(f.seconds)} s)`,
    headers: ['figure', 'goal', 'measured', 'verdict'],
    rows: [
      ['ingest CPU, % of one core', '< 3 %', `${f.cpuPercent.toFixed(2)} %`, f.cpuPercent < 3 ? 'PASS' : 'MISS'],
      ['ingest peak RSS', '< 250 MB', `${f.peakRssMb.toFixed(0)} MB`, f.peakRssMb < 250 ? 'PASS' : 'MISS'],
      ['close → sink p99', '< 1 s', `${num(Math.round(f.closeToSinkP99Ms))} ms`, f.closeToSinkP99Ms < 1000 ? 'PASS' : 'MISS'],
      ['close → sink p50 / max', '', `${num(Math.round(f.closeToSinkP50Ms))} / ${num(Math.round(f.closeToSinkMaxMs))} ms`, ''],
      ['klines forwarded in the window', '', num(f.klinesInWindow), ''],
    ],
  };
}

if (require.main === module && isBenchChild()) {
  serveChild<Request, VenuesLoadFigures>(measure);
} else if (require.main === module) {
  const arg = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? process.argv[at + 1] : undefined;
  };
  const seconds = arg('--seconds');
  benchVenuesLoad({ seconds: seconds !== undefined ? Number(seconds) : undefined, cpuProfileDir: arg('--cpu-prof') })
    .then((f) => console.log(JSON.stringify(f, null, 2)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
