/** Text formatting shared by the report renderers. Everything is UTC and locale-independent. */
import type { MarketType } from '../market';
import type { TimeRange } from '../store/port';

/** How a report names a market type. */
export const MARKET_TYPE_LABELS: Record<MarketType, string> = {
  spot: 'Spot',
  usdm: 'USDⓈ-M futures',
  coinm: 'COIN-M futures',
};

/** 2893117 → "2,893,117". */
export function formatCount(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.abs(Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * present/expected as a percentage with two decimals, rounded *down* so that anything short of
 * complete never reads "100.00". Integer arithmetic, so 29/100 is "29.00", not "28.99".
 * Empty string when nothing was expected.
 */
export function formatPercent(present: number, expected: number): string {
  if (expected <= 0) return '';
  const hundredths = Math.floor((present * 10_000) / expected);
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function parts(ms: number): { date: string; time: string } {
  const d = new Date(ms);
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`,
  };
}

/** "2024-01-01T00:00Z". */
export function isoMinute(ms: number): string {
  const p = parts(ms);
  return `${p.date}T${p.time}Z`;
}

/** "2024-01-01T00:00:00Z" (what spreadsheets parse). */
export function isoSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "2024-01-01 00:00". */
export function dateTime(ms: number): string {
  const p = parts(ms);
  return `${p.date} ${p.time}`;
}

export function dateOnly(ms: number): string {
  return parts(ms).date;
}

export function timeOnly(ms: number): string {
  return parts(ms).time;
}

/** Time of an exclusive end within one date: midnight is "24:00" (the end of the day before). */
export function endOfDayTime(ms: number): string {
  const t = timeOnly(ms);
  return t === '00:00' ? '24:00' : t;
}

/** "20240101T0000Z": an instant safe in file names on every OS. */
export function compactInstant(ms: number): string {
  return isoMinute(ms).replace(/[-:]/g, '');
}

/** True when the window covers exactly one UTC calendar day. */
export function isUtcDay(range: TimeRange): boolean {
  return range.to - range.from === 86_400_000 && range.from % 86_400_000 === 0;
}

/** True when every minute of the window falls on one UTC date. */
export function withinOneDate(range: TimeRange): boolean {
  return range.to > range.from && dateOnly(range.from) === dateOnly(range.to - 1);
}

/** "2024-01-01T00:00Z–2024-01-02T00:00Z". */
export function windowLabel(range: TimeRange): string {
  return `${isoMinute(range.from)}–${isoMinute(range.to)}`;
}

/** Human length: "45 min", "3 h 20 min", "24 h", "2 d 4 h". */
export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 2880) {
    const m = minutes % 60;
    return m === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${m} min`;
  }
  const h = Math.floor((minutes % 1440) / 60);
  return h === 0 ? `${Math.floor(minutes / 1440)} d` : `${Math.floor(minutes / 1440)} d ${h} h`;
}
