import { compareKlines, isPerfect } from '../../../bin/local/verify';
import type { Kline } from '../../../core/kline';

function kline(symbol: string, minute: number, close = '1.00000000'): Kline {
  const openTime = 1_700_000_040_000 + minute * 60_000;
  return {
    marketType: 'spot', symbol, interval: '1m', openTime, closeTime: openTime + 59_999,
    open: '1.00000000', high: close, low: '1.00000000', close,
    volume: '2.00000000', quoteVolume: '2.00000000', trades: 3,
    takerBuyBaseVolume: '1.00000000', takerBuyQuoteVolume: '1.00000000',
  };
}

describe('compareKlines', () => {
  const truth = [kline('A', 0), kline('A', 1), kline('B', 0)];

  it('finds a perfect store perfect', () => {
    const c = compareKlines(truth, [...truth].reverse());
    expect(c).toMatchObject({ expected: 3, stored: 3, missing: 0, duplicated: 0, differing: 0, unexpected: 0 });
    expect(isPerfect(c)).toBe(true);
  });

  it('counts missing, duplicated, differing and unexpected klines separately', () => {
    // Prepare: A@1 missing, B@0 twice, A@0 with another close, C@0 not in the truth.
    const stored = [kline('A', 0, '1.50000000'), kline('B', 0), kline('B', 0), kline('C', 0)];
    // Act
    const c = compareKlines(truth, stored);
    // Assess
    expect(c).toMatchObject({ expected: 3, stored: 4, missing: 1, duplicated: 1, differing: 1, unexpected: 1 });
    expect(isPerfect(c)).toBe(false);
    expect(c.examples).toEqual(expect.arrayContaining([expect.stringMatching(/^missing spot:A\|/), expect.stringMatching(/^differing spot:A\|/)]));
  });

  it('treats 1.1 and 1.10 as different text: the archive must keep Binance\'s exact digits', () => {
    const c = compareKlines([kline('A', 0, '1.10000000')], [kline('A', 0, '1.1')]);
    expect(c.differing).toBe(1);
  });

  it('checks sourceCount only for resampled bars', () => {
    const t = { ...kline('A', 0), sourceCount: 5 };
    expect(compareKlines([t], [{ ...t, sourceCount: 4 }], true).differing).toBe(1);
    expect(compareKlines([t], [{ ...t, sourceCount: 4 }], false).differing).toBe(0);
  });
});
