/**
 * Storage benchmarks about work, not speed: how many klines the scheduled resampler reads and
 * writes per run on a steady all-market load, and what a 31-day report of 2,000 markets costs in
 * heap and time. Each is a row of `npm run bench -- --only NAME` (bench/run.ts).
 *
 * The store is the real SQLite adapter behind a counting proxy (`countingStore`): every kline a
 * `read` returns and every kline handed to `upsert` is counted per interval, whatever the port's
 * signature, so the figures are what the job asked the store for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intervalMs } from '../core/interval';
import type { Kline } from '../core/kline';
import { buildQualityReport } from '../core/report';
import { DEFAULT_RESAMPLE_OPTIONS, runResampleCycle } from '../core/resample-job';
import { MongoKlineStore } from '../core/store/mongo';
import { SqliteKlineStore } from '../core/store/sqlite';
import { fakeMongoClient } from './mongo-fake';
import type { KlineStore } from '../core/store/port';
import { num, verdict, type Table } from './table';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Monday 2026-01-05 00:00 UTC. */
const START = Date.UTC(2026, 0, 5);

export interface StoreCounts {
  /** Klines returned by `read`, per interval. */
  read: Record<string, number>;
  /** Klines handed to `upsert`, per interval. */
  sent: Record<string, number>;
  /** Klines `upsert` reported as inserted or changed, per interval. */
  written: Record<string, number>;
}

/** The store with every read and upsert counted (a Proxy: any port signature works). */
export function countingStore<S extends KlineStore>(store: S): { store: S; counts: StoreCounts; reset(): void } {
  const counts: StoreCounts = { read: {}, sent: {}, written: {} };
  const add = (m: Record<string, number>, k: string, n: number) => (m[k] = (m[k] ?? 0) + n);
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'read') {
        return async (q: { interval: string }) => {
          const out = (await (value as (q: unknown) => Promise<Kline[]>).call(target, q)) as Kline[];
          add(counts.read, q.interval, out.length);
          return out;
        };
      }
      if (prop === 'upsert') {
        return async (interval: string, klines: readonly Kline[]) => {
          const r = await (value as (i: string, k: readonly Kline[]) => Promise<{ written: number }>).call(target, interval, klines);
          add(counts.sent, interval, klines.length);
          add(counts.written, interval, r.written);
          return r;
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store: proxy,
    counts,
    reset() {
      counts.read = {};
      counts.sent = {};
      counts.written = {};
    },
  };
}

function symbolOf(m: number): string {
  return `M${String(m).padStart(4, '0')}USDT`;
}

/** A sound 1m kline whose figures depend on the market and minute. */
export function benchKline(symbol: string, openTime: number, seed: number): Kline {
  const cents = 100_000 + (seed % 997) * 7;
  const price = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
  return {
    marketType: 'spot',
    symbol,
    interval: '1m',
    openTime,
    closeTime: openTime + MINUTE - 1,
    open: price(cents),
    high: price(cents + 40),
    low: price(cents - 40),
    close: price(cents + 10),
    volume: `${seed % 50}.${String(seed % 100_000).padStart(5, '0')}`,
    quoteVolume: `${(seed % 50) * 1000}.123`,
    trades: 1 + (seed % 500),
    takerBuyBaseVolume: `0.${String((seed * 7) % 100_000).padStart(5, '0')}`,
    takerBuyQuoteVolume: '0',
  } as Kline;
}

export interface ResampleReadsFigures {
  store: 'sqlite' | 'mongodb';
  markets: number;
  minutes: number;
  runs: number;
  lateShare: number;
  /** Per steady run: 1m klines read ÷ 1m klines written since the previous run. */
  readRatioMean: number;
  readRatioMax: number;
  /** Per steady run: resampled bars sent to the store ÷ bars that changed. */
  writeRatioMax: number;
  barsWritten: number;
  seconds: number;
}

/**
 * Steady all-market load: every minute each market's kline is written (one batch per minute), a
 * share of them `lateMinutes` late (after the run that closed their window); the resampler runs
 * every 5 minutes, 1 minute past the boundary, as the EventBridge schedule does.
 */
