import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { intervalMs, intervalName, isInterval, windowStart } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { resample, Resampler } from '../../core/resample';
import { BINANCE_INTERVALS, formatTimeZone, parseTimeZone, windowScheme } from '../../core/windows';
import { generateTape, klinesFromTape } from '../fixtures/trades';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('parseTimeZone (Binance timeZone: hours[:minutes] in [-12:00, +14:00])', () => {
  it.each([
    ['0', 0],
    ['8', 8 * HOUR],
    ['+08:00', 8 * HOUR],
    ['-1:00', -HOUR],
    ['05:45', 5 * HOUR + 45 * MIN],
    ['+14:00', 14 * HOUR],
    ['-12:00', -12 * HOUR],
    ['-03:30', -(3 * HOUR + 30 * MIN)],
  ])('%s → %d ms', (text, ms) => {
    expect(parseTimeZone(text)).toBe(ms);
  });

  it.each(['+14:01', '-12:30', '15', '8:60', 'UTC', '', '+8:5', 'Asia/Shanghai', '08:00:00'])('rejects %j naming it', (text) => {
    expect(() => parseTimeZone(text)).toThrow(text === '' ? /time zone ""/ : new RegExp(`time zone "${text.replace(/[+]/g, '\\+')}"`));
  });

  it('formats back as Binance writes zones', () => {
    expect(['+08:00', '-01:00', '+05:45', '+00:00', '-12:00'].map((z) => formatTimeZone(parseTimeZone(z)))).toEqual(['+08:00', '-01:00', '+05:45', '+00:00', '-12:00']);
  });
});

describe('windowScheme: alignment as Binance aligns its klines', () => {
  it('opens weekly klines on Monday 00:00 UTC, as the 1w kline in Binance’s documented klines example', () => {
    // klines.json is Binance's own example: open 1499040000000, close 1499644799999 (7 days)
    const [row] = JSON.parse(readFileSync(join(__dirname, '../fixtures/binance-docs/klines.json'), 'utf8')) as [number, ...unknown[]][];
    const [open, close] = [row[0], row[6] as number];
    expect(close - open + 1).toBe(7 * DAY);
    const week = windowScheme('1w');
    for (const t of [open, open + 3 * DAY + 5 * HOUR, close]) expect(week.start(t)).toBe(open);
    expect(week.next(open) - 1).toBe(close);
    expect(new Date(open).getUTCDay()).toBe(1);
    expect(windowStart(open + DAY, '1w')).toBe(open);
  });

  it('opens monthly klines on the 1st, with months of their true length (February, leap years)', () => {
    const month = windowScheme('1M');
    expect(month.start(Date.UTC(2024, 1, 29, 23, 59))).toBe(Date.UTC(2024, 1, 1));
    expect(month.next(Date.UTC(2024, 1, 1))).toBe(Date.UTC(2024, 2, 1));
    expect(month.next(Date.UTC(2024, 11, 1))).toBe(Date.UTC(2025, 0, 1));
    expect(month.fixedMs).toBeUndefined();
  });

  it('opens 3d windows where Binance opens BTCUSDT 3d klines: 2017-08-17 (first) and 2026-07-01, every third day between', () => {
    const three = windowScheme('3d');
    // data.binance.vision spot BTCUSDT 3d monthly files: first kline 2017-08-17 00:00Z (trading began 04:00Z), last of 2026-07 on 07-01
    expect(three.start(Date.UTC(2017, 7, 17, 4))).toBe(Date.UTC(2017, 7, 17));
    expect(three.start(Date.UTC(2017, 7, 19, 23, 59))).toBe(Date.UTC(2017, 7, 17));
    expect(three.next(Date.UTC(2017, 7, 17))).toBe(Date.UTC(2017, 7, 20));
    expect(three.start(Date.UTC(2026, 6, 1, 12))).toBe(Date.UTC(2026, 6, 1));
    expect(three.start(Date.UTC(2026, 5, 30, 23, 59))).toBe(Date.UTC(2026, 5, 28));
    // not from the epoch day 0: 2025-03-01 is epoch day 20148 (a multiple of 3) and is inside the window of 02-27
    expect(three.start(Date.UTC(2025, 2, 1, 12))).toBe(Date.UTC(2025, 1, 27));
  });

  it('shifts windows into a time zone: a +08:00 day opens at 16:00 UTC the day before', () => {
    const day8 = windowScheme('1d', 8 * HOUR);
    expect(day8.start(Date.UTC(2025, 2, 1, 15, 59))).toBe(Date.UTC(2025, 1, 28, 16));
    expect(day8.start(Date.UTC(2025, 2, 1, 16))).toBe(Date.UTC(2025, 2, 1, 16));
    expect(windowScheme('1w', 8 * HOUR).start(Date.UTC(2025, 2, 3, 12))).toBe(Date.UTC(2025, 2, 2, 16)); // Monday 00:00 +08:00
    expect(windowScheme('1M', -5 * HOUR).start(Date.UTC(2025, 2, 1, 3))).toBe(Date.UTC(2025, 1, 1, 5)); // still February in New York winter time
    expect(windowScheme('30m', 5 * HOUR + 45 * MIN).start(Date.UTC(2025, 2, 1, 0, 20))).toBe(Date.UTC(2025, 2, 1, 0, 15));
  });

  it('rejects unknown intervals and bad offsets, naming them', () => {
    expect(() => windowScheme('7m')).toThrow(/unknown interval "7m"/);
    expect(() => windowScheme('1s')).toThrow(/unknown interval "1s"/);
    expect(() => windowScheme('1d', 15 * HOUR)).toThrow(/offset 54000000 ms/);
    expect(() => windowScheme('1d', 1000)).toThrow(/not whole minutes/);
  });
});

