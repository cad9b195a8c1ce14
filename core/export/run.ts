/**
 * Exporting stored klines to files: CSV in data.binance.vision's layout (one file per market and
 * day or month) or Parquet (one file per market type, interval and day, every market in it,
 * hive-partitioned `market_type=spot/interval=1m/date=2025-03-01/klines.parquet`).
 *
 * - Any Binance interval of whole minutes: a stored interval whose windows are the asked ones is
 *   read as it is; anything else (3m, 2h, 1M, or days in another time zone) is resampled on the
 *   way from the longest stored interval whose windows nest in it.
 * - Streaming: one period at a time, one market (CSV) or one batch of markets (Parquet) at a
 *   time, so memory is bounded by a batch whatever the range.
 * - Resumable: files are written under a temporary name and renamed when complete; a file that
 *   exists is complete and is skipped.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DAY_MS, STORED_INTERVALS, type StoredInterval } from '../interval';
import type { Kline } from '../kline';
import type { MarketType } from '../market';
import { resample } from '../resample';
import type { TimeRange } from '../store/port';
import { windowScheme, type BinanceInterval, type WindowScheme } from '../windows';
import { binanceCsvPath, binanceCsvRow, csvHeader, periodLabel, type CsvPeriod } from './binance-csv';
import { expectParquetKlines, KlineParquetFile } from './parquet';

/** What the export reads: the store, behind the two calls it needs. */
export interface ExportSource {
  /** Markets of a type with klines of `interval` opening in `range`, sorted. */
  symbols(marketType: MarketType, interval: StoredInterval, range: TimeRange): Promise<string[]>;
  /** Klines of those markets opening in `range`, ordered by symbol, then open time. */
  read(marketType: MarketType, interval: StoredInterval, symbols: readonly string[], range: TimeRange): Promise<Kline[]>;
  /**
   * Optional fast path for CSV of a stored interval: one market's klines opening in `range` as
   * Binance CSV rows, built by the store (SQLite) in one string; equal to `binanceCsvRow` of each.
   */
  binanceCsvRows?(marketType: MarketType, interval: StoredInterval, symbol: string, range: TimeRange): Promise<{ klines: number; text: string }>;
  /**
   * Optional fast path for Parquet of a stored interval: one market's klines opening in `range`
   * as export rows (core/export/export-rows.ts), one string per kline in open-time order, built
   * by the store (SQLite) and parsed straight into the Parquet writer's column buffers.
   */
  parquetRows?(marketType: MarketType, interval: StoredInterval, symbol: string, range: TimeRange): Promise<string[]>;
}

export type ExportFormat = 'csv' | 'parquet';

export interface ExportOptions {
  marketTypes: readonly MarketType[];
  /** Omit for every market with data. */
  symbols?: readonly string[];
  interval: BinanceInterval;
  /** Binance `timeZone` offset (ms); periods and windows are in that zone. */
  tzOffsetMs?: number;
  /** UTC ms; widened to whole periods. */
  from: number;
  to: number;
  format: ExportFormat;
  /** CSV: one file per day (default) or month. Parquet files are daily. */
  period?: CsvPeriod;
  outDir: string;
  /** Parquet: markets per row group (default 200). */
  marketsPerBatch?: number;
  onFile?: (event: ExportFileEvent) => void;
}

export interface ExportFileEvent {
  path: string;
  klines: number;
  skipped: boolean;
  /** Periods done and total, for progress. */
  periodsDone: number;
  periods: number;
}

export interface ExportSummary {
  files: number;
  skipped: number;
  klines: number;
  /** The stored intervals read (only the asked one when no resampling was needed). */
  sources: StoredInterval[];
}

/** Stored intervals that can be read as they are or resampled, finest first; 1w never nests in others. */
const SOURCES = STORED_INTERVALS.filter((i) => i !== '1w');

