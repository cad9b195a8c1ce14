/**
 * The exporter Lambda's settings (environment) and requests (event), as pure functions.
 *
 * Env: EXPORT_BUCKET (required), EXPORT_PREFIX (`klines/`), EXPORT_MARKET_TYPES (spot),
 * EXPORT_INTERVALS (1m,5m,15m,30m,1h,4h,1d), EXPORT_MARKETS_PER_BATCH (100),
 * EXPORT_STOP_MARGIN_SECONDS (180: no new file is started with less time left),
 * EXPORT_CATCH_UP_DAYS (3).
 *
 * Events: a scheduled EventBridge event (no `date`/`from`/`to`) exports the last
 * EXPORT_CATCH_UP_DAYS whole UTC days, oldest first: days already exported cost one HEAD request
 * per object, and a day a failed or timed-out run left unfinished is finished by the next runs;
 * on demand `{"date": "2026-12-01"}` or `{"from": "2026-11-01", "to": "2026-11-30"}` (days
 * included), with `"overwrite": true` to replace objects that exist.
 */
import { ConfigError } from '../errors';
import { DAY_MS } from '../interval';
import { readPositiveInt, type Env } from '../config';
import { parseMarketTypes, type MarketType } from '../market';
import { BINANCE_INTERVALS, isBinanceInterval, type BinanceInterval } from '../windows';
import { dayStart, daysBetween, previousDay } from './to-bucket';

export const DEFAULT_EXPORT_INTERVALS: readonly BinanceInterval[] = ['1m', '5m', '15m', '30m', '1h', '4h', '1d'];
export const DEFAULT_EXPORT_PREFIX = 'klines/';
/** On demand, at most this many days per invocation (a year); the run stops early when time runs out anyway. */
export const MAX_REQUEST_DAYS = 366;

export interface BucketExportConfig {
  bucket: string;
  prefix: string;
  marketTypes: MarketType[];
  intervals: BinanceInterval[];
  marketsPerBatch: number;
  stopMarginMs: number;
  /** Whole days a scheduled run covers, ending with the previous UTC day. */
  catchUpDays: number;
}

export function readBucketExportConfig(env: Env): BucketExportConfig {
  const bucket = env.EXPORT_BUCKET ?? '';
  if (bucket === '') throw new ConfigError('EXPORT_BUCKET', 'is required (the S3 bucket the Parquet files go to)');
  const prefix = env.EXPORT_PREFIX ?? DEFAULT_EXPORT_PREFIX;
  if (prefix !== '' && (!prefix.endsWith('/') || prefix.startsWith('/'))) throw new ConfigError('EXPORT_PREFIX', `"${prefix}" must be empty or like "klines/"`);
  let marketTypes: MarketType[];
  try {
    marketTypes = parseMarketTypes(env.EXPORT_MARKET_TYPES || 'spot', 'EXPORT_MARKET_TYPES');
  } catch (err) {
    throw new ConfigError('EXPORT_MARKET_TYPES', (err as Error).message);
  }
  const intervals = (env.EXPORT_INTERVALS || DEFAULT_EXPORT_INTERVALS.join(',')).split(',').map((i) => i.trim());
  const bad = intervals.find((i) => !isBinanceInterval(i));
  if (bad !== undefined) throw new ConfigError('EXPORT_INTERVALS', `"${bad}" is not one of ${BINANCE_INTERVALS.join(', ')}`);
  return {
    bucket,
    prefix,
    marketTypes,
    intervals: [...new Set(intervals as BinanceInterval[])],
    marketsPerBatch: readPositiveInt(env, 'EXPORT_MARKETS_PER_BATCH', 100),
    stopMarginMs: readPositiveInt(env, 'EXPORT_STOP_MARGIN_SECONDS', 180) * 1000,
    catchUpDays: Math.min(readPositiveInt(env, 'EXPORT_CATCH_UP_DAYS', 3), MAX_REQUEST_DAYS),
  };
}

/** A bad on-demand request; the message says what to send. */
export class ExportRequestError extends Error {
  override readonly name = 'ExportRequestError';
}

export interface ExportRequest {
  mode: 'scheduled' | 'on-demand';
  days: string[];
  overwrite: boolean;
}

function day(value: unknown, field: string): string {
  try {
    if (typeof value === 'string') {
      dayStart(value);
      return value;
    }
  } catch {
    // reported below
  }
  throw new ExportRequestError(`"${field}" must be a UTC day YYYY-MM-DD, got ${JSON.stringify(value)}`);
}

/** The days an event asks for; only whole UTC days that have ended (`now`) can be exported. */
export function parseExportRequest(event: unknown, now: number, catchUpDays = 1): ExportRequest {
  const e = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as Record<string, unknown>) : {};
  if (e.overwrite !== undefined && typeof e.overwrite !== 'boolean') throw new ExportRequestError(`"overwrite" must be true or false, got ${JSON.stringify(e.overwrite)}`);
  const overwrite = e.overwrite === true;
  const lastEnded = previousDay(now);
  let days: string[];
  if (e.date !== undefined) {
    if (e.from !== undefined || e.to !== undefined) throw new ExportRequestError('give "date", or "from" and "to", not both');
    days = [day(e.date, 'date')];
  } else if (e.from !== undefined || e.to !== undefined) {
    if (e.from === undefined || e.to === undefined) throw new ExportRequestError('give both "from" and "to" (days, both included), or "date"');
    const from = day(e.from, 'from');
    const to = day(e.to, 'to');
    if (to < from) throw new ExportRequestError(`"to" (${to}) is before "from" (${from})`);
    days = daysBetween(from, to);
    if (days.length > MAX_REQUEST_DAYS) throw new ExportRequestError(`${days.length} days asked; at most ${MAX_REQUEST_DAYS} per invocation`);
  } else {
    const first = new Date(dayStart(lastEnded) - (catchUpDays - 1) * DAY_MS).toISOString().slice(0, 10);
    return { mode: 'scheduled', days: daysBetween(first, lastEnded), overwrite };
  }
  const open = days.find((d) => d > lastEnded);
  if (open !== undefined) throw new ExportRequestError(`${open} has not ended yet (UTC); the last whole day is ${lastEnded}`);
  return { mode: 'on-demand', days, overwrite };
}
