import type { Kline } from '../../core/kline';
import { isCsvHeaderLine, parseCsvLine, parseCsvLineByColumns, parseRestRow, parseStreamKline, validateKline } from '../../core/parse';

const T0 = Date.UTC(2025, 0, 1); // 1735689600000

function streamEvent(k: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    e: 'kline',
    E: T0 + 60_001,
    s: 'BTCUSDT',
    k: { t: T0, T: T0 + 59_999, s: 'BTCUSDT', i: '1m', f: 100, L: 200, o: '93576.00000000', c: '93610.93000000', h: '93610.93000000', l: '93537.50000000', v: '8.21827000', n: 1764, x: true, q: '768978.55261290', V: '3.92393000', Q: '367196.28868410', B: '0', ...k },
  };
}

const restRow = (over: Record<number, unknown> = {}): unknown[] => {
  const row: unknown[] = [T0, '0.00000001', '123456789.12345678', '0.00000001', '90000000.00000000', '90000000000.00000000', T0 + 59_999, '1.00000000', 7, '0.00000000', '0.00000000', '0'];
  for (const [i, v] of Object.entries(over)) row[Number(i)] = v;
  return row;
};

const CSV_MICROS = '1735689600000000,93576.00000000,93610.93000000,93537.50000000,93610.93000000,8.21827000,1735689659999999,768978.55261290,1764,3.92393000,367196.28868410,0';
const CSV_MILLIS = '1735689540000,93500.00000000,93600.00000000,93400.00000000,93576.00000000,1.00000000,1735689599999,93500.00000000,10,0.50000000,46750.00000000,0';

function reason(r: ReturnType<typeof parseStreamKline>): string {
  return r.ok ? 'accepted' : r.reason;
}

describe('parseStreamKline', () => {
  it('reads a closed kline event with every decimal kept as text', () => {
    const r = parseStreamKline(streamEvent(), 'spot');
    expect(r).toEqual({
      ok: true,
      kline: { marketType: 'spot', symbol: 'BTCUSDT', interval: '1m', openTime: T0, closeTime: T0 + 59_999, open: '93576.00000000', high: '93610.93000000', low: '93537.50000000', close: '93610.93000000', volume: '8.21827000', quoteVolume: '768978.55261290', trades: 1764, takerBuyBaseVolume: '3.92393000', takerBuyQuoteVolume: '367196.28868410' },
    });
  });

  it('reads an open (x=false) kline too: closing is the caller’s decision', () => {
    expect(parseStreamKline(streamEvent({ x: false }), 'spot').ok).toBe(true);
  });

  it('accepts a Unicode symbol', () => {
    const r = parseStreamKline({ ...streamEvent({ s: '币安人生USDT' }), s: '币安人生USDT' }, 'spot');
    expect(r.ok && r.kline.symbol).toBe('币安人生USDT');
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-object', 'hello', /not an object/],
    ['another event type', { e: 'trade' }, /event type is "trade"/],
    ['no k', { e: 'kline' }, /missing k/],
    ['a missing high', streamEvent({ h: undefined }), /missing k\.h \(high\)/],
    ['a missing trade count', streamEvent({ n: undefined }), /missing k\.n/],
    ['open time as text', streamEvent({ t: String(T0) }), /k\.t \(open time\) is not an integer/],
    ['mismatched symbols', { ...streamEvent(), s: 'ETHUSDT' }, /event symbol "ETHUSDT" ≠ kline symbol "BTCUSDT"/],
    ['a price as a JSON number', streamEvent({ o: 93576 }), /open must be decimal text, got the number 93576/],
    ['an unknown interval', streamEvent({ i: '7m' }), /unknown interval "7m"/],
    ['a BigInt open time', streamEvent({ t: 10n }), /k\.t \(open time\) is not an integer: bigint/],
    ['a kline whose getter throws', { e: 'kline', get k() { throw new Error('boom'); } }, /unreadable input: boom/],
  ])('rejects %s', (_name, input, expected) => {
    expect(reason(parseStreamKline(input, 'spot'))).toMatch(expected);
  });
});

describe('parseRestRow', () => {
  it('keeps extreme decimals exactly', () => {
    const r = parseRestRow('X', '1m', restRow(), 'spot');
    expect(r.ok && [r.kline.open, r.kline.high, r.kline.volume]).toEqual(['0.00000001', '123456789.12345678', '90000000000.00000000']);
  });

  it('names a missing column', () => {
    expect(reason(parseRestRow('X', '1m', restRow().slice(0, 8), 'spot'))).toMatch(/missing trades \(column 9 of 8\)/);
  });

  it('rejects a non-array row and a non-integer trade count', () => {
    expect(reason(parseRestRow('X', '1m', { t: 1 }, 'spot'))).toMatch(/not an array/);
    expect(reason(parseRestRow('X', '1m', restRow({ 8: 1.5 }), 'spot'))).toMatch(/trades is not a non-negative integer: 1.5/);
  });
});