describe('stored intervals', () => {
  it('intervalMs accepts 4h, 1d and 1w, and no length that is not a Binance window', () => {
    expect(['4h', '1d', '1w'].map(intervalMs)).toEqual([4 * HOUR, DAY, 7 * DAY]);
    for (const bad of ['24h', '2d', '3d', '2w', '1M', '7m', '0m', '1y']) expect(isInterval(bad)).toBe(false);
    expect(intervalName(DAY)).toBe('1d');
    expect(intervalName(7 * DAY)).toBe('1w');
    expect(intervalName(4 * HOUR)).toBe('4h');
    expect(intervalName(7 * MIN)).toBeUndefined();
  });
});

/** Local calendar facts of a UTC instant in zone `off`, from Date (independent of windows.ts). */
function local(t: number, off: number) {
  const d = new Date(t + off);
  return { day: d.getUTCDay(), date: d.getUTCDate(), hms: d.getUTCHours() * HOUR + d.getUTCMinutes() * MIN, epochDay: Math.floor((t + off) / DAY) };
}

/** The window boundary rule each interval must follow in zone `off`, checked from calendar facts. */
function isWindowOpen(interval: string, t: number, off: number): boolean {
  const l = local(t, off);
  switch (interval) {
    case '1M':
      return l.date === 1 && l.hms === 0;
    case '1w':
      return l.day === 1 && l.hms === 0;
    case '3d':
      return l.hms === 0 && l.epochDay % 3 === 1;
    default:
      return (t + off) % intervalLength(interval) === 0;
  }
}

function intervalLength(interval: string): number {
  const n = Number(interval.slice(0, -1));
  return n * { m: MIN, h: HOUR, d: DAY }[interval.slice(-1) as 'm' | 'h' | 'd'];
}

describe('Resampler in every interval and zone equals klines built straight from trades', () => {
  // From a Sunday 00:00 UTC − 14 h, so every zone's first window is partial; 75 days for 3d/1w/1M, 3 for the rest
  const START = Date.UTC(2025, 0, 5) - 14 * HOUR;
  const PRICE = 2_000_000_000n;
  const LONG = new Set(['3d', '1w', '1M']);
  const market = (days: number, quietChance: number) => {
    const tape = generateTape({ seed: 11 + days, start: START, minutes: days * 1440, initialPrice: PRICE, quietChance });
    return { tape, oneMinute: klinesFromTape(tape, 'S', '1m', MIN, START, days * 1440, PRICE) };
  };
  const short = market(3, 0.3);
  const long = market(75, 0.97);
  const zones = ['0', '+08:00', '-05:00', '+05:45', '+14:00', '-12:00'];
  const targets = BINANCE_INTERVALS.filter((i) => i !== '1m');

  it.each(zones)('zone %s: windows open where the calendar says, tile the range, and equal the truth field by field', (zone) => {
    const off = parseTimeZone(zone);
    for (const to of targets) {
      const { tape, oneMinute } = LONG.has(to) ? long : short;
      const bars = resample(oneMinute, to, off);
      const problems: string[] = [];
      for (let i = 1; i < bars.length; i++) if (bars[i].openTime !== bars[i - 1].closeTime + 1) problems.push(`${to}: gap before ${bars[i].openTime}`);
      const full = bars.filter((b) => b.sourceCount === (b.closeTime + 1 - b.openTime) / MIN);
      if (full.length < bars.length - 2) problems.push(`${to}: ${bars.length - full.length} partial windows`);
      for (const b of full) if (!isWindowOpen(to, b.openTime, off)) problems.push(`${to}: window opens at ${new Date(b.openTime).toISOString()}`);
      expect(problems).toEqual([]);
      expect(full.length).toBeGreaterThan(0);
      const first = full[0];
      const len = first.closeTime + 1 - first.openTime;
      const truth: Kline[] =
        to === '1M'
          ? full.map((b) => klinesFromTape(tape, 'S', to, b.closeTime + 1 - b.openTime, b.openTime, 1, PRICE)[0])
          : klinesFromTape(tape, 'S', to, len, first.openTime, full.length, PRICE);
      expect(full.map(({ sourceCount: _s, ...rest }) => rest)).toEqual(truth);
    }
  });

  it('builds zone days from hour bars when the offset is whole hours, and refuses when it is not', () => {
    const off = parseTimeZone('+08:00');
    const { oneMinute } = long;
    expect(resample(resample(oneMinute, '1h'), '1d', off)).toEqual(resample(oneMinute, '1d', off));
    expect(resample(resample(oneMinute, '1d', off), '1w', off)).toEqual(resample(oneMinute, '1w', off));
    expect(resample(resample(oneMinute, '1d'), '1M')).toEqual(resample(oneMinute, '1M'));
    expect(() => new Resampler('1h', '1d', parseTimeZone('+05:45'))).toThrow(/1h windows straddle that zone's 1d windows/);
    expect(() => resample(resample(oneMinute, '1d'), '1w', off)).toThrow(/straddles the 1w window/);
    expect(() => new Resampler('1w', '1M')).toThrow(/must divide a day/);
    expect(() => new Resampler('5m', '3m')).toThrow(/longer multiple/);
  });
});
