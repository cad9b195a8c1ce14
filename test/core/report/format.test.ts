import { compactInstant, endOfDayTime, formatCount, formatMinutes, isoMinute, isUtcDay, withinOneDate } from '../../../core/report/format';

const DAY = Date.UTC(2024, 0, 1);

describe('report formatting', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [2_893_117, '2,893,117'],
    [-1234, '-1,234'],
  ])('groups %d as %s', (n, text) => {
    expect(formatCount(n)).toBe(text);
  });

  it.each([
    [1, '1 min'],
    [59, '59 min'],
    [60, '1 h'],
    [265, '4 h 25 min'],
    [1440, '24 h'],
    [2880, '2 d'],
    [3000, '2 d 2 h'],
  ])('writes %d minutes as %s', (minutes, text) => {
    expect(formatMinutes(minutes)).toBe(text);
  });

  it('writes instants in UTC, file-name safe where needed', () => {
    expect(isoMinute(DAY + 90 * 60_000)).toBe('2024-01-01T01:30Z');
    expect(compactInstant(DAY + 90 * 60_000)).toBe('20240101T0130Z');
  });

  it('writes the midnight that ends a day as 24:00', () => {
    expect(endOfDayTime(DAY + 86_400_000)).toBe('24:00');
    expect(endOfDayTime(DAY + 60_000)).toBe('00:01');
  });

  it('tells a UTC day and a window within one date apart', () => {
    expect(isUtcDay({ from: DAY, to: DAY + 86_400_000 })).toBe(true);
    expect(isUtcDay({ from: DAY + 1, to: DAY + 86_400_001 })).toBe(false);
    expect(withinOneDate({ from: DAY, to: DAY + 86_400_000 })).toBe(true);
    expect(withinOneDate({ from: DAY, to: DAY + 86_400_000 + 60_000 })).toBe(false);
    expect(withinOneDate({ from: DAY, to: DAY })).toBe(false);
  });
});
