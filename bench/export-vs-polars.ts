/**
 * `export-vs-polars`: the CLI's `export` of one year of one market (525,600 1m klines, imported
 * into SQLite first, untimed) beside what a user would write in Polars instead
 * (bench/export_polars.py: the same year's data.binance.vision CSV with Decimal(38,8) columns
 * to one Parquet file, or to one ms-timestamp CSV). Wall and CPU seconds and peak RSS of each
 * process (/usr/bin/time). The CLI reads the store and writes Binance's layout (CSV: one file per
 * month; Parquet: one file per day, partitioned); Polars reads the CSV and writes one file (the
 * goal's comparison) and, for Parquet, also the CLI's layout: 365 daily files in the same hive
 * folders (`--daily`, Polars' partitioned sink), the same work a user would ask of it.
 *
 *   npm run bench -- --only export-vs-polars
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, pythonModuleMissing, type ProcessFigures } from './export';
import { num, type Table } from './table';
import { YEAR_MINUTES, YEAR_SYMBOL, yearCsv } from './year-csv';

const ROOT = join(__dirname, '..');

interface Pair {
  format: 'csv' | 'parquet';
  cli: ProcessFigures;
  cliMiB: number;
  polars: ProcessFigures | undefined;
  polarsMiB: number;
  /** Parquet only: Polars writing the CLI's layout, one file per day. */
  polarsDaily?: ProcessFigures;
  polarsDailyMiB?: number;
}

export interface ExportVsPolars {
  klines: number;
  pairs: Pair[];
  polarsMissing: string | undefined;
}

function treeBytes(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce((n, f) => {
      const s = statSync(join(dir, f));
      return s.isFile() ? n + s.size : n;
    }, 0);
  } catch {
    return 0;
  }
}

export async function benchExportVsPolars(): Promise<ExportVsPolars> {
  const file = await yearCsv();
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-polars-'));
  const store = `sqlite:${join(dir, 'k.db')}`;
  try {
    spawnSync('node', ['bin/run-cli.js', '--build'], { cwd: ROOT });
    const imported = spawnSync('node', ['bin/run-cli.js', 'import', file, '--symbol', YEAR_SYMBOL, '--store', store], { cwd: ROOT, encoding: 'utf8' });
    if (imported.status !== 0) throw new Error(`export-vs-polars: importing the year failed: ${imported.stderr}`);
    const polarsMissing = pythonModuleMissing('polars', 'Polars');
    const pairs: Pair[] = [];
    for (const format of ['csv', 'parquet'] as const) {
      const out = join(dir, `cli-${format}`);
      const period = format === 'csv' ? ['--monthly'] : [];
      const cli = measure('node', ['bin/run-cli.js', 'export', '--interval', '1m', '--from', '2025-01-01', '--to', '2026-01-01', '--format', format, ...period, '--store', store, '--out', out]);
      const polarsOut = join(dir, `polars.${format}`);
      const polars = polarsMissing ? undefined : measure('python3', ['bench/export_polars.py', '--format', format, '--out', polarsOut, file]);
      const pair: Pair = { format, cli, cliMiB: treeBytes(out) / 2 ** 20, polars, polarsMiB: polars?.ok ? statSync(polarsOut).size / 2 ** 20 : NaN };
      if (format === 'parquet' && !polarsMissing) {
        const dailyOut = join(dir, 'polars-daily');
        pair.polarsDaily = measure('python3', ['bench/export_polars.py', '--format', format, '--daily', '--out', dailyOut, file]);
        pair.polarsDailyMiB = treeBytes(dailyOut) / 2 ** 20;
      }
      pairs.push(pair);
    }
    return { klines: YEAR_MINUTES, pairs, polarsMissing };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const s = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

export function exportVsPolarsTable(r: ExportVsPolars): Table {
  const row = (name: string, f: ProcessFigures | undefined, mib: number, note: string) =>
    f === undefined ? [name, '–', '–', '–', '–', '–', note] : [name, s(f.wallSeconds), s(f.cpuSeconds), num(Math.round(r.klines / f.cpuSeconds)), num(Math.round(f.maxRssMiB)), mib.toFixed(1), f.ok ? note : `failed: ${f.note}`];
  return {
    title: `export-vs-polars: one year of one market (${num(r.klines)} 1m klines), CLI export from SQLite beside Polars from the CSV`,
    headers: ['tool', 'wall s', 'CPU s', 'klines per CPU-s', 'peak RSS MiB', 'output MiB', 'note'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    rows: r.pairs.flatMap((p) => [
      row(`CLI export --format ${p.format}${p.format === 'csv' ? ' --monthly' : ''}`, p.cli, p.cliMiB, p.format === 'csv' ? '12 monthly files, Binance layout' : '365 daily files, hive-partitioned'),
      row(`Polars ${p.format} (bench/export_polars.py)`, p.polars, p.polarsMiB, r.polarsMissing ?? 'one file; multi-threaded'),
      ...(p.polarsDaily ? [row(`Polars ${p.format} --daily (bench/export_polars.py)`, p.polarsDaily, p.polarsDailyMiB ?? NaN, 'the CLI\'s layout: 365 daily files, hive-partitioned; multi-threaded')] : []),
    ]),
  };
}