describe('parseCsvLine', () => {
  it('reads µs timestamps (spot dumps from 2025) as ms', () => {
    const r = parseCsvLine('BTCUSDT', '1m', CSV_MICROS, 'spot');
    expect(r.ok && [r.kline.openTime, r.kline.closeTime, r.kline.trades]).toEqual([T0, T0 + 59_999, 1764]);
  });

  it('reads ms timestamps (dumps before 2025)', () => {
    const r = parseCsvLine('BTCUSDT', '1m', CSV_MILLIS, 'spot');
    expect(r.ok && [r.kline.openTime, r.kline.closeTime]).toEqual([T0 - 60_000, T0 - 1]);
  });

  it('decides the unit per value (a µs open time with a ms close time still lines up)', () => {
    const mixed = CSV_MICROS.replace('1735689659999999', '1735689659999');
    expect(parseCsvLine('BTCUSDT', '1m', mixed, 'spot').ok).toBe(true);
  });

  it('tolerates CRLF line ends and an 11-column row', () => {
    expect(parseCsvLine('B', '1m', `${CSV_MICROS}\r`, 'spot').ok).toBe(true);
    expect(parseCsvLine('B', '1m', CSV_MICROS.replace(/,0$/, ''), 'spot').ok).toBe(true);
  });

  it('recognises a header line and rejects it as such', () => {
    const header = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';
    expect(isCsvHeaderLine(header)).toBe(true);
    expect(isCsvHeaderLine(CSV_MICROS)).toBe(false);
    expect(reason(parseCsvLine('B', '1m', header, 'spot'))).toBe('header line');
  });

  it.each<[string, string, RegExp]>([
    ['too few columns', '1735689600000,1,1,1', /expected 12 columns, got 4: missing close/],
    ['a timestamp that is not an integer', CSV_MILLIS.replace('1735689540000', '2025-01-01'), /openTime is not an integer timestamp: "2025-01-01"/],
    ['a non-decimal price', CSV_MILLIS.replace('93600.00000000', '9e4'), /high is not a decimal: "9e4"/],
    ['a negative volume', CSV_MILLIS.replace(',1.00000000,', ',-1.00000000,'), /volume is negative: -1.00000000/],
    ['a volume with a leading zero', CSV_MILLIS.replace(',1.00000000,', ',01.00000000,'), /volume has a leading zero \(not canonical decimal text\): 01.00000000/],
    ['an empty field', CSV_MILLIS.replace(',0.50000000,', ',,'), /missing takerBuyBaseVolume/],
    ['a fractional trade count', CSV_MILLIS.replace(',10,', ',10.5,'), /trades is not a non-negative integer: "10.5"/],
    ['high < low', CSV_MILLIS.replace('93600.00000000', '93000.00000000'), /high 93000.00000000 < low 93400.00000000/],
    ['open above high', CSV_MILLIS.replace('93500.00000000,93600', '93700.00000000,93600'), /open 93700.00000000 outside \[low 93400.00000000, high 93600.00000000\]/],
    ['close below low', CSV_MILLIS.replace('93576.00000000', '93300.00000000'), /close 93300.00000000 outside/],
    ['a close time that is not open + 1m − 1 ms', CSV_MILLIS.replace('1735689599999', '1735689600000'), /closeTime 1735689600000 ≠ openTime \+ 1m − 1 ms \(1735689599999\)/],
    ['an open time off the minute', CSV_MILLIS.replace('1735689540000', '1735689540500').replace('1735689599999', '1735689600499'), /openTime 1735689540500 is not aligned to 1m/],
    ['an empty line', '', /empty line/],
  ])('rejects %s', (_name, line, expected) => {
    expect(reason(parseCsvLine('BTCUSDT', '1m', line, 'spot'))).toMatch(expected);
  });

  it('checks the close time against the given interval', () => {
    expect(reason(parseCsvLine('B', '5m', CSV_MICROS, 'spot'))).toMatch(/closeTime 1735689659999 ≠ openTime \+ 5m − 1 ms \(1735689899999\)/);
  });

  it('reads every line as the column-array reading does: same kline, same reason (fast path and fallback agree)', () => {
    // Each valid line, then each with one character deleted, doubled or replaced at every position.
    const replacements = ['', ',', '-', '.', '0', '9', ' ', 'x', '\r', '12345678901234567', '99999999999999999'];
    const lines = new Set<string>();
    for (const base of [CSV_MICROS, CSV_MILLIS, CSV_MICROS.replace(/,0$/, '')]) {
      lines.add(base);
      for (let i = 0; i <= base.length; i++) {
        lines.add(base.slice(0, i) + base.slice(i + 1));
        lines.add(base.slice(0, i) + base.slice(i, i + 1) + base.slice(i));
        for (const r of replacements) lines.add(base.slice(0, i) + r + base.slice(i + 1));
      }
    }
    let accepted = 0;
    for (const line of lines) {
      const fast = parseCsvLine('BTCUSDT', '1m', line, 'spot');
      expect([line, fast]).toStrictEqual([line, parseCsvLineByColumns('BTCUSDT', '1m', line, 'spot')]);
      if (fast.ok) accepted++;
    }
    expect(lines.size).toBeGreaterThan(3000);
    // Both outcomes are exercised: edits inside decimals and the ignored column keep a line sound.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(lines.size - 1000);
  });
});

describe('validateKline', () => {
  const good: Kline = { marketType: 'spot', symbol: 'A', interval: '1h', openTime: T0, closeTime: T0 + 3_599_999, open: '1.1', high: '1.10', low: '0.9', close: '1', volume: '0', quoteVolume: '0', trades: 0, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0' };

  it('compares prices by value, not by text ("1.1" ≤ "1.10")', () => {
    expect(validateKline(good)).toBeUndefined();
  });

  it.each<[string, Partial<Kline>, RegExp]>([
    ['an empty symbol', { symbol: '' }, /missing symbol/],
    ['a negative trade count', { trades: -1 }, /trades is not a non-negative integer: -1/],
    ['an hour bar not on the hour', { openTime: T0 + 60_000, closeTime: T0 + 3_659_999 }, /not aligned to 1h/],
    ['a sourceCount above the minutes in the bar', { sourceCount: 61 }, /sourceCount 61 is not a count of 1m klines in 1h/],
    ['a missing volume', { volume: undefined }, /missing volume/],
  ])('rejects %s', (_name, change, expected) => {
    expect(validateKline({ ...good, ...change })).toMatch(expected);
  });
});
