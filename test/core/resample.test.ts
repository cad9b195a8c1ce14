import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvLine } from '../../core/parse';
import type { Kline } from '../../core/kline';
import { resample, resampleAll, resampleBars, Resampler } from '../../core/resample';
import { buildDumpFixtures, FIXTURE_DIR, FIXTURE_INTERVALS, FIXTURE_SYMBOL, fixtureFileName } from '../fixtures/dump-fixtures';
import { generateTape, klinesFromTape, rng } from '../fixtures/trades';

const DAY = Date.UTC(2025, 2, 1);
const MIN = 60_000;

/** A 1m kline at minute `m` after DAY; a minute without trades is o=h=l=c=`carry`. */
function minute(m: number, p: Partial<Kline> & { trades: number }, symbol = 'AAA'): Kline {
  const openTime = DAY + m * MIN;
  const c = p.close ?? '1.00';
  return {
    marketType: 'spot',
    symbol,
    interval: '1m',
    openTime,
    closeTime: openTime + MIN - 1,
    open: p.open ?? c,
    high: p.high ?? c,
    low: p.low ?? c,
    close: c,
    volume: p.volume ?? (p.trades === 0 ? '0.00' : '1.00'),
    quoteVolume: p.quoteVolume ?? (p.trades === 0 ? '0.00' : '1.00'),
    trades: p.trades,
    takerBuyBaseVolume: p.takerBuyBaseVolume ?? '0.00',
    takerBuyQuoteVolume: p.takerBuyQuoteVolume ?? '0.00',
  };
}

const quiet = (m: number, carry: string, symbol = 'AAA') => minute(m, { trades: 0, close: carry }, symbol);

function withoutSourceCount(k: Kline): Kline {
  const { sourceCount: _ignored, ...rest } = k;
  return rest;
}

describe('resample: the zero-trade rule', () => {
  it('ignores a quiet minute at the window start for open, high and low', () => {
    // Prepare: minute 0 carries 9.00 (the previous close), trading starts in minute 1
    const input = [quiet(0, '9.00'), minute(1, { trades: 2, open: '5.00', high: '6.00', low: '4.00', close: '5.50' }), minute(2, { trades: 1, open: '5.50', high: '5.70', low: '5.40', close: '5.60' })];
    // Act
    const [bar] = resample(input, '5m');
    // Assess
    expect(bar).toMatchObject({ open: '5.00', high: '6.00', low: '4.00', close: '5.60', trades: 3, sourceCount: 3 });
  });

  it('ignores a quiet minute in the middle even when its carried price is outside the traded range', () => {
    const input = [
      minute(0, { trades: 1, open: '2.00', high: '2.00', low: '2.00', close: '2.00' }),
      quiet(1, '0.50'), // a carried price that no trade in this window had
      minute(2, { trades: 1, open: '2.10', high: '2.20', low: '2.05', close: '2.10' }),
    ];
    const [bar] = resample(input, '5m');
    expect(bar).toMatchObject({ open: '2.00', high: '2.20', low: '2.00', close: '2.10' });
  });

  it('takes the close of a quiet minute at the window end, without letting it set high or low', () => {
    const input = [minute(3, { trades: 4, open: '3.00', high: '3.30', low: '2.90', close: '3.10' }), quiet(4, '3.10')];
    const [bar] = resample(input, '5m');
    expect(bar).toMatchObject({ open: '3.00', high: '3.30', low: '2.90', close: '3.10', trades: 4, sourceCount: 2 });
  });

  it('gives a window without any trade o=h=l=c = the carried close and zero volume', () => {
    const input = [0, 1, 2, 3, 4].map((m) => quiet(m, '7.25'));
    const [bar] = resample(input, '5m');
    expect(bar).toMatchObject({ open: '7.25', high: '7.25', low: '7.25', close: '7.25', volume: '0.00', trades: 0, sourceCount: 5 });
  });
});

