import { compareDecimal, DecimalSum, fractionDigits, hasLeadingZero, isDecimalText, maxDecimal, minDecimal, sumDecimals, withFractionDigits } from '../../core/decimal';
import { rng } from '../fixtures/trades';

/** Oracle: decimal text as a BigInt of 10^-scale units. */
function units(s: string, scale: number): bigint {
  const [w, f = ''] = s.split('.');
  return BigInt(w + f.padEnd(scale, '0'));
}

function text(v: bigint, scale: number): string {
  if (scale === 0) return v.toString();
  const s = v.toString().padStart(scale + 1, '0');
  return `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

function randomDecimal(random: () => number): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const whole = digits(1 + Math.floor(random() * 20));
  const frac = random() < 0.2 ? '' : `.${digits(1 + Math.floor(random() * 18))}`;
  return whole + frac;
}

describe('isDecimalText', () => {
  it.each(['0', '0.5', '0.00000001', '10', '10.00000000', '123456789.12345678', '90000000000.00000000'])('accepts %s', (s) => {
    expect(isDecimalText(s)).toBe(true);
  });
  it.each(['', '-1', '1.', '.5', '1e5', ' 1', '1,5', 'NaN', '1'.repeat(65)])('rejects %j', (s) => {
    expect(isDecimalText(s)).toBe(false);
  });
  it.each(['00.5', '01', '007.5', '00', '0001.00000000'])('rejects %s: a leading zero is not canonical (Decimal128 would drop it)', (s) => {
    expect(isDecimalText(s)).toBe(false);
    expect(hasLeadingZero(s)).toBe(true);
  });
  it('names only digit text with a leading zero as such', () => {
    expect(['0', '0.5', '10', '-01', '0x1', '0.'].map(hasLeadingZero)).toStrictEqual([false, false, false, false, false, false]);
  });
  it('rejects non-strings', () => {
    expect(isDecimalText(1)).toBe(false);
    expect(isDecimalText(null)).toBe(false);
  });
  it('agrees with the canonical-decimal regex on every short string of digits, dots and signs', () => {
    // The character loop replaced this regex; exhaustive over an alphabet that reaches every branch.
    const oracle = (s: string) => s.length > 0 && s.length <= 64 && /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/.test(s);
    const alphabet = ['0', '1', '9', '.', '-', 'a', ' '];
    let words = [''];
    let checked = 0;
    for (let len = 1; len <= 5; len++) {
      words = words.flatMap((w) => alphabet.map((c) => w + c));
      for (const w of words) {
        expect([w, isDecimalText(w)]).toStrictEqual([w, oracle(w)]);
        checked++;
      }
    }
    expect(checked).toBe(19_607);
    for (const n of [63, 64, 65]) expect(isDecimalText(`1.${'0'.repeat(n - 2)}`)).toBe(n <= 64);
  });
});

describe('compareDecimal', () => {
  it('orders by value regardless of trailing or leading zeros', () => {
    expect(compareDecimal('1.10', '1.1')).toBe(0);
    expect(compareDecimal('007.5', '7.50')).toBe(0);
    expect(compareDecimal('10', '9.99999999')).toBe(1);
    expect(compareDecimal('0.00000001', '0.0000001')).toBe(-1);
    expect([maxDecimal('2.5', '2.50000001'), minDecimal('2.5', '2.50000001')]).toEqual(['2.50000001', '2.5']);
  });

  it('agrees with a BigInt oracle on random pairs', () => {
    const random = rng(3);
    for (let i = 0; i < 5000; i++) {
      const a = randomDecimal(random);
      const b = random() < 0.1 ? a + (a.includes('.') ? '00' : '.00') : randomDecimal(random);
      const scale = Math.max(fractionDigits(a), fractionDigits(b));
      const expected = units(a, scale) < units(b, scale) ? -1 : units(a, scale) > units(b, scale) ? 1 : 0;
      expect([a, b, compareDecimal(a, b)]).toEqual([a, b, expected]);
    }
  });
});

describe('DecimalSum', () => {
  it('keeps the largest number of fraction digits seen', () => {
    expect(sumDecimals(['1.10', '2.20'])).toBe('3.30');
    expect(sumDecimals(['1', '0.5'])).toBe('1.5');
    expect(sumDecimals(['0.00000000', '0.00000000'])).toBe('0.00000000');
    expect(sumDecimals([], 8)).toBe('0.00000000');
    expect(sumDecimals(['1'], 2)).toBe('1.00');
  });

  it('adds Binance’s extremes exactly', () => {
    expect(sumDecimals(['90000000000.00000000', '123456789.12345678', '0.00000001'])).toBe('90123456789.12345679');
  });

  it('stays exact past 2^53 units (BigInt fallback) and across carries', () => {
    const values = Array.from({ length: 1000 }, () => '99999999999.99999999');
    expect(sumDecimals(values)).toBe('99999999999999.99999000');
  });

  it('agrees with a BigInt oracle on random mixes of scales and magnitudes', () => {
    const random = rng(11);
    for (let round = 0; round < 300; round++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 40) }, () => randomDecimal(random));
      const scale = Math.max(...values.map(fractionDigits));
      const expected = text(values.reduce((s, v) => s + units(v, scale), 0n), scale);
      const sum = new DecimalSum();
      for (const v of values) sum.add(v);
      expect([values, sum.toString()]).toEqual([values, expected]);
    }
  });

  it('gives the same text when read twice (toString does not disturb the sum)', () => {
    const sum = new DecimalSum().add('1.5').add('2.25');
    expect([sum.toString(), sum.toString(4), sum.add('1').toString()]).toEqual(['3.75', '3.7500', '4.7500']);
  });
});

describe('withFractionDigits', () => {
  it('pads or trims zeros only', () => {
    expect(withFractionDigits('1.5', 8)).toBe('1.50000000');
    expect(withFractionDigits('1.50000000', 2)).toBe('1.50');
    expect(withFractionDigits('12', 0)).toBe('12');
    expect(withFractionDigits('0012.000', 0)).toBe('12');
  });

  it('refuses to round', () => {
    expect(() => withFractionDigits('1.005', 2)).toThrow(RangeError);
  });
});