export async function benchResampleReads(options: {
  markets: number;
  minutes: number;
  lateShare: number;
  lateMinutes: number;
  /** `mongodb`: the MongoDB adapter on the counting driver fake (bench/mongo-fake.ts). */
  store?: 'sqlite' | 'mongodb';
}): Promise<ResampleReadsFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-resample-reads-'));
  let inner: KlineStore;
  if (options.store === 'mongodb') {
    const { client } = fakeMongoClient();
    inner = new MongoKlineStore({ client: client as never, database: 'bench' });
  } else {
    const sqlite = new SqliteKlineStore(join(dir, 'k.db'));
    await sqlite.applySchema();
    inner = sqlite;
  }
  const { store, counts, reset } = countingStore(inner);
  const started = Date.now();
  const late = new Map<number, Kline[]>();
  let writtenSince = 0;
  const readRatios: number[] = [];
  const writeRatios: number[] = [];
  let barsWritten = 0;
  let runs = 0;
  try {
    // The store's first run sets the watermarks.
    await runResampleCycle(store, START + 40_000);
    for (let i = 0; i < options.minutes; i++) {
      const minute = START + i * MINUTE;
      const batch: Kline[] = [];
      for (let m = 0; m < options.markets; m++) {
        const k = benchKline(symbolOf(m), minute, m * 7919 + i);
        // A deterministic spread of late markets: about `lateShare` of all klines.
        if (((m * 31 + i * 17) % 1000) / 1000 < options.lateShare) {
          const due = i + options.lateMinutes;
          const list = late.get(due) ?? [];
          list.push(k);
          late.set(due, list);
        } else batch.push(k);
      }
      batch.push(...(late.get(i) ?? []));
      late.delete(i);
      reset();
      const r = await store.upsert('1m', batch);
      writtenSince += r.written;
      // Minute i closes at minute + 1; the run is 1 minute past each 5-minute boundary.
      const now = minute + MINUTE;
      if ((now - START) % (5 * MINUTE) === MINUTE) {
        reset();
        const run = await runResampleCycle(store, now + 5_000, DEFAULT_RESAMPLE_OPTIONS);
        runs++;
        if (runs > 1 && writtenSince > 0) readRatios.push((counts.read['1m'] ?? 0) / writtenSince);
        let sent = 0;
        let changed = 0;
        for (const [interval, n] of Object.entries(counts.sent)) if (interval !== '1m') sent += n;
        for (const [interval, n] of Object.entries(counts.written)) if (interval !== '1m') changed += n;
        if (changed > 0) writeRatios.push(sent / changed);
        barsWritten += run.barsWritten;
        writtenSince = 0;
      }
    }
  } finally {
    await inner.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    store: options.store ?? 'sqlite',
    markets: options.markets,
    minutes: options.minutes,
    runs,
    lateShare: options.lateShare,
    readRatioMean: readRatios.reduce((a, b) => a + b, 0) / readRatios.length,
    readRatioMax: Math.max(...readRatios),
    writeRatioMax: Math.max(...writeRatios),
    barsWritten,
    seconds: (Date.now() - started) / 1000,
  };
}

export function resampleReadsTable(all: readonly ResampleReadsFigures[]): Table {
  const f0 = all[0];
  const label = (f: ResampleReadsFigures) => (f.store === 'sqlite' ? `SQLite, ${num(f.markets)} markets` : `MongoDB adapter on the counting driver fake, ${num(f.markets)} markets`);
  return {
    title: `resample-reads: scheduled resampler every 5 min on a steady all-market load, ${f0.minutes / 60} h, ${(f0.lateShare * 100).toFixed(1)} % of klines late`,
    headers: ['measure', 'store', 'goal', 'measured', 'result'],
    rows: all.flatMap((f) => [
      ['1m klines read per run ÷ 1m klines written since the previous run (mean)', label(f), '≤ 1.1', f.readRatioMean.toFixed(3), verdict(f.readRatioMean <= 1.1)],
      ['the same, worst run', label(f), '≤ 1.1', f.readRatioMax.toFixed(3), verdict(f.readRatioMax <= 1.1)],
      ['bars sent per run ÷ bars that changed (worst run)', label(f), '≤ 1.0', f.writeRatioMax.toFixed(3), verdict(f.writeRatioMax <= 1.0)],
    ]),
    notes: all.map((f) => `${label(f)}: ${f.runs} runs, ${num(f.barsWritten)} bars written, ${f.seconds.toFixed(1)} s wall including the writes.`),
  };
}

