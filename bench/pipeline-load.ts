/**
 * All-market load through the local pipeline (`startLocalPipeline`: ingest → in-process queue →
 * writer → SQLite file, resampler on its timer), the pipeline in its own child process and the
 * simulator in another, so the CPU and memory measured are the pipeline's alone.
 *
 * One run, three phases:
 * 1. Backfill burst: the store starts empty and the ingest is asked for `backfillMinutes` of
 *    history per new market (`newMarketHistoryMs`), fetched from the simulator's REST API and
 *    stored through the writer. Reported end to end (REST-bound) for information.
 * 2. Steady state: CPU share (process.cpuUsage, all threads) and peak RSS over `seconds`.
 * 3. Close → stored latency of every kline whose minute closed during the steady window: the
 *    store wrapper notes when each 1m upsert resolved, in exchange time converted to real ms
 *    (the simulator's clock runs `speed` times faster), as the in-process queue does.
 *
 * Separately, `benchWriterBurst` measures the writer path alone: `writeMessages` (decode +
 * validate + bulk upsert) on SQS bodies of markets × minutes klines into a fresh SQLite file,
 * in batches of 10,000 klines as the ingest flushes them. This is the sustained intake figure.
 *
 *   npx tsx bench/pipeline-load.ts [--markets 2000] [--speed 4] [--seconds 60] [--backfill 30]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalPipeline, type LocalPipeline } from '../bin/local/pipeline';
import { encodeBatch } from '../core/codec';
import { parseStoreUrl } from '../core/config';
import type { Kline } from '../core/kline';
import { openStore } from '../core/store';
import type { KlineStore } from '../core/store/port';
import { silentLogger } from '../core/logger';
import { writeMessages } from '../lambda/writer';
import { startRemoteSimulator } from '../test/ingest-task/sim-process';
import { cpuSecondsSince, isBenchChild, rssSampler, runInChild, serveChild, sleep } from './child-process';
import { generateMarketDay } from './resample';

const MINUTE_MS = 60_000;

export interface PipelineLoadOptions {
  markets?: number;
  /** Simulator speed. 4 keeps the real frame rate of live Binance (7 updates + 1 close per market per 15 s). */
  speed?: number;
  /** Real seconds of the steady-state window. */
  seconds?: number;
  /** Real seconds between start and the steady window (connect, subscribe, JIT). */
  warmupSeconds?: number;
  /** Minutes of history each market backfills at start (0: none). */
  backfillMinutes?: number;
}

export interface PipelineLoadFigures {
  markets: number;
  speed: number;
  /** End to end: REST → ingest → in-process queue → writer → SQLite, from pipeline start. */
  backfill: { minutes: number; klines: number; seconds: number; klinesPerSecond: number; cpuSeconds: number; complete: boolean };
  steady: {
    seconds: number;
    cpuSeconds: number;
    /** % of one core. */
    cpuPercent: number;
    rssPeakMb: number;
    rssEndMb: number;
    heapUsedEndMb: number;
    klinesStored: number;
    framesReceived: number;
  };
  latency: { closes: number; klines: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number };
  deadLettered: number;
  reconnects: number;
}

export interface WriterBurstFigures {
  markets: number;
  minutes: number;
  klines: number;
  bodies: number;
  batchKlines: number;
  seconds: number;
  klinesPerSecond: number;
  bytesPerKlineFile: number;
}

interface PipelineRequest {
  kind: 'backfill' | 'steady';
  restUrl: string;
  streamUrl: string;
  markets: number;
  speed: number;
  warmupSeconds: number;
  seconds: number;
  backfillMinutes: number;
}
interface WriterRequest {
  kind: 'writer';
  markets: number;
  minutes: number;
  batchKlines: number;
}
type ChildRequest = PipelineRequest | WriterRequest;

