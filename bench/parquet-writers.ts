/**
 * `parquet-writers`: what the Parquet writers the CLI could use cost for one year of one market's
 * eight decimal columns, beside Polars doing the whole export: whether another writer would bring
 * the CLI's Parquet export (bench/export-vs-polars.ts) to Polars' time.
 *
 * - The year's 365 daily files of 8 value columns (bench/parquet_writer_columns.js), CPU s of the
 *   writes on V8's baseline WebAssembly compiler, as the CLI runs it for this size: parquet-wasm
 *   (the CLI's writer) with the values as Decimal128(38, 8) (what the CLI writes), as
 *   FixedSizeBinary(16) (the same 16 bytes without the annotation) and as Int64; Polars' own
 *   writer (`nodejs-polars`) and hyparquet-writer, both as DECIMAL(38,8), when installed
 *   (`npm i --no-save nodejs-polars hyparquet-writer`: not dependencies of the project). The
 *   decimal files are read back with pyarrow and compared.
 * - DuckDB (Python wheel): the year's CSV read with DECIMAL(38,8) columns (one thread), and read
 *   and written to one Parquet file (one thread and two; bench/duckdb_export.py).
 * - Polars: the year's CSV to one Parquet file (bench/export_polars.py), the goal's comparison.
 *
 * Rows whose tool is not installed say so.
 *
 *   npm run bench -- --only parquet-writers
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, pythonModuleMissing } from './export';
import { num, type Table } from './table';
import { YEAR_MINUTES, yearCsv } from './year-csv';

const ROOT = join(__dirname, '..');

interface WriterRow {
  tool: string;
  work: string;
  cpuSeconds: number;
  note: string;
}

/** The JSON line a child prints, or a note of why there is none. */
function jsonOf(cmd: string, args: string[]): { value?: Record<string, unknown>; note: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) {
    const last = (r.error?.message ?? r.stderr.trim().split('\n').pop()) || `exit ${r.status}`;
    return { note: last.startsWith('not installed') ? `${last} (npm i --no-save nodejs-polars hyparquet-writer)` : `failed: ${last}` };
  }
  return { value: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>, note: '' };
}

const WRITERS = [
  ['wasm-decimal', 'parquet-wasm', 'Decimal128(38,8) → DECIMAL(38,8), as the CLI'],
  ['wasm-fixed', 'parquet-wasm', 'FixedSizeBinary(16): the same bytes, no annotation'],
  ['wasm-int64', 'parquet-wasm', 'Int64 → INT64: the same values'],
  ['polars-decimal', 'nodejs-polars', "Polars' own writer from the same Arrow stream, DECIMAL(38,8)"],
  ['hyparquet-decimal', 'hyparquet-writer', 'BigInt values → DECIMAL(38,8)'],
] as const;

/** The last column of file 0 as pyarrow reads it (text), to hold the decimal writers' files equal. */
function lastColumn(dir: string): string | undefined {
  const r = spawnSync('python3', ['-c', 'import sys, pyarrow.parquet as pq; print(pq.read_table(sys.argv[1]).column("v7").to_pylist())', join(dir, '0.parquet')], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return r.status === 0 ? r.stdout : undefined;
}

export async function benchParquetWriters(): Promise<WriterRow[]> {
  const rows: WriterRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'bench-parquet-writers-'));
  try {
    let reference: string | undefined;
    for (const [variant, tool, label] of WRITERS) {
      const out = join(dir, variant);
      const { value, note } = jsonOf('node', ['--liftoff-only', 'bench/parquet_writer_columns.js', variant, out]);
      let check = '';
      if (value !== undefined && variant.endsWith('-decimal')) {
        const read = lastColumn(out);
        reference ??= read;
        check = read === undefined ? '; pyarrow could not read it back' : read === reference ? '; reads back equal to wasm-decimal (pyarrow)' : '; DIFFERS from wasm-decimal (pyarrow)';
      }
      rows.push({ tool, work: `8 columns × 525,600 values, 365 files: ${label}`, cpuSeconds: Number(value?.cpuSeconds ?? NaN), note: (note || 'the writes only') + check });
    }
    const file = await yearCsv();
    const noDuckdb = pythonModuleMissing('duckdb', 'DuckDB');
    for (const [threads, readOnly] of [[1, true], [1, false], [2, false]] as const) {
      const work = `year CSV, DECIMAL(38,8) columns, ${readOnly ? 'read' : 'read and written to one file'}; ${threads} thread${threads > 1 ? 's' : ''}`;
      if (noDuckdb) {
        rows.push({ tool: 'DuckDB', work, cpuSeconds: NaN, note: noDuckdb });
        continue;
      }
      const args = ['bench/duckdb_export.py', '--threads', String(threads), ...(readOnly ? ['--read-only'] : []), '--out', join(dir, 'duckdb.parquet'), file];
      const { value, note } = jsonOf('python3', args);
      rows.push({ tool: `DuckDB ${String(value?.version ?? '')}`.trim(), work, cpuSeconds: Number(value?.cpuSeconds ?? NaN), note: note || 'query only' });
    }
    const noPolars = pythonModuleMissing('polars', 'Polars');
    const polars = noPolars ? undefined : measure('python3', ['bench/export_polars.py', '--format', 'parquet', '--out', join(dir, 'polars.parquet'), file]);
    rows.push({
      tool: 'Polars',
      work: 'year CSV to one Parquet file, the whole export (bench/export_polars.py)',
      cpuSeconds: polars?.cpuSeconds ?? NaN,
      note: noPolars ?? (polars!.ok ? 'whole process, all threads' : `failed: ${polars!.note}`),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function parquetWritersTable(rows: WriterRow[]): Table {
  return {
    title: `parquet-writers: one year of one market (${num(YEAR_MINUTES)} 1m klines), what each writer spends on its decimal columns`,
    headers: ['tool', 'work', 'CPU s', 'note'],
    align: ['left', 'left', 'right', 'left'],
    rows: rows.map((r) => [r.tool, r.work, Number.isFinite(r.cpuSeconds) ? r.cpuSeconds.toFixed(2) : '–', r.note]),
  };
}
