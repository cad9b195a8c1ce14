/**
 * Daily Parquet export to an object store (S3 in AWS): the same files as `export --format
 * parquet` (core/export/run.ts), one per market type, interval and UTC day, under the same hive
 * keys (`PREFIX/market_type=spot/interval=1m/date=2026-12-01/klines.parquet`) that the Glue table's
 * partition projection reads.
 *
 * - Memory bounded: each file is written by `exportKlines` (a batch of markets at a time) to a
 *   scratch folder, uploaded from disk, then removed; one file on disk at a time.
 * - Idempotent: an object that exists is complete (an upload appears whole or not at all) and
 *   is skipped, unless `overwrite` (after late minutes were backfilled into an exported day).
 * - A day with no kline of an interval writes no object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DAY_MS } from '../interval';
import type { MarketType } from '../market';
import type { BinanceInterval } from '../windows';
import { expectParquetKlines } from './parquet';
import { exportKlines, parquetPath, type ExportSource } from './run';

/** Where the files go: two calls of an object store. */
export interface ObjectBucket {
  /** True when an object exists at `key`. */
  has(key: string): Promise<boolean>;
  /** Upload the file at `path` to `key`, replacing any object there. */
  putFile(key: string, path: string): Promise<void>;
}

export interface BucketExportOptions {
  /** UTC days, `YYYY-MM-DD`. */
  days: readonly string[];
  marketTypes: readonly MarketType[];
  intervals: readonly BinanceInterval[];
  /** Key prefix, e.g. `klines/` (empty or ending in `/`). */
  prefix: string;
  /** Scratch folder for the file being written (Lambda: /tmp). */
  workDir: string;
  /** Replace objects that exist instead of skipping them. */
  overwrite?: boolean;
  marketsPerBatch?: number;
  /** Asked before each file; true stops the run (e.g. the Lambda's time is nearly up). */
  shouldStop?: () => boolean;
}

export interface BucketExportResult {
  written: { key: string; klines: number }[];
  /** Keys that existed (complete) and were left alone. */
  skipped: string[];
  /** Keys not written because the store holds no kline for them. */
  empty: string[];
  klines: number;
  /** False when `shouldStop` ended the run before every file was done: invoke again to finish. */
  complete: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** UTC midnight of `YYYY-MM-DD`; throws naming the value when it is not a real date. */
export function dayStart(day: string): number {
  const ms = DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) throw new RangeError(`"${day}" is not a date (YYYY-MM-DD)`);
  return ms;
}

/** `YYYY-MM-DD` of the UTC day before the one holding `now`. */
export function previousDay(now: number): string {
  return new Date(Math.floor(now / DAY_MS) * DAY_MS - DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = dayStart(from); d <= dayStart(to); d += DAY_MS) out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

export function bucketKey(prefix: string, marketType: MarketType, interval: string, day: string): string {
  return `${prefix}${parquetPath(marketType, interval, day)}`;
}

export async function exportToBucket(source: ExportSource, bucket: ObjectBucket, options: BucketExportOptions): Promise<BucketExportResult> {
  if (options.prefix !== '' && !options.prefix.endsWith('/')) throw new RangeError(`prefix "${options.prefix}" must be empty or end with "/"`);
  const result: BucketExportResult = { written: [], skipped: [], empty: [], klines: 0, complete: true };
  // Every market of each day (millions of klines a day, in a container that lives on): V8's
  // default WebAssembly tiering, whatever the first file's size (core/export/parquet.ts).
  expectParquetKlines(Number.POSITIVE_INFINITY);
  for (const day of options.days) {
    const from = dayStart(day);
    for (const marketType of options.marketTypes) {
      for (const interval of options.intervals) {
        if (options.shouldStop?.()) return { ...result, complete: false };
        const key = bucketKey(options.prefix, marketType, interval, day);
        if (!options.overwrite && (await bucket.has(key))) {
          result.skipped.push(key);
          continue;
        }
        const scratch = mkdtempSync(join(options.workDir, 'export-'));
        try {
          const summary = await exportKlines(source, {
            marketTypes: [marketType],
            interval,
            from,
            to: from + DAY_MS,
            format: 'parquet',
            outDir: scratch,
            marketsPerBatch: options.marketsPerBatch,
          });
          if (summary.files === 0) {
            result.empty.push(key);
            continue;
          }
          await bucket.putFile(key, join(scratch, parquetPath(marketType, interval, day)));
          result.written.push({ key, klines: summary.klines });
          result.klines += summary.klines;
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      }
    }
  }
  return result;
}