/**
 * The stored intervals `interval` can be read from in zone `tzOffsetMs`, best first: the
 * interval itself when its stored (UTC) windows are the asked ones, then every stored interval
 * whose windows nest in the asked ones, coarsest first (fewest klines to read). The export uses
 * the first that holds data for a period, so a store whose resampler has not built 4h yet is
 * still exported, from 1h or 1m.
 */
export function sourceIntervals(interval: BinanceInterval, tzOffsetMs = 0): StoredInterval[] {
  const target = windowScheme(interval, tzOffsetMs);
  const out: StoredInterval[] = [];
  if ((STORED_INTERVALS as readonly string[]).includes(interval)) {
    const ms = target.fixedMs!;
    // 1w windows are Monday-anchored in UTC; any offset moves them.
    if (tzOffsetMs === 0 || (interval !== '1w' && ms <= DAY_MS && tzOffsetMs % ms === 0)) out.push(interval as StoredInterval);
  }
  for (const s of [...SOURCES].reverse()) {
    const ms = windowScheme(s).fixedMs!;
    const nests = tzOffsetMs % ms === 0 && (target.fixedMs === undefined || (target.fixedMs > ms && target.fixedMs % ms === 0));
    if (nests && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Period starts in [from, to), in the zone. */
function periods(from: number, to: number, period: CsvPeriod, tzOffsetMs: number): number[] {
  const scheme = windowScheme(period === 'daily' ? '1d' : '1M', tzOffsetMs);
  const out: number[] = [];
  for (let p = scheme.start(from); p < to; p = scheme.next(p)) out.push(p);
  return out;
}

/** Source range holding exactly the target windows that open in [ps, pe); undefined when none does. */
function windowsOpeningIn(scheme: WindowScheme, ps: number, pe: number): TimeRange | undefined {
  const s0 = scheme.start(ps);
  const a = s0 === ps ? ps : scheme.next(s0);
  if (a >= pe) return undefined;
  return { from: a, to: scheme.next(scheme.start(pe - 1)) };
}

function writeAtomically(path: string, write: (tmp: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  try {
    write(tmp);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * About how many klines a Parquet export writes: the markets of its first period in every period,
 * each with every window of the interval (at most one per day for 1w and 1M). For
 * `expectParquetKlines`, which only compares it with a threshold.
 */
export function parquetKlinesEstimate(markets: number, periods: number, scheme: WindowScheme): number {
  return markets * periods * Math.max(1, Math.floor(DAY_MS / (scheme.fixedMs ?? DAY_MS)));
}

/** Hive partition folder of a Parquet file. */
export function parquetPath(marketType: MarketType, interval: string, date: string): string {
  return `market_type=${marketType}/interval=${interval}/date=${date}/klines.parquet`;
}

export async function exportKlines(source: ExportSource, options: ExportOptions): Promise<ExportSummary> {
  const tz = options.tzOffsetMs ?? 0;
  const period = options.format === 'parquet' ? 'daily' : (options.period ?? 'daily');
  const scheme = windowScheme(options.interval, tz);
  const candidates = sourceIntervals(options.interval, tz);
  const starts = periods(options.from, options.to, period, tz);
  const summary: ExportSummary = { files: 0, skipped: 0, klines: 0, sources: [] };
  const total = starts.length * options.marketTypes.length;
  let done = 0;

  /** The asked klines of some markets in one period. */
  const klinesOf = async (marketType: MarketType, from: StoredInterval, symbols: readonly string[], range: TimeRange, ps: number, pe: number): Promise<Kline[]> => {
    const read = await source.read(marketType, from, symbols, range);
    const bars = from === options.interval ? read : resample(read, options.interval, tz);
    return bars.filter((k) => k.openTime >= ps && k.openTime < pe);
  };

  /** One market's rows of one CSV file: built by the store when it can and nothing is resampled. */
  const csvRows = async (marketType: MarketType, from: StoredInterval, symbol: string, range: TimeRange, ps: number, pe: number): Promise<{ klines: number; text: string }> => {
    if (from === options.interval && source.binanceCsvRows) {
      return source.binanceCsvRows(marketType, from, symbol, { from: Math.max(range.from, ps), to: Math.min(range.to, pe) });
    }
    const klines = await klinesOf(marketType, from, [symbol], range, ps, pe);
    let text = '';
    for (const k of klines) text += binanceCsvRow(k, marketType);
    return { klines: klines.length, text };
  };

  for (const marketType of options.marketTypes) {
    for (const ps of starts) {
      const pe = windowScheme(period === 'daily' ? '1d' : '1M', tz).next(ps);
      const range = windowsOpeningIn(scheme, ps, pe);
      done++;
      if (range === undefined) continue;
      const label = periodLabel(ps, period, tz);
      let from: StoredInterval | undefined;
      let symbols: string[] = [];
      for (const candidate of candidates) {
        const all = await source.symbols(marketType, candidate, range);
        symbols = options.symbols === undefined ? all : all.filter((s) => options.symbols!.includes(s));
        if (symbols.length > 0) {
          from = candidate;
          break;
        }
      }
      if (from === undefined) continue;
      if (!summary.sources.includes(from)) summary.sources.push(from);

      if (options.format === 'csv') {
        for (const symbol of symbols) {
          const path = join(options.outDir, binanceCsvPath(marketType, symbol, options.interval, period, label));
          if (existsSync(path)) {
            summary.skipped++;
            options.onFile?.({ path, klines: 0, skipped: true, periodsDone: done, periods: total });
            continue;
          }
          const { klines, text } = await csvRows(marketType, from, symbol, range, ps, pe);
          if (klines === 0) continue;
          writeAtomically(path, (tmp) => writeFileSync(tmp, csvHeader(marketType) + text));
          summary.files++;
          summary.klines += klines;
          options.onFile?.({ path, klines, skipped: false, periodsDone: done, periods: total });
        }
        continue;
      }

      const path = join(options.outDir, parquetPath(marketType, options.interval, label));
      if (existsSync(path)) {
        summary.skipped++;
        options.onFile?.({ path, klines: 0, skipped: true, periodsDone: done, periods: total });
        continue;
      }
      expectParquetKlines(parquetKlinesEstimate(symbols.length, starts.length, scheme));
      const batch = options.marketsPerBatch ?? 200;
      let rows = 0;
      let pending: Promise<Kline[]> | undefined;
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.partial`;
      const file = new KlineParquetFile(tmp, { market_type: marketType, interval: options.interval, time_zone: String(tz) });
      try {
        if (from === options.interval && source.parquetRows) {
          const within = { from: Math.max(range.from, ps), to: Math.min(range.to, pe) };
          for (const symbol of symbols) {
            const read = await source.parquetRows(marketType, from, symbol, within);
            await file.writeRows(symbol, read);
            rows += read.length;
          }
        } else {
          // Read the next batch while this one is encoded.
          for (let i = 0; i < symbols.length; i += batch) {
            const klines = await (pending ?? klinesOf(marketType, from!, symbols.slice(i, i + batch), range, ps, pe));
            pending = i + batch < symbols.length ? klinesOf(marketType, from!, symbols.slice(i + batch, i + 2 * batch), range, ps, pe) : undefined;
            await file.write(klines);
            rows += klines.length;
          }
        }
        await file.close();
        if (rows === 0) {
          rmSync(tmp, { force: true });
          continue;
        }
        renameSync(tmp, path);
      } catch (err) {
        await file.abort();
        await pending?.catch(() => undefined);
        rmSync(tmp, { force: true });
        throw err;
      }
      summary.files++;
      summary.klines += rows;
      options.onFile?.({ path, klines: rows, skipped: false, periodsDone: done, periods: total });
    }
  }
  return summary;
}
