/**
 * Kline windows for every interval Binance offers whose windows are whole minutes, aligned as
 * Binance aligns its own klines, optionally in a time zone (the `timeZone` parameter of
 * `GET /api/v3/klines`).
 *
 * Alignment (UTC): minute and hour intervals and `1d` from the epoch (they divide a day), `3d`
 * every third day from 1970-01-02 (epoch-day number ≡ 1 mod 3: Binance's BTCUSDT 3d klines open
 * on 2017-08-17 and, 1,060 windows later, on 2026-07-01; docs/export.md), `1w` on Monday 00:00,
 * `1M` on the first day of each calendar month.
 *
 * Time zones, as Binance's docs define them: "If timeZone provided, kline intervals are
 * interpreted in that timezone instead of UTC"; "startTime and endTime are always interpreted in
 * UTC". So a window in zone +08:00 is the UTC window of the same length shifted back 8 hours
 * (a +08:00 day opens at 16:00 UTC the day before); open and close times stay UTC epoch ms.
 * Accepted zones: hours and minutes ("-1:00", "05:45", "+08:00") or hours only ("0", "8"), in
 * [-12:00, +14:00] inclusive.
 */
// No import from ./interval: it imports this module (windowStart of 1w).
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Every kline interval of Binance's REST API except `1s` (not whole minutes), shortest first. */
export const BINANCE_INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'] as const;
export type BinanceInterval = (typeof BINANCE_INTERVALS)[number];

export function isBinanceInterval(value: string): value is BinanceInterval {
  return (BINANCE_INTERVALS as readonly string[]).includes(value);
}

/** Monday 1970-01-05 00:00 UTC: weekly klines open on Mondays. */
const FIRST_MONDAY_MS = 4 * DAY_MS;
/** 1970-01-02 00:00 UTC: a 3d window opens there, so every third day after (see the header). */
const FIRST_3D_MS = DAY_MS;
const TZ_PATTERN = /^([+-]?)([0-9]{1,2})(?::([0-9]{2}))?$/;
const MIN_OFFSET_MS = -12 * 3_600_000;
const MAX_OFFSET_MS = 14 * 3_600_000;

/**
 * A Binance `timeZone` value as an offset from UTC in ms ("+08:00" → 28,800,000). Throws a
 * RangeError naming the value for anything else.
 */
export function parseTimeZone(text: string): number {
  const m = TZ_PATTERN.exec(text.trim());
  const minutes = m?.[3] === undefined ? 0 : Number(m[3]);
  if (!m || minutes >= 60) {
    throw new RangeError(`time zone "${text}" is not hours[:minutes] (e.g. +08:00, -1:00, 05:45, 8)`);
  }
  const ms = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + minutes * MINUTE_MS);
  if (ms < MIN_OFFSET_MS || ms > MAX_OFFSET_MS) throw new RangeError(`time zone "${text}" is outside [-12:00, +14:00]`);
  return ms;
}

/** An offset in ms as Binance writes zones: "+08:00", "-01:00", "+05:45", "+00:00". */
export function formatTimeZone(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.abs(offsetMs) / MINUTE_MS;
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The windows of one interval in one time zone. */
export interface WindowScheme {
  readonly interval: BinanceInterval;
  readonly tzOffsetMs: number;
  /** Length of every window in ms; undefined for `1M` (months differ). */
  readonly fixedMs: number | undefined;
  /** Open time (UTC ms) of the window holding `time`. */
  start(time: number): number;
  /** Open time of the window after the one opening at `start` (its close time is this − 1). */
  next(start: number): number;
}

const FIXED_MS: Record<Exclude<BinanceInterval, '1M'>, number> = {
  '1m': MINUTE_MS,
  '3m': 3 * MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': 3_600_000,
  '2h': 2 * 3_600_000,
  '4h': 4 * 3_600_000,
  '6h': 6 * 3_600_000,
  '8h': 8 * 3_600_000,
  '12h': 12 * 3_600_000,
  '1d': DAY_MS,
  '3d': 3 * DAY_MS,
  '1w': 7 * DAY_MS,
};

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Windows of `interval` in the zone `tzOffsetMs` (0 = UTC, Binance's default). */
export function windowScheme(interval: string, tzOffsetMs = 0): WindowScheme {
  if (!isBinanceInterval(interval)) {
    throw new RangeError(`unknown interval "${interval}" (expected one of ${BINANCE_INTERVALS.join(', ')})`);
  }
  if (!Number.isInteger(tzOffsetMs) || tzOffsetMs % MINUTE_MS !== 0 || tzOffsetMs < MIN_OFFSET_MS || tzOffsetMs > MAX_OFFSET_MS) {
    throw new RangeError(`time-zone offset ${tzOffsetMs} ms is not whole minutes within [-12:00, +14:00]`);
  }
  if (interval === '1M') {
    return {
      interval,
      tzOffsetMs,
      fixedMs: undefined,
      start(time) {
        const local = new Date(time + tzOffsetMs);
        return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - tzOffsetMs;
      },
      next(start) {
        const local = new Date(start + tzOffsetMs);
        return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - tzOffsetMs;
      },
    };
  }
  const ms = FIXED_MS[interval];
  const anchor = (interval === '1w' ? FIRST_MONDAY_MS : interval === '3d' ? FIRST_3D_MS : 0) - tzOffsetMs;
  return {
    interval,
    tzOffsetMs,
    fixedMs: ms,
    start: (time) => time - mod(time - anchor, ms),
    next: (start) => start + ms,
  };
}

/** Length in ms of a fixed-length Binance interval (everything but `1M`). */
export function binanceIntervalMs(interval: Exclude<BinanceInterval, '1M'>): number {
  return FIXED_MS[interval];
}