describe('resample: windows', () => {
  it('produces a window with missing minutes and its true sourceCount', () => {
    const input = [minute(0, { trades: 1, close: '1.00' }), minute(4, { trades: 1, close: '1.20' }), minute(10, { trades: 1, close: '1.30' })];
    const bars = resample(input, '5m');
    expect(bars.map((b) => [b.openTime - DAY, b.sourceCount, b.close])).toEqual([
      [0, 2, '1.20'],
      [10 * MIN, 1, '1.30'],
    ]);
  });

  it('splits at UTC midnight and sets closeTime to window end − 1 ms', () => {
    const input = [minute(-2, { trades: 1, close: '1.00' }), minute(-1, { trades: 1, close: '1.10' }), minute(0, { trades: 1, close: '1.20' })];
    const bars = resample(input, '1h');
    expect(bars.map((b) => [new Date(b.openTime).toISOString(), new Date(b.closeTime).toISOString(), b.sourceCount])).toEqual([
      ['2025-02-28T23:00:00.000Z', '2025-02-28T23:59:59.999Z', 2],
      ['2025-03-01T00:00:00.000Z', '2025-03-01T00:59:59.999Z', 1],
    ]);
  });

  it('handles any interval dividing a day (3m, 2h)', () => {
    const input = Array.from({ length: 240 }, (_, m) => minute(m, { trades: 1, close: '1.00' }));
    expect(resample(input, '3m')).toHaveLength(80);
    expect(resample(input, '2h').map((b) => b.sourceCount)).toEqual([120, 120]);
  });

  it('keeps the inputs fraction digits in sums (1.10 + 2.20 = 3.30, not 3.3)', () => {
    const input = [minute(0, { trades: 1, volume: '1.10', quoteVolume: '0.000001' }), minute(1, { trades: 1, volume: '2.20', quoteVolume: '0.000009' })];
    const [bar] = resample(input, '5m');
    expect([bar.volume, bar.quoteVolume]).toEqual(['3.30', '0.000010']);
  });

  it('accepts unsorted input and gives the result of sorted input', () => {
    const random = rng(7);
    const sorted = ['BBB', 'AAA'].flatMap((s) => Array.from({ length: 30 }, (_, m) => minute(m, { trades: m % 3, close: '1.00' }, s)));
    const shuffled = [...sorted].sort(() => random() - 0.5);
    const bySymbol = (bars: Kline[]) => [...bars].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.openTime - b.openTime));
    expect(bySymbol(resample(shuffled, '15m'))).toEqual(bySymbol(resample(sorted, '15m')));
    expect(shuffled).toHaveLength(60); // input untouched
  });

  it('rejects a duplicate minute and mixed intervals', () => {
    expect(() => resample([minute(0, { trades: 1 }), minute(0, { trades: 1 })], '5m')).toThrow(/appears twice/);
    expect(() => resample([minute(0, { trades: 1 }), { ...minute(5, { trades: 1 }), interval: '5m' }], '15m')).toThrow(/expected 1m klines, got 5m/);
    expect(() => resample([minute(0, { trades: 1 })], '7m')).toThrow(/unknown interval "7m"/);
    expect(() => resample([minute(0, { trades: 1 })], '1m')).toThrow(/longer multiple/);
  });

  it('streams: the Resampler rejects a kline older than its window', () => {
    const r = new Resampler('1m', '5m');
    r.push(minute(5, { trades: 1 }));
    expect(() => r.push(minute(2, { trades: 1 }))).toThrow(/must ascend/);
  });

  it('sums sourceCount when building from bars; bars of unknown provenance count as complete', () => {
    const fiveMinute = resample(Array.from({ length: 13 }, (_, m) => minute(m, { trades: 1 })), '5m');
    expect(resampleBars(fiveMinute, '15m')[0].sourceCount).toBe(13);
    const imported = fiveMinute.map(withoutSourceCount);
    expect(resampleBars(imported, '15m')[0].sourceCount).toBe(15);
  });
});

/** Dump fixture lines as klines (parsed by parseCsvLine, so µs → ms too). */
function fixtureKlines(interval: string): Kline[] {
  return readFileSync(join(FIXTURE_DIR, fixtureFileName(interval)), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = parseCsvLine(FIXTURE_SYMBOL, interval, l, 'spot');
      if (!r.ok) throw new Error(r.reason);
      return r.kline;
    });
}

