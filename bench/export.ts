/**
 * Getting data out, measured side by side in one run:
 *
 * - `resample-vs-polars`: one year of one market's 1m klines (525,600 rows, 80 MB CSV,
 *   bench/year-csv.ts) resampled to 5m by the CLI (`node bin/run-cli.js resample`, the bundle) and by
 *   the same trade-aware rule in Polars (bench/resample_polars.py); wall and CPU seconds and peak
 *   RSS of each process, and whether the two outputs are byte-identical. When Polars is not
 *   installed the row says so.
 * - `export-parquet`: klines encoded to Parquet (core/export/parquet.ts) on one core, row groups of
 *   200 markets × 1 day; goal ≥ 500,000 klines/s of CPU. Klines are generated outside the timing.
 * - `export-csv`: the same klines as Binance-layout CSV rows (core/export/binance-csv.ts).
 *
 *   npm run bench -- --only resample-vs-polars | export-parquet | export-csv
 *   npm run bench -- --list
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { binanceCsvRow } from '../core/export/binance-csv';
import { KlineParquetFile } from '../core/export/parquet';
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
    const probe = spawnSync('python3', ['-c', 'import polars; print(polars.__version__)'], { encoding: 'utf8' });
    let polars: ProcessFigures | undefined;
    let polarsMissing: string | undefined;
    let identical: boolean | undefined;
    if (probe.status !== 0) {
      polarsMissing = `Polars not installed (${(probe.error?.message ?? probe.stderr.trim().split('\n').pop()) || 'python3 missing'}); pip install polars`;
    } else {
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
  klines: number;
  cpuSeconds: number;
  klinesPerSecond: number;
  bytes: number;
  goal: number | undefined;
  /** Parquet: CPU of the first (untimed) write of one market-day, WebAssembly compile included. */
  coldCpuSeconds: number | undefined;
  /** 1/5/15-minute load average when the row finished (the machine is shared). */
  load: number[];
}

/**
 * `markets` market-days of 1m klines, in batches of 200 markets, encoded; only encoding is timed
 * (CPU seconds of the process, so the writer's own threads count too). Parquet: one untimed
 * market-day first, so the figure is steady-state encoding, not the one-off compile of the
 * writer's WebAssembly module (`coldCpuSeconds` is that first write). Generated klines are
 * collected before each timed batch when gc is exposed (bench rows run with --expose-gc), so
 * the generator's garbage is not billed to the encoder.
 */
export async function benchExportThroughput(format: 'parquet' | 'csv', markets = 400): Promise<ExportThroughput> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
  const path = join(dir, `klines.${format}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  let cpu = 0;
  let klines = 0;
  let bytes = 0;
  let coldCpuSeconds: number | undefined;
  const timed = async (work: () => unknown): Promise<number> => {
    gc?.();
    const before = process.cpuUsage();
    await work();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1e6;
  };
  try {
    if (format === 'parquet') {
      const warm = join(dir, 'warm.parquet');
      coldCpuSeconds = await timed(async () => {
        const f = new KlineParquetFile(warm);
        await f.write(generateMarketDay(markets));
        await f.close();
      });
    }
    const file = format === 'parquet' ? new KlineParquetFile(path) : undefined;
    for (let first = 0; first < markets; first += 200) {
      const batch: Kline[] = [];
      for (let m = first; m < Math.min(markets, first + 200); m++) batch.push(...generateMarketDay(m));
      cpu += await timed(async () => {
        if (file) {
          await file.write(batch);
        } else {
          let text = '';
          for (const k of batch) text += binanceCsvRow(k, 'spot');
          bytes += text.length;
        }
      });
      klines += batch.length;
    }
    if (file) {
      cpu += await timed(() => file.close());
      bytes = statSync(path).size;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { format, klines, cpuSeconds: cpu, klinesPerSecond: klines / cpu, bytes, goal: format === 'parquet' ? 500_000 : undefined, coldCpuSeconds, load: loadavg() };
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
    title: `export throughput on one core (encoding only; klines generated outside the timing; load ${rows[0]?.load.map((x) => x.toFixed(1)).join(' ')})`,
    headers: ['format', 'klines', 'CPU s', 'klines/s', 'output MiB', 'first write CPU s', 'goal', 'result'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
    rows: rows.map((r) => [
      r.format,
      num(r.klines),
      s(r.cpuSeconds),
      num(Math.round(r.klinesPerSecond)),
      (r.bytes / 2 ** 20).toFixed(1),
      r.coldCpuSeconds === undefined ? '–' : s(r.coldCpuSeconds),
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
    run: async () => exportThroughputTable([await benchExportThroughput('parquet', 400)]),
  },
  'export-csv': {
    describe: 'klines encoded as Binance-layout CSV rows on one core: klines per CPU second',
    run: async () => exportThroughputTable([await benchExportThroughput('csv')]),
  },
};
export const EXPORT_ROWS: Record<string, () => Promise<Table>> = Object.fromEntries(Object.entries(EXPORT_ROW_DEFS).map(([name, row]) => [name, row.run]));
