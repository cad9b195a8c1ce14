import { KlineValidationError } from './errors';
import type { MarketType } from './market';
import { windowScheme } from './windows';

/** An interval name such as `1m`, `5m`, `1h`, `1d`, `1w`; any minute or hour count that divides a day, `1d` or `1w`. */
export type Interval = string;

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** The intervals the system stores: 1m captured, the rest resampled. */
export const STORED_INTERVALS = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'] as const;
export type StoredInterval = (typeof STORED_INTERVALS)[number];
/**
 * The intervals the scheduled resample job builds today (each divides an hour). 4h, 1d and 1w
 * are stored (tables exist, `import`/`export` use them) and join the job with incremental
 * resampling (docs/data-model.md).
 */
export const RESAMPLED_INTERVALS = ['5m', '15m', '30m', '1h'] as const;
/** Every stored interval built by resampling. */
export const STORED_RESAMPLED_INTERVALS = ['5m', '15m', '30m', '1h', '4h', '1d', '1w'] as const;

const INTERVAL_PATTERN = /^([1-9][0-9]*)([mhdw])$/;

/**
 * Length of an interval in ms: N minutes/hours dividing a day, `1d` or `1w`. Throws for
 * anything else (`3d` and `1M` have windows too, see core/windows.ts, but are not stored).
 */
export function intervalMs(interval: Interval): number {
  const m = INTERVAL_PATTERN.exec(interval);
  if (!m) throw new KlineValidationError(`unknown interval "${interval}"`);
  if (m[2] === 'd' || m[2] === 'w') {
    if (m[1] !== '1') throw new KlineValidationError(`interval "${interval}" is not stored or resampled by the store (only 1d and 1w)`);
    return m[2] === 'd' ? DAY_MS : WEEK_MS;
  }
  const ms = Number(m[1]) * (m[2] === 'h' ? 3_600_000 : MINUTE_MS);
  if (ms >= DAY_MS || DAY_MS % ms !== 0) throw new KlineValidationError(`interval "${interval}" does not divide a day (write 1d for a day)`);
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

/** The interval name of a window length: `5m`, `4h`, `1d`, `1w`; undefined when no interval has that length. */
export function intervalName(ms: number): Interval | undefined {
  const name = ms === WEEK_MS ? '1w' : ms === DAY_MS ? '1d' : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % MINUTE_MS === 0 ? `${ms / MINUTE_MS}m` : '';
  return isInterval(name) ? name : undefined;
}

/** Start of the UTC window of `interval` that contains `time` (1w windows open on Mondays, as Binance's). */
export function windowStart(time: number, interval: Interval): number {
  if (interval === '1w') return windowScheme('1w').start(time);
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
