import { Table, tableToIPC } from 'apache-arrow';
import { KlineColumns, klineRecordBatch } from '../../../core/export/arrow-batch';
import { unscaledDecimal, writeDecimal128, writeDecimalFast } from '../../../core/export/decimal128';
import type { Kline } from '../../../core/kline';
import { rng } from '../../fixtures/trades';

/** The four words as the unsigned 128-bit integer they encode. */
function wordsValue(words: Uint32Array, at = 0): bigint {
  return BigInt(words[at]) | (BigInt(words[at + 1]) << 32n) | (BigInt(words[at + 2]) << 64n) | (BigInt(words[at + 3]) << 96n);
}

describe('Decimal128 words from decimal text', () => {
  it('equals the exact BigInt conversion at the fast path limits and on random texts of every length', () => {
    const random = rng(7);
    const texts = [
      '0', '0.0', '0.00000001', '1', '10', '96000.1', '12.3400000000', '240000000000000.00000000', // fractions past 8 digits that are zeros
      '24178516392292583.49412351', '24178516392292583.49412352', // 2^81 - 1 and 2^81 unscaled: the fast path's edge
      '9007199254740993', '99999999999999.99999999', '123456789012345678901234567890.12345678',
      // one float64 below 2^53 unscaled, two limbs from there: 2^53 - 1, 2^53, 2^53 + 1, around the per-digit limit
      '90071992.54740991', '90071992.54740992', '90071992.54740993', '90071992.5474099', '90071992.547409', '9007199254740991', '900719925474099',
      '9999999.99999999', '99999999.99999999', '0000000.00000001', '1.', '12345678', '999999999999999', '0.000000010',
      // Binance's layout (exactly 8 fraction digits) on both sides of its one-float64 limit, leading zeros, many digits
      '90071991.99999999', '90071992.00000000', '90071991.9999999', '000000000000000000000090071991.99999999', '99999999999999999999.00000000', '0.00000000',
    ];
    for (let i = 0; i < 5000; i++) {
      const int = String(Math.floor(random() * 10 ** Math.floor(random() * 16)));
      const frac = String(Math.floor(random() * 1e8)).padStart(8, '0').slice(0, Math.floor(random() * 9));
      texts.push(frac.length > 0 ? `${int}.${frac}` : random() < 0.5 ? int : `${int}.`);
    }
    const words = new Uint32Array(4 * texts.length);
    writeDecimal128(words, texts.length, (i) => texts[i], 'value');
    texts.forEach((t, i) => expect([t, wordsValue(words, 4 * i)]).toEqual([t, unscaledDecimal(t)]));
  });

  it('leaves to the exact path what it cannot do in float64 limbs, and refuses malformed text there', () => {
    const w = new Uint32Array(4);
    for (const t of ['', '.', '.5', '-1', '1.2.3', '1e5', ' 1', '1.123456789', '24178516392292583.49412352', '.12345678', '-1.00000000', '1.2345678.', '1.234567a8', '1a.12345678'])
      expect([t, writeDecimalFast(w, 0, t)]).toEqual([t, false]);
    expect(writeDecimalFast(w, 0, '24178516392292583.49412351')).toBe(true);
    expect(wordsValue(w)).toBe(2n ** 81n - 1n);
    // A range of a longer text: only its own digits count.
    for (const t of ['12.5', '99999999.99999999', '24178516392292583.49412351', '30000.12345678', '90071991.99999999']) {
      expect(writeDecimalFast(w, 0, `9${t},7`, 1, t.length + 1)).toBe(true);
      expect([t, wordsValue(w)]).toEqual([t, unscaledDecimal(t)]);
    }
    for (const t of ['', '.', '.5', '1..', '1.2.3', '1e5', '1.123456789', '1234567890123456.5x']) expect([t, writeDecimalFast(w, 0, `,${t},`, 1, t.length + 1)]).toEqual([t, false]);
    expect(() => writeDecimal128(w, 1, () => '.5', 'low')).toThrow(/low "\.5" is not a decimal number/);
    expect(() => writeDecimal128(w, 1, () => '-1', 'low')).not.toThrow();
    expect(wordsValue(w)).toBe(BigInt.asUintN(128, -100_000_000n));
  });
});

describe('KlineColumns (reused column buffers)', () => {
  const kline = (i: number, sourceCount?: number): Kline => ({
    marketType: 'spot',
    symbol: i % 3 === 0 ? 'ÄBCUSDT' : `S${i % 5}USDT`,
    interval: '1m',
    openTime: 1_735_689_600_000 + i * 60_000,
    closeTime: 1_735_689_600_000 + i * 60_000 + 59_999,
    open: `${i}.5`,
    high: `${i + 1}.00000001`,
    low: '0',
    close: `${i}`,
    volume: `${i * 1000}.12345678`,
    quoteVolume: '99999999999999.99999999',
    trades: i * 7,
    takerBuyBaseVolume: '0.1',
    takerBuyQuoteVolume: `${2 ** 40 + i}`,
    sourceCount,
  });

  it('gives the same IPC stream as fresh buffers, batch after batch, larger then smaller, nulls then none', () => {
    const big = Array.from({ length: 40 }, (_, i) => kline(i, i % 4 === 0 ? undefined : 5));
    const small = Array.from({ length: 9 }, (_, i) => kline(100 + i, 5));
    const columns = new KlineColumns(64);
    for (const [klines, from, to] of [[big, 0, 40], [small, 0, 9], [big, 30, 40], [big, 3, 3]] as const) {
      const reused = Buffer.from(columns.ipcStream(klines, from, to));
      const fresh = Buffer.from(tableToIPC(new Table([klineRecordBatch(klines.slice(from, to))]), 'stream'));
      expect(reused.equals(fresh)).toBe(true);
    }
    const batch = columns.batch(small);
    expect(batch.getChild('source_count')!.nullCount).toBe(0);
    expect(batch.getChild('symbol')!.toArray()).toEqual(small.map((k) => k.symbol));
    expect(batch.getChild('count')!.toArray()).toEqual(BigInt64Array.from(small.map((k) => BigInt(k.trades))));
  });

  it('refuses more klines than its capacity', () => {
    expect(() => new KlineColumns(2).batch([kline(1), kline(2), kline(3)])).toThrow(/3 klines exceed the batch capacity 2/);
  });
});
