/**
 * Bench row `history-import`: the history job from a local mirror of data.binance.vision
 * (`file://`, daily zips + .CHECKSUM as Binance lays them out) into SQLite, end to end: checksum,
 * zip + CRC-32, CSV parse and validation, upserts. Goal ≥ 200,000 klines/s on one core, memory
 * bounded: the peak heap of a range 4× as long stays about the same.
 *
 *   npx tsx bench/history-import.ts [markets] [days]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatChecksum } from '../core/dumps/checksum';
import { dayString, dumpFileName, dumpUrlPath } from '../core/dumps/paths';
import { DumpSite } from '../core/dumps/site';
import { runHistory } from '../core/history/run';
import { HistoryState } from '../core/history/state';
import { DAY_MS } from '../core/interval';
import type { Kline } from '../core/kline';
import type { MarketRef } from '../core/market';
import { openStore } from '../core/store/index';
import { buildDump } from '../sim/dumps/files';
import { num, type Table } from './table';

const START = Date.UTC(2024, 11, 30); // two ms days, then µs days from 2025-01-01

function dayKlines(symbol: string, day: number, seed: number): Kline[] {
  const out: Kline[] = [];
  let price = 10_000 + (seed % 997);
  for (let i = 0; i < 1440; i++) {
    const t = day + i * 60_000;
    const step = ((i * 7919 + seed * 104_729) % 21) - 10;
    const open = price;
    price = Math.max(100, price + step);
    const high = Math.max(open, price) + 3;
    const low = Math.min(open, price) - 2;
    const d = (x: number) => (x / 100).toFixed(2);
    out.push({ marketType: 'spot', symbol, interval: '1m', openTime: t, closeTime: t + 59_999, open: d(open), high: d(high), low: d(low), close: d(price), volume: `${(i % 50) + 1}.12345678`, quoteVolume: `${(i % 50) * 101 + 7}.1234`, trades: (i % 40) + 1, takerBuyBaseVolume: `${i % 50}.5`, takerBuyQuoteVolume: `${(i % 50) * 50}.25` });
  }
  return out;
}

/** Write the mirror: one daily zip + .CHECKSUM per market-day. */
export async function writeMirror(root: string, markets: readonly MarketRef[], days: number): Promise<number> {
  let bytes = 0;
  for (const [m, market] of markets.entries()) {
    for (let d = 0; d < days; d++) {
      const day = START + d * DAY_MS;
      const file = { ...market, period: 'daily' as const, date: dayString(day) };
      const built = await buildDump(market.marketType, dumpFileName(file).replace(/\.zip$/u, '.csv'), dayKlines(market.symbol, day, m * 31 + d));
      const path = join(root, dumpUrlPath(file));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, built.zip);
      writeFileSync(`${path}.CHECKSUM`, formatChecksum(built.sha256, dumpFileName(file)));
      bytes += built.zip.length;
    }
  }
  return bytes;
}

export interface HistoryImportFigures {
  markets: number;
  days: number;
  klines: number;
  zipBytes: number;
  seconds: number;
  cpuSeconds: number;
  klinesPerSecond: number;
  peakHeapMiB: number;
  peakRssMiB: number;
  /** 1-minute load average at the start and end of the import (the machine is shared). */
  load: [number, number];
}

export async function benchHistoryImport(marketCount: number, days: number): Promise<HistoryImportFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  try {
    const markets: MarketRef[] = Array.from({ length: marketCount }, (_, i) => ({ marketType: 'spot', symbol: `M${i}USDT` }));
    const zipBytes = await writeMirror(join(dir, 'mirror'), markets, days);
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'k.db') });
    const site = new DumpSite({ baseUrl: pathToFileURL(join(dir, 'mirror')).href, tmpDir: join(dir, 'tmp'), concurrency: 2 });
    const to = START + days * DAY_MS;
    (globalThis as { gc?: () => void }).gc?.();
    let peakHeap = 0;
    let peakRss = 0;
    const sample = () => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    };
    const timer = setInterval(sample, 20);
    const load0 = loadavg()[0];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await runHistory({
      store,
      site,
      markets,
      from: START,
      to,
      state: HistoryState.load(undefined),
      concurrency: 2,
      batchSize: 5000,
      rest: { firstOpenTime: async () => START, klines: async function* () {} },
      onProgress: sample,
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(timer);
    await store.close();
    if (summary.failed.length > 0) throw new Error(`history-import: ${summary.failed.map((f) => f.message).join('; ')}`);
    return {
      markets: marketCount,
      days,
      klines: summary.rows,
      zipBytes,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      klinesPerSecond: summary.rows / seconds,
      peakHeapMiB: peakHeap / 2 ** 20,
      peakRssMiB: peakRss / 2 ** 20,
      load: [load0, loadavg()[0]],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function historyImportTable(runs: readonly HistoryImportFigures[]): Table {
  return {
    title: 'history-import: local data.binance.vision mirror → SQLite (checksum, zip + CRC-32, parse, validate, upsert)',
    headers: ['markets × days', 'klines', 'zip MB', 'wall s', 'CPU s', 'klines/s wall (goal ≥ 200,000)', 'klines per CPU-s', 'peak heap MiB', 'peak RSS MiB'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows: runs.map((r) => [`${r.markets} × ${r.days}`, num(r.klines), (r.zipBytes / 1e6).toFixed(1), r.seconds.toFixed(2), r.cpuSeconds.toFixed(2), num(Math.round(r.klinesPerSecond)), num(Math.round(r.klines / r.cpuSeconds)), r.peakHeapMiB.toFixed(0), r.peakRssMiB.toFixed(0)]),
    notes: [
      `Load average (1 min) during the runs: ${runs.map((r) => `${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)}`).join(', ')}.`,
      'The second run covers a range 4× as long: a bounded importer keeps its peak heap about the same (one batch per task in flight).',
      'On a shared machine wall time is not one core: klines per CPU-second is the figure to hold against the goal.',
    ],
  };
}

if (require.main === module) {
  const markets = Number(process.argv[2] ?? 10);
  const days = Number(process.argv[3] ?? 5);
  (async () => {
    const runs = [await benchHistoryImport(markets, days), await benchHistoryImport(markets, days * 4)];
    const { formatText } = await import('./table');
    console.log(formatText(historyImportTable(runs)));
  })().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
