/**
 * Getting data out, measured side by side in one run:
 *
 * - `resample-vs-polars`: one year of one market's 1m klines (525,600 rows, 80 MB CSV,
 *   bench/year-csv.ts) resampled to 5m by the CLI (`node bin/run-cli.js resample`, the bundle) and by
 *   the same trade-aware rule in Polars (bench/resample_polars.py); wall and CPU seconds and peak
 *   RSS of each process, and whether the two outputs are byte-identical. When Polars is not
 *   installed the row says so.
 * - `export-parquet`: klines encoded to Parquet (core/export/parquet.ts) on one core, three files of
 *   400 market-days in one process (the first with the writer's start-up, then steady state);
 *   goal ≥ 500,000 klines/s of CPU. Klines are generated outside the timing.
 * - `export-parquet-sqlite`: the CLI's Parquet export end to end from a SQLite store (read + encode).
 * - `export-csv`: the same klines as Binance-layout CSV rows (core/export/binance-csv.ts).
 *
 *   npm run bench -- --only resample-vs-polars | export-parquet | export-parquet-sqlite | export-csv
 *   npm run bench -- --list
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { binanceCsvRow } from '../core/export/binance-csv';
import { KlineParquetFile } from '../core/export/parquet';
import { exportKlines, parquetPath } from '../core/export/run';
import { storeSource } from '../core/export/store-source';
import { openStore } from '../core/store/index';
import type { Kline } from '../core/kline';
import { generateMarketDay } from './resample';
import { num, type Table } from './table';
import { yearCsv } from './year-csv';

const ROOT = join(__dirname, '..');

export interface ProcessFigures {
  ok: boolean;
  wallSeconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  note: string;
}

/** Run a command under /usr/bin/time for its CPU and peak RSS. */
export function measure(cmd: string, args: string[]): ProcessFigures {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %M', cmd, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20 });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const m = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  const note = r.status === 0 ? '' : (r.error?.message ?? r.stderr.trim().split('\n').filter((l) => !l.startsWith('TIME')).pop() ?? `exit ${r.status}`);
  return {
    ok: r.status === 0,
    wallSeconds,
    cpuSeconds: m ? Number(m[1]) + Number(m[2]) : NaN,
    maxRssMiB: m ? Number(m[3]) / 1024 : NaN,
    note,
  };
}

