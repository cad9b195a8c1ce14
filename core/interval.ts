import { KlineValidationError } from './errors';
import type { MarketType } from './market';

/** An interval name such as `1m`, `5m`, `1h`; any minute or hour count that divides a day. */
export type Interval = string;

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** The intervals the system stores: 1m captured, the rest resampled. */
export const STORED_INTERVALS = ['1m', '5m', '15m', '30m', '1h'] as const;
export type StoredInterval = (typeof STORED_INTERVALS)[number];
export const RESAMPLED_INTERVALS = ['5m', '15m', '30m', '1h'] as const;

const INTERVAL_PATTERN = /^([1-9][0-9]*)([mh])$/;

/** Length of an interval in ms; throws for anything that is not N minutes/hours dividing a day. */
export function intervalMs(interval: Interval): number {
  const m = INTERVAL_PATTERN.exec(interval);
  if (!m) throw new KlineValidationError(`unknown interval "${interval}"`);
  const ms = Number(m[1]) * (m[2] === 'h' ? 3_600_000 : MINUTE_MS);
  if (ms > DAY_MS || DAY_MS % ms !== 0) throw new KlineValidationError(`interval "${interval}" does not divide a day`);
  return ms;
}

export function isInterval(interval: string): boolean {
  try {
    intervalMs(interval);
    return true;
  } catch {
    return false;
  }
}

/** UTC-aligned start of the window of `interval` that contains `time`. */
export function windowStart(time: number, interval: Interval): number {
  const ms = intervalMs(interval);
  return time - (((time % ms) + ms) % ms);
}

/**
 * Name of the collection / table that holds klines of one market type and interval. Spot keeps
 * round 1's names (`klines_1m`) so existing data stays readable; futures get a prefix
 * (`usdm_klines_1m`, `coinm_klines_1h`). See docs/data-model.md.
 */
export function collectionName(marketType: MarketType, interval: StoredInterval): string {
  return marketType === 'spot' ? `klines_${interval}` : `${marketType}_klines_${interval}`;
}
