/**
 * Benchmark rows that run alone (`npm run bench -- --only NAME`, listed by `--list`), each in a
 * child process of its own (own heap, `--expose-gc`) and within about two minutes.
 */
import { isBenchChild, runInChild, serveChild } from './child-process';
import { benchReport31d, benchResampleReads, report31dTable, resampleReadsTable } from './storage-reads';
import { formatText, type Table } from './table';
import { benchVenuesLoad, venuesLoadTable } from './venues-load';
import { benchWiredTigerBytes, wiredTigerTable } from './wiredtiger';
import { benchResumeReads, resumeReadsTable } from './resume-reads';
import { benchHistoryImport, historyImportTable } from './history-import';
import { auditZipsTable, benchAuditZips } from './audit-zips';
import { EXPORT_ROW_DEFS } from './export';
import { benchExportVsPolars, exportVsPolarsTable } from './export-vs-polars';
import { benchS3Export, s3ExportTable } from './s3-export';
import { benchSourceCounts, sourceCountsTable } from './source-counts';
import { benchParquetWriters, parquetWritersTable } from './parquet-writers';

export const ROWS: Record<string, { describe: string; run: () => Promise<Table> }> = {
  'venues-load': {
    describe: 'one ingest process, 2,000 spot + 600 USDⓈ-M + 60 COIN-M markets at real frame rates: CPU, RSS, close → sink p99',
    run: async () => venuesLoadTable(await benchVenuesLoad()),
  },
  'resample-reads': {
    describe: '1m klines read and bars written per scheduled resampler run on a steady all-market load (2,000 markets, 2 h)',
    run: async () =>
      resampleReadsTable([
        await benchResampleReads({ markets: 2000, minutes: 120, lateShare: 0.005, lateMinutes: 7 }),
        // The fake evaluates every filter in memory (mingo): fewer markets keep the row under two minutes.
        await benchResampleReads({ markets: 100, minutes: 120, lateShare: 0.005, lateMinutes: 7, store: 'mongodb' }),
      ]),
  },
  'resume-reads': {
    describe: 'documents examined by the ingest resume (lastOpenTimes) per market: MongoDB adapter on a counting driver fake',
    run: async () => resumeReadsTable(await benchResumeReads({ markets: 2000, minutes: 60 })),
  },
  'report-31d': {
    describe: '31-day report of 2,000 markets: peak heap and wall time',
    run: async () => report31dTable(await benchReport31d({ markets: 2000, days: 31 })),
  },
  'wiredtiger-bytes': {
    describe: 'bytes per kline with indexes on real WiredTiger (the `wt` tool), zstd (extension from bench/wiredtiger-zstd.sh), snappy and zlib, as MongoDB configures its tables',
    run: async () => wiredTigerTable(await benchWiredTigerBytes({ klines: 120_000, markets: 2000 })),
  },
  'history-import': {
    describe: 'history job from a local data.binance.vision mirror into SQLite, end to end: klines/s (goal ≥ 200,000) and peak heap over two range lengths',
    run: async () => historyImportTable([await benchHistoryImport(20, 5), await benchHistoryImport(20, 20)]),
  },
  'audit-zips': {
    describe: 'daily audit of one day against the simulator’s dump site: bytes, wall and CPU per zip, extrapolated to ≈ 2,600 zips of all market types',
    run: async () => auditZipsTable(await benchAuditZips(100)),
  },
  'source-counts': {
    describe: "the daily report's per-source counts on SQLite: a day of 500 markets, 1 % backfilled, alone and after 3 days of dump history; countBySource (partial index) against the day's total count",
    run: async () => sourceCountsTable([await benchSourceCounts(500, 0.01), await benchSourceCounts(500, 0.01, 3)]),
  },
  ...EXPORT_ROW_DEFS,
  'export-vs-polars': {
    describe: 'CLI export of one year of one market (525,600 1m klines) to CSV and Parquet beside the same in Polars',
    run: async () => exportVsPolarsTable(await benchExportVsPolars()),
  },
  'parquet-writers': {
    describe: "the year's eight decimal columns through parquet-wasm (as DECIMAL(38,8), 16 bytes undecorated, INT64) and DuckDB, beside Polars' whole export",
    run: async () => parquetWritersTable(await benchParquetWriters()),
  },
  's3-export': {
    describe: "the exporter Lambda's day (300 markets, 1m/5m/1h/1d) into moto_server S3: CPU s, peak RSS, bytes per kline in S3",
    run: async () => s3ExportTable(await benchS3Export(300)),
  },
};

export async function listRows(): Promise<void> {
  for (const [name, row] of Object.entries(ROWS)) console.log(`${name.padEnd(18)} ${row.describe}`);
}

export async function runRow(name: string | undefined): Promise<void> {
  const row = name === undefined ? undefined : ROWS[name];
  if (!row) throw new Error(`--only ${name ?? '(nothing)'}: unknown row; one of ${Object.keys(ROWS).join(', ')} (npm run bench -- --list)`);
  const table = await runInChild<{ name: string }, Table>(__filename, { name: name! }, { execArgv: ['--expose-gc', '--max-old-space-size=1024'], timeoutMs: 300_000 });
  console.log(formatText(table));
}

if (require.main === module && isBenchChild()) {
  serveChild<{ name: string }, Table>(async (r) => ROWS[r.name].run());
}