export interface Report31dFigures {
  markets: number;
  days: number;
  hourBars: number;
  incompleteHours: number;
  oneMinuteRead: number;
  peakHeapMiB: number;
  baseHeapMiB: number;
  seconds: number;
  cpuSeconds: number;
  availability: number | null;
}

/**
 * A 31-day report over `markets` markets: 1h bars for every market-hour, 1% of market-hours
 * incomplete (59 of 60 minutes, with those minutes stored) and the last hour not resampled yet
 * (its minutes stored). Complete hours' minutes are not stored: the report must not need them.
 */
export async function benchReport31d(options: { markets: number; days: number }): Promise<Report31dFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  const inner = new SqliteKlineStore(join(dir, 'k.db'));
  await inner.applySchema();
  const { store, counts, reset } = countingStore(inner);
  const hours = options.days * 24;
  let incompleteHours = 0;
  try {
    await inner.recordMarketStatus(
      Array.from({ length: options.markets }, (_, m) => ({ marketType: 'spot', symbol: symbolOf(m), status: 'TRADING', at: START - 86_400_000 })) as never,
    );
    const ms1h = intervalMs('1h');
    for (let m = 0; m < options.markets; m++) {
      const symbol = symbolOf(m);
      const bars: Kline[] = [];
      const minutes: Kline[] = [];
      for (let h = 0; h < hours; h++) {
        const openTime = START + h * HOUR;
        const last = h === hours - 1;
        const incomplete = !last && (m * 131 + h * 7) % 100 === 0;
        if (!last) {
          const bar = benchKline(symbol, openTime, m + h);
          bars.push({ ...bar, interval: '1h', closeTime: openTime + ms1h - 1, sourceCount: incomplete ? 59 : 60 });
        }
        if (incomplete || last) {
          if (incomplete) incompleteHours++;
          for (let i = 0; i < 60; i++) if (last || i !== 17) minutes.push(benchKline(symbol, openTime + i * MINUTE, m + i));
        }
      }
      await inner.upsert('1h', bars);
      await inner.upsert('1m', minutes);
    }
    reset();
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
    const started = Date.now();
    const cpu = process.cpuUsage();
    const report = await buildQualityReport(store, { from: START, to: START + hours * HOUR });
    const seconds = (Date.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return {
      markets: options.markets,
      days: options.days,
      hourBars: counts.read['1h'] ?? 0,
      incompleteHours,
      oneMinuteRead: counts.read['1m'] ?? 0,
      peakHeapMiB: peak / 2 ** 20,
      baseHeapMiB: base / 2 ** 20,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      availability: report.summary.availability,
    };
  } finally {
    await inner.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function report31dTable(f: Report31dFigures): Table {
  return {
    title: `report-31d: data-quality report over ${f.days} days of ${num(f.markets)} markets (SQLite)`,
    headers: ['measure', 'goal', 'measured', 'result'],
    rows: [
      ['peak heap during the report', '< 512 MB', `${f.peakHeapMiB.toFixed(0)} MiB`, verdict(f.peakHeapMiB * 2 ** 20 < 512e6)],
      ['wall time', '< 60 s', `${f.seconds.toFixed(1)} s`, verdict(f.seconds < 60)],
      ['CPU time (user + system; the wall time varies with the shared machine’s load)', '< 60 s', `${f.cpuSeconds.toFixed(1)} s`, verdict(f.cpuSeconds < 60)],
    ],
    notes: [
      `${num(f.hourBars)} 1h bars read (a day at a time); ${num(f.incompleteHours)} incomplete market-hours and the last (not yet resampled) hour read as 1m open times through gaps(): ${num(f.incompleteHours * 59 + f.markets * 60)} keys, no full 1m kline. Complete hours' minutes are not even stored in this bench: the report never needs them.`,
      `Heap before the report ${f.baseHeapMiB.toFixed(0)} MiB (after gc); availability ${f.availability === null ? '–' : (f.availability * 100).toFixed(3)} %.`,
    ],
  };
}
