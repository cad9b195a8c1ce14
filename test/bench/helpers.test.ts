/**
 * The benchmark's pure helpers: tables, the Atlas sizing arithmetic, percentiles and the
 * resample exactness reference (which must catch a wrong bar, or "exact" proves nothing).
 */
import type { Kline } from '../../core/kline';
import { resample } from '../../core/resample';
import { percentileOf } from '../../bench/pipeline-load';
import { compareBars, referenceBars, scaled } from '../../bench/resample-exact';
import { generateMarketDay } from '../../bench/resample';
import { atlasSizing, formatDays, RESAMPLED_PER_MINUTE } from '../../bench/sizing';
import { formatMarkdown, formatText, num, verdict, type Table } from '../../bench/table';

describe('tables', () => {
  const table: Table = { title: 'T', headers: ['name', 'value'], rows: [['a', '1'], ['longer name', '12,345']], notes: ['a note'] };

  it('aligns text columns: first left, others right, each as wide as its widest cell', () => {
    // Act
    const lines = formatText(table).split('\n');
    // Assess
    expect(lines[0]).toBe('T');
    expect(lines[1]).toBe('name          value');
    expect(lines[3]).toBe('a                 1');
    expect(lines[4]).toBe('longer name  12,345');
    expect(lines[5]).toBe('  a note');
  });

  it('counts µ, ≥ and × as one column each', () => {
    const lines = formatText({ title: '', headers: ['x', 'y'], rows: [['µs ≥ 2×', '1'], ['abcdefg', '2']] }).split('\n');
    expect(lines[3].length).toBe(lines[4].length);
  });

  it('writes Markdown with right-aligned numeric columns and escapes pipes', () => {
    const md = formatMarkdown({ title: 'T', headers: ['a', 'b'], rows: [['x|y', '2']] }).split('\n');
    expect(md).toEqual(['### T', '', '| a | b |', '|---|---:|', '| x\\|y | 2 |']);
  });

  it('gives PASS only when the goal is met, and a dash for a figure that was not measured', () => {
    expect(verdict(true)).toBe('PASS');
    expect(verdict(false)).toBe('MISS');
    expect(num(Number.NaN)).toBe('–');
    expect(num(1234.5, 1)).toBe('1,234.5');
  });
});

describe('Atlas sizing', () => {
  it('divides each tier by a day of documents plus index entries, with and without resampled bars', () => {
    // Prepare: 100 B per document, compressed to 50 B, 22 B keys (index entry 30 B)
    const sizing = atlasSizing({ markets: 1000, bsonBytes: 100, compressedBytes: 50, idKeyBytes: 22 }, [{ name: 'X', bytes: 1_440_000_000 }]);
    // Assess
    const perDay1m = 1000 * 1440 * (100 + 30);
    expect(sizing.klinesPerDay).toBe(1_440_000);
    expect(sizing.rows[0].daysOneMinuteBson).toBeCloseTo(1_440_000_000 / perDay1m, 6);
    const resampled = 1000 * 1440 * RESAMPLED_PER_MINUTE * (100 + 17 + 30);
    expect(sizing.rows[0].daysAllBson).toBeCloseTo(1_440_000_000 / (perDay1m + resampled), 6);
    expect(sizing.rows[0].daysAllCompressed).toBeGreaterThan(sizing.rows[0].daysAllBson);
  });

  it('formats days for reading', () => {
    expect(formatDays(0.42)).toBe('0.4');
    expect(formatDays(56.4)).toBe('56');
    expect(formatDays(800)).toBe('800 (2.2 y)');
  });
});

describe('percentileOf', () => {
  it('takes the nearest rank and says NaN for no data', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileOf(sorted, 50)).toBe(50);
    expect(percentileOf(sorted, 99)).toBe(99);
    expect(percentileOf([7], 99)).toBe(7);
    expect(percentileOf([], 50)).toBeNaN();
  });
});

describe('resample exactness reference', () => {
  const day = generateMarketDay(3);

  it('agrees with the resampler on a generated day, zero-trade minutes included', () => {
    expect(day.some((k) => k.trades === 0)).toBe(true);
    expect(compareBars(resample(day, '1h'), referenceBars(day, 60), 'M0003USDT 1h')).toEqual([]);
  });

  it('reports a bar whose volume is off by one unit in the last digit', () => {
    // Prepare: + 0.00000001 on one bar's volume
    const bars: Kline[] = resample(day, '15m');
    const volume = fromScaled(scaled(bars[5].volume) + 10n ** 10n);
    const tampered = bars.map((b, i) => (i === 5 ? { ...b, volume } : b));
    // Act
    const problems = compareBars(tampered, referenceBars(day, 15), 'M0003USDT 15m');
    // Assess
    expect(problems).toEqual([expect.stringContaining('volume differs')]);
  });

  it('reports a wrong sourceCount and a missing bar', () => {
    const bars = resample(day, '5m');
    expect(compareBars([{ ...bars[0], sourceCount: 4 }, ...bars.slice(1)], referenceBars(day, 5), 'x')).toEqual([expect.stringContaining('sourceCount differs')]);
    expect(compareBars(bars.slice(1), referenceBars(day, 5), 'x')).toEqual([expect.stringContaining('bars, expected')]);
  });

  it('reads decimal text as exact scaled integers', () => {
    expect(scaled('1.5')).toBe(scaled('1.50000000'));
    expect(scaled('0.00000001')).toBe(10n ** 10n);
    expect(() => scaled('1e-8')).toThrow(RangeError);
  });
});

/** Scaled (10^18) integer back to decimal text. */
function fromScaled(v: bigint): string {
  const s = v.toString().padStart(19, '0');
  return `${s.slice(0, -18)}.${s.slice(-18)}`;
}