/** A KlineStore that reports each stored 1m batch (after the upsert resolved). */
function observedStore(inner: KlineStore, onStored: (klines: readonly Kline[]) => void): KlineStore {
  return {
    applySchema: (o) => inner.applySchema(o),
    checkSchema: (o) => inner.checkSchema(o),
    readRetention: (t) => inner.readRetention(t),
    async upsert(interval, klines) {
      const result = await inner.upsert(interval, klines);
      if (interval === '1m') onStored(klines);
      return result;
    },
    read: (q) => inner.read(q),
    countByMarket: (t, i, r) => inner.countByMarket(t, i, r),
    countBySource: (t, r) => inner.countBySource(t, r),
    symbolsWithKlines: (t, i, r) => inner.symbolsWithKlines(t, i, r),
    gaps: (t, i, r, s) => inner.gaps(t, i, r, s),
    lastOpenTimes: (i, m) => inner.lastOpenTimes(i, m),
    recordMarketStatus: (e) => inner.recordMarketStatus(e),
    marketHistory: (m) => inner.marketHistory(m),
    readResampleLog: (limit) => inner.readResampleLog(limit),
    settleResampleLog: (consumed, carried) => inner.settleResampleLog(consumed, carried),
    readResampleState: () => inner.readResampleState(),
    writeResampleState: (w) => inner.writeResampleState(w),
    saveAudit: (r) => inner.saveAudit(r),
    readAudits: (r) => inner.readAudits(r),
    close: () => inner.close(),
  };
}

/** The simulator's clock seen from here: serverTime at the midpoint of the fastest of a few round trips. */
async function simulatorClock(restUrl: string, speed: number): Promise<() => number> {
  let best = { rtt: Infinity, serverTime: 0, at: 0 };
  for (let i = 0; i < 7; i++) {
    const sent = performance.now();
    const body = (await (await fetch(`${restUrl}/api/v3/time`)).json()) as { serverTime: number };
    const received = performance.now();
    if (received - sent < best.rtt) best = { rtt: received - sent, serverTime: body.serverTime, at: (sent + received) / 2 };
  }
  const { serverTime, at } = best;
  return () => serverTime + (performance.now() - at) * speed;
}