describe('resample reproduces klines built from trades (Binance’s way)', () => {
  it.each(['5m', '15m', '30m', '1h'])('1m dump fixture resampled to %s equals the fixture built from trades, field by field', (to) => {
    // Prepare: both files were built independently from one trade tape
    const oneMinute = fixtureKlines('1m');
    const expected = fixtureKlines(to);
    // Act
    const bars = resample(oneMinute, to);
    // Assess
    expect(bars.map(withoutSourceCount)).toEqual(expected);
    expect(bars.every((b) => b.sourceCount === FIXTURE_INTERVALS[to] / MIN)).toBe(true);
  });

  it('fixture files are exactly what the trade-tape generator builds', () => {
    for (const [name, content] of buildDumpFixtures()) expect(readFileSync(join(FIXTURE_DIR, name), 'utf8')).toBe(content);
  });

  it('holds on tapes of many seeds, including mostly quiet markets', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const quietChance = seed % 3 === 0 ? 0.9 : seed % 3 === 1 ? 0.4 : 0.05;
      const initialPrice = BigInt(seed) * 1_234_567_891n;
      const tape = generateTape({ seed, start: DAY, minutes: 180, initialPrice, quietChance });
      const oneMinute = klinesFromTape(tape, 'S', '1m', MIN, DAY, 180, initialPrice);
      for (const [to, ms] of [['5m', 5 * MIN], ['15m', 15 * MIN], ['30m', 30 * MIN], ['1h', 60 * MIN]] as const) {
        const expected = klinesFromTape(tape, 'S', to, ms, DAY, (180 * MIN) / ms, initialPrice);
        expect(resample(oneMinute, to).map(withoutSourceCount)).toEqual(expected);
      }
    }
  });
});

describe('resample: exactness against a BigInt oracle', () => {
  /** Scaled BigInt of decimal text (independent of core/decimal.ts). */
  const units = (s: string, scale: number) => {
    const [w, f = ''] = s.split('.');
    return BigInt(w + f.padEnd(scale, '0'));
  };

  it('sums volumes exactly and picks extremes by value, beyond float precision', () => {
    // Prepare: 8-digit decimals whose sums exceed 2^53 units, prices with varied integer lengths
    const random = rng(99);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
    const input: Kline[] = [];
    for (let m = 0; m < 600; m++) {
      const prices = [0, 1, 2, 3].map(() => `${1 + Math.floor(random() * 99_999)}.${digits(8)}`).sort((a, b) => (units(a, 8) < units(b, 8) ? -1 : 1));
      input.push(
        minute(m, {
          trades: 1 + Math.floor(random() * 50),
          low: prices[0],
          open: prices[1],
          close: prices[2],
          high: prices[3],
          volume: `${digits(1 + Math.floor(random() * 11))}.${digits(8)}`,
          quoteVolume: `9${digits(14)}.${digits(8)}`,
          takerBuyBaseVolume: `0.${digits(8)}`,
          takerBuyQuoteVolume: `${digits(3)}.${digits(8)}`,
        }),
      );
    }
    // Act
    const bars = resample(input, '1h');
    // Assess
    const text = (v: bigint) => `${v / 100_000_000n}.${(v % 100_000_000n).toString().padStart(8, '0')}`;
    for (const bar of bars) {
      const window = input.filter((k) => k.openTime >= bar.openTime && k.openTime <= bar.closeTime);
      for (const f of ['volume', 'quoteVolume', 'takerBuyBaseVolume', 'takerBuyQuoteVolume'] as const) {
        expect(bar[f]).toBe(text(window.reduce((s, k) => s + units(k[f], 8), 0n)));
      }
      const highs = window.map((k) => units(k.high, 8));
      const lows = window.map((k) => units(k.low, 8));
      expect(units(bar.high, 8)).toBe(highs.reduce((a, b) => (b > a ? b : a)));
      expect(units(bar.low, 8)).toBe(lows.reduce((a, b) => (b < a ? b : a)));
      expect(bar.trades).toBe(window.reduce((s, k) => s + k.trades, 0));
    }
    expect(bars).toHaveLength(10);
  });
});

describe('resampleAll (hierarchical)', () => {
  it('gives exactly what resampling each interval from 1m gives', () => {
    // Prepare: 5 markets, a day each, quiet stretches and missing minutes
    const random = rng(5);
    const input: Kline[] = [];
    for (const [i, symbol] of ['AAA', 'BBB', 'CCC', 'DDD', 'EEE'].entries()) {
      const initialPrice = 100_000_000n * BigInt(i + 1);
      const tape = generateTape({ seed: 100 + i, start: DAY, minutes: 1440, initialPrice, quietChance: 0.2 * i });
      const day = klinesFromTape(tape, symbol, '1m', MIN, DAY, 1440, initialPrice).filter(() => random() > 0.05);
      input.push(...day);
    }
    // Act
    const hierarchical = resampleAll(input, ['1h', '5m', '30m', '15m']);
    // Assess
    for (const to of ['5m', '15m', '30m', '1h']) expect(hierarchical.get(to)).toEqual(resample(input, to));
    expect(hierarchical.get('1h')!.reduce((s, b) => s + b.sourceCount!, 0)).toBe(input.length);
  });
});