/** Why Python cannot import `module` (named `label` in the note), or undefined when it can. */
export function pythonModuleMissing(module: string, label = module): string | undefined {
  const probe = spawnSync('python3', ['-c', `import ${module}`], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  return `${label} not installed (${(probe.error?.message ?? probe.stderr.trim().split('\n').pop()) || 'python3 missing'}); pip install ${module}`;
}

export interface ResampleVsPolars {
  rows: number;
  fileMiB: number;
  cli: ProcessFigures;
  polars: ProcessFigures | undefined;
  polarsMissing: string | undefined;
  identical: boolean | undefined;
}

export async function benchResampleVsPolars(): Promise<ResampleVsPolars> {
  const file = await yearCsv();
  const dir = mkdtempSync(join(tmpdir(), 'bench-resample-'));
  try {
    spawnSync('node', ['bin/run-cli.js', '--build'], { cwd: ROOT }); // the bundle is built before timing, as after a first run
    const cli = measure('node', ['bin/run-cli.js', 'resample', '--to', '5m', '--out', join(dir, 'cli.csv'), file]);
    const polarsMissing = pythonModuleMissing('polars', 'Polars');
    let polars: ProcessFigures | undefined;
    let identical: boolean | undefined;
    if (polarsMissing === undefined) {
      polars = measure('python3', ['bench/resample_polars.py', '--to-ms', '300000', '--out', join(dir, 'polars.csv'), file]);
      if (cli.ok && polars.ok) identical = readFileSync(join(dir, 'cli.csv')).equals(readFileSync(join(dir, 'polars.csv')));
    }
    return { rows: 525_600, fileMiB: statSync(file).size / 2 ** 20, cli, polars, polarsMissing, identical };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ExportThroughput {
  format: 'parquet' | 'csv';
  /** Which files of the process the figure covers. */
  run: string;
  klines: number;
  cpuSeconds: number;
  klinesPerSecond: number;
  bytes: number;
  goal: number | undefined;
  /** 1/5/15-minute load average when the row finished (the machine is shared). */
  load: number[];
}

const DECIMAL_FIELDS = ['open', 'high', 'low', 'close', 'volume', 'quoteVolume', 'takerBuyBaseVolume', 'takerBuyQuoteVolume'] as const;

/**
 * `first` … `first + count - 1` market-days of generated 1m klines with their decimal strings
 * flat, as a store read gives them (better-sqlite3 makes each value as one string; the MongoDB
 * adapter runs a regular expression over each, which flattens it). The generator's template
 * strings are V8 cons strings, which the first character read flattens: an allocation per value
 * that no export from a store pays (it was ~30 % of the measured time).
 */
function storeLikeKlines(first: number, count: number): Kline[] {
  const out: Kline[] = [];
  for (let m = first; m < first + count; m++) {
    for (const k of generateMarketDay(m)) {
      const flat = { ...k };
      for (const f of DECIMAL_FIELDS) flat[f] = Buffer.from(k[f], 'latin1').toString('latin1');
      out.push(flat);
    }
  }
  return out;
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** CPU seconds of the whole process (the writer's own threads count too) spent in `work`, garbage of earlier work collected first when gc is exposed. */
async function cpuOf(work: () => unknown): Promise<number> {
  gc();
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/**
 * Parquet: `files` files of `markets` market-days each (576,000 klines for 400) written one after
 * the other in this process, handed over 200 markets at a time as the export does; klines are
 * generated outside the timing. The first file includes loading Arrow and compiling the writer's
 * WebAssembly module (it is loaded on the first file) and the first touch of its memory; the
 * files after it are the steady state of a longer export.
 */
export async function benchParquetFiles(markets = 400, files = 3): Promise<ExportThroughput[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
  const results: ExportThroughput[] = [];
  try {
    for (let f = 0; f < files; f++) {
      const path = join(dir, `klines-${f}.parquet`);
      let file: KlineParquetFile | undefined;
      let cpu = await cpuOf(() => (file = new KlineParquetFile(path)));
      let klines = 0;
      for (let first = 0; first < markets; first += 200) {
        const batch = storeLikeKlines(first, Math.min(200, markets - first));
        cpu += await cpuOf(() => file!.write(batch));
        klines += batch.length;
      }
      cpu += await cpuOf(() => file!.close());
      results.push({ format: 'parquet', run: `file ${f + 1}`, klines, cpuSeconds: cpu, klinesPerSecond: klines / cpu, bytes: statSync(path).size, goal: 500_000, load: loadavg() });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const steady = results.slice(1);
  if (steady.length > 1) {
    const klines = steady.reduce((a, r) => a + r.klines, 0);
    const cpu = steady.reduce((a, r) => a + r.cpuSeconds, 0);
    results.push({ ...steady[0], run: `files 2–${files} (steady)`, klines, cpuSeconds: cpu, klinesPerSecond: klines / cpu, bytes: steady[0].bytes });
  }
  return results;
}

/** CSV: the same klines as Binance-layout rows (encoding only). */
export async function benchCsvThroughput(markets = 400): Promise<ExportThroughput> {
  let cpu = 0;
  let klines = 0;
  let bytes = 0;
  for (let first = 0; first < markets; first += 200) {
    const batch = storeLikeKlines(first, Math.min(200, markets - first));
    cpu += await cpuOf(() => {
      let text = '';
      for (const k of batch) text += binanceCsvRow(k, 'spot');
      bytes += text.length;
    });
    klines += batch.length;
  }
  return { format: 'csv', run: 'rows', klines, cpuSeconds: cpu, klinesPerSecond: klines / cpu, bytes, goal: undefined, load: loadavg() };
}

/**
 * The CLI's Parquet export end to end: `exportKlines` over a SQLite store holding one day of
 * `markets` markets (filled outside the timing), i.e. the store read (Kline objects from
 * better-sqlite3) plus the encoding; twice in this process, the first including the writer's
 * start-up.
 */
export async function benchParquetFromSqlite(markets = 400): Promise<ExportThroughput[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-sqlite-'));
  const results: ExportThroughput[] = [];
  try {
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'k.db') });
    try {
      for (let first = 0; first < markets; first += 50) await store.upsert('1m', storeLikeKlines(first, Math.min(50, markets - first)));
      const day = generateMarketDay(0)[0].openTime;
      for (let run = 1; run <= 2; run++) {
        const out = join(dir, `out-${run}`);
        let klines = 0;
        const cpu = await cpuOf(async () => {
          klines = (await exportKlines(storeSource(store), { marketTypes: ['spot'], interval: '1m', from: day, to: day + 86_400_000, format: 'parquet', outDir: out })).klines;
        });
        const bytes = statSync(join(out, parquetPath('spot', '1m', new Date(day).toISOString().slice(0, 10)))).size;
        results.push({ format: 'parquet', run: `SQLite → file ${run} (store read incl.)`, klines, cpuSeconds: cpu, klinesPerSecond: klines / cpu, bytes, goal: 500_000, load: loadavg() });
      }
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

const s = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

export function resampleVsPolarsTable(r: ResampleVsPolars): Table {
  const row = (name: string, f: ProcessFigures | undefined, note: string) =>
    f === undefined ? [name, '–', '–', '–', note] : [name, s(f.wallSeconds), s(f.cpuSeconds), num(Math.round(f.maxRssMiB)), f.ok ? note : `failed: ${f.note}`];
  const same = r.identical === undefined ? 'not compared' : r.identical ? 'byte-identical to the CLI' : 'DIFFERS from the CLI';
  return {
    title: `resample-vs-polars: one year of 1m klines (${num(r.rows)} rows, ${r.fileMiB.toFixed(0)} MiB CSV) to 5m`,
    headers: ['tool', 'wall s', 'CPU s', 'peak RSS MiB', 'note'],
    align: ['left', 'right', 'right', 'right', 'left'],
    rows: [row('CLI: node bin/run-cli.js resample (bundle, streaming)', r.cli, 'one thread'), row('Polars (bench/resample_polars.py)', r.polars, r.polarsMissing ?? `${same}; multi-threaded`)],
  };
}

export function exportThroughputTable(rows: ExportThroughput[]): Table {
  return {
    title: `export throughput on one core (CPU seconds of the process; klines generated outside the timing; load ${rows[rows.length - 1]?.load.map((x) => x.toFixed(1)).join(' ')})`,
    headers: ['format', 'run in the process', 'klines', 'CPU s', 'klines/s', 'output MiB', 'goal', 'result'],
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'left'],
    rows: rows.map((r) => [
      r.format,
      r.run,
      num(r.klines),
      s(r.cpuSeconds),
      num(Math.round(r.klinesPerSecond)),
      (r.bytes / 2 ** 20).toFixed(1),
      r.goal === undefined ? '–' : `≥ ${num(r.goal)}/s`,
      r.goal === undefined ? '–' : r.klinesPerSecond >= r.goal ? 'PASS' : 'MISS',
    ]),
  };
}

/** Rows runnable alone (`npm run bench -- --only NAME`, through bench/rows.ts). */
export const EXPORT_ROW_DEFS: Record<string, { describe: string; run: () => Promise<Table> }> = {
  'resample-vs-polars': {
    describe: 'CLI resample of one year of one market (525,600 1m klines) to 5m beside the same rule in Polars',
    run: async () => resampleVsPolarsTable(await benchResampleVsPolars()),
  },
  'export-parquet': {
    describe: 'klines encoded to Parquet (DECIMAL(38,8)) on one core: klines per CPU second (goal ≥ 500,000)',
    run: async () => exportThroughputTable(await benchParquetFiles(400, 3)),
  },
  'export-parquet-sqlite': {
    describe: 'the CLI Parquet export end to end from SQLite (store read + encoding), one day of 400 markets, on one core',
    run: async () => exportThroughputTable(await benchParquetFromSqlite(400)),
  },
  'export-csv': {
    describe: 'klines encoded as Binance-layout CSV rows on one core: klines per CPU second',
    run: async () => exportThroughputTable([await benchCsvThroughput()]),
  },
};
export const EXPORT_ROWS: Record<string, () => Promise<Table>> = Object.fromEntries(Object.entries(EXPORT_ROW_DEFS).map(([name, row]) => [name, row.run]));