/** The p-th percentile (0..100) of sorted values (nearest rank). */
export function percentileOf(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Observed {
  /** Called with each stored 1m batch, after the upsert resolved. */
  onStored: (klines: readonly Kline[], exchangeNow: number) => void;
}

/** Start the local pipeline on a fresh SQLite file against the simulator, run `body`, stop and clean up. */
async function withPipeline<T>(r: PipelineRequest, observed: Observed, body: (p: LocalPipeline, exchangeNow: () => number) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  const exchangeNow = await simulatorClock(r.restUrl, r.speed);
  const inner = await openStore(parseStoreUrl(`sqlite:${join(dir, 'klines.db')}`));
  const store = observedStore(inner, (klines) => observed.onStored(klines, exchangeNow()));
  const pipeline = await startLocalPipeline({
    store,
    restUrl: r.restUrl,
    streamUrl: r.streamUrl,
    exchangeNow: () => Math.floor(exchangeNow()),
    speed: r.speed,
    reportEveryMinutes: 24 * 60,
    reportsDir: join(dir, 'reports'),
    deadLetterFile: join(dir, 'dead-letter.jsonl'),
    logger: silentLogger,
    ingest: {
      newMarketHistoryMs: r.backfillMinutes * MINUTE_MS,
      // As `npm start -- --sim` does: the ingest's real-time timers keep step with the faster clock.
      refreshIntervalMs: Math.max(1000, (5 * MINUTE_MS) / r.speed),
      connectionTimers: { stallTimeoutMs: Math.max(3000, (5 * MINUTE_MS) / r.speed) },
      gapCheckIntervalMs: 250,
    },
  });
  try {
    return await body(pipeline, exchangeNow);
  } finally {
    await pipeline.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Phase 1: start on an empty store with `backfillMinutes` of history per market; time from start
 * until the ingest has backfilled all of it and everything it forwarded is stored.
 */
async function measureBackfill(r: PipelineRequest): Promise<PipelineLoadFigures['backfill']> {
  const expected = r.markets * r.backfillMinutes;
  const startedReal = performance.now();
  const cpu = process.cpuUsage();
  return withPipeline(r, { onStored: () => undefined }, async (pipeline) => {
    const deadline = performance.now() + 120_000;
    const done = (): boolean => {
      const s = pipeline.status();
      return s.ingest.klinesFromBackfill >= expected && s.storedTotal >= s.ingest.klinesForwarded;
    };
    while (!done() && performance.now() < deadline) await sleep(50);
    const seconds = (performance.now() - startedReal) / 1000;
    const klines = pipeline.status().ingest.klinesFromBackfill;
    return { minutes: r.backfillMinutes, klines, seconds, klinesPerSecond: klines / seconds, cpuSeconds: cpuSecondsSince(cpu), complete: done() };
  });
}

/** Phases 2 and 3: no backfill; after a warm-up, CPU, RSS and close → stored latency over `seconds`. */
async function measureSteady(r: PipelineRequest): Promise<Omit<PipelineLoadFigures, 'backfill'>> {
  let window: { from: number; to: number } | undefined;
  const lags: number[] = [];
  const closes = new Set<number>();
  return withPipeline(
    { ...r, backfillMinutes: 0 },
    {
      onStored(klines, now) {
        if (!window) return;
        for (const k of klines) {
          const closedAt = k.closeTime + 1;
          if (closedAt < window.from || closedAt > window.to) continue;
          lags.push(Math.max(0, (now - closedAt) / r.speed));
          closes.add(closedAt);
        }
      },
    },
    async (pipeline, exchangeNow) => {
      await sleep(r.warmupSeconds * 1000);
      const before = pipeline.status();
      const from = exchangeNow();
      window = { from, to: from + r.seconds * 1000 * r.speed };
      const cpu = process.cpuUsage();
      const rss = rssSampler();
      const started = performance.now();
      await sleep(r.seconds * 1000);
      const cpuSeconds = cpuSecondsSince(cpu);
      const seconds = (performance.now() - started) / 1000;
      const rssPeak = rss.stop();
      const mem = process.memoryUsage();
      const after = pipeline.status();
      // A minute that closed just before the window ended is still on its way: give it time.
      await sleep(2000);
      window = undefined;
      const sorted = [...lags].sort((a, b) => a - b);
      const mb = (b: number): number => Math.round(b / 1e5) / 10;
      return {
        markets: r.markets,
        speed: r.speed,
        steady: {
          seconds,
          cpuSeconds,
          cpuPercent: (cpuSeconds / seconds) * 100,
          rssPeakMb: mb(rssPeak),
          rssEndMb: mb(mem.rss),
          heapUsedEndMb: mb(mem.heapUsed),
          klinesStored: after.storedTotal - before.storedTotal,
          framesReceived: after.ingest.framesReceived - before.ingest.framesReceived,
        },
        latency: {
          closes: closes.size,
          klines: sorted.length,
          p50Ms: percentileOf(sorted, 50),
          p90Ms: percentileOf(sorted, 90),
          p99Ms: percentileOf(sorted, 99),
          maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
        },
        deadLettered: after.deadLettered,
        reconnects: after.ingest.reconnects,
      };
    },
  );
}

/** Bodies as the ingest sends them: each market's run of minutes (as a backfill forwards them), 10,000 klines per flush. */
function writerBodies(markets: number, minutes: number, batchKlines: number): string[][] {
  const klines: Kline[] = [];
  for (let m = 0; m < markets; m++) klines.push(...generateMarketDay(m).slice(0, minutes));
  const deliveries: string[][] = [];
  for (let i = 0; i < klines.length; i += batchKlines) deliveries.push(encodeBatch({ klines: klines.slice(i, i + batchKlines), marketEvents: [] }));
  return deliveries;
}

async function measureWriter(r: WriterRequest): Promise<WriterBurstFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-writer-'));
  const path = join(dir, 'klines.db');
  const deliveries = writerBodies(r.markets, r.minutes, r.batchKlines);
  const store = await openStore(parseStoreUrl(`sqlite:${path}`));
  const quiet = { error: () => undefined };
  try {
    let written = 0;
    let id = 0;
    const started = performance.now();
    for (const bodies of deliveries) {
      const result = await writeMessages(
        store,
        bodies.map((body) => ({ id: String(++id), body })),
        quiet,
      );
      if (result.failures.length > 0) throw new Error(`writer refused a bench message: ${result.failures[0].reason}`);
      written += result.klinesWritten;
    }
    const seconds = (performance.now() - started) / 1000;
    const klines = r.markets * r.minutes;
    if (written !== klines) throw new Error(`writer stored ${written} of ${klines} klines`);
    await store.close();
    return {
      markets: r.markets,
      minutes: r.minutes,
      klines,
      bodies: id,
      batchKlines: r.batchKlines,
      seconds,
      klinesPerSecond: klines / seconds,
      bytesPerKlineFile: statSync(path).size / klines,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPipelineLoad(options: PipelineLoadOptions = {}): Promise<PipelineLoadFigures> {
  const markets = options.markets ?? 2000;
  const speed = options.speed ?? 4;
  const seconds = options.seconds ?? 60;
  const warmupSeconds = options.warmupSeconds ?? 8;
  const backfillMinutes = options.backfillMinutes ?? 60;
  // A one-second REST weight window (6,000 weight per second) takes Binance's pacing out of the
  // backfill, so the burst measures the pipeline's own intake (REST → ingest → writer → SQLite).
  const sim = await startRemoteSimulator({ markets, speed, seed: 9, historyMs: Math.max(backfillMinutes + 10, 60) * MINUTE_MS, limits: { weightWindowMs: 1000 } });
  try {
    const base = { restUrl: sim.restUrl, streamUrl: sim.streamUrl, markets, speed, warmupSeconds, seconds, backfillMinutes };
    const backfill =
      backfillMinutes > 0
        ? await runInChild<ChildRequest, PipelineLoadFigures['backfill']>(__filename, { ...base, kind: 'backfill' }, { timeoutMs: 180_000 })
        : { minutes: 0, klines: 0, seconds: 0, klinesPerSecond: Number.NaN, cpuSeconds: 0, complete: true };
    const steady = await runInChild<ChildRequest, Omit<PipelineLoadFigures, 'backfill'>>(__filename, { ...base, kind: 'steady' }, { timeoutMs: (warmupSeconds + seconds + 120) * 1000 });
    return { ...steady, backfill };
  } finally {
    await sim.close();
  }
}

export async function benchWriterBurst(options: { markets?: number; minutes?: number; batchKlines?: number } = {}): Promise<WriterBurstFigures> {
  return runInChild<ChildRequest, WriterBurstFigures>(__filename, {
    kind: 'writer',
    markets: options.markets ?? 2000,
    minutes: options.minutes ?? 60,
    batchKlines: options.batchKlines ?? 10_000,
  });
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (require.main === module && isBenchChild()) {
  serveChild<ChildRequest, unknown>((r) => (r.kind === 'writer' ? measureWriter(r) : r.kind === 'backfill' ? measureBackfill(r) : measureSteady(r)));
} else if (require.main === module) {
  (async () => {
    const writer = await benchWriterBurst({ markets: arg('--markets') });
    console.log(JSON.stringify(writer, null, 2));
    const load = await benchPipelineLoad({ markets: arg('--markets'), speed: arg('--speed'), seconds: arg('--seconds'), warmupSeconds: arg('--warmup'), backfillMinutes: arg('--backfill') });
    console.log(JSON.stringify(load, null, 2));
  })().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
