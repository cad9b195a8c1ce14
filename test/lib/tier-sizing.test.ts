import { estimateDays, tierSizingWarning } from '../../lib/tier-sizing';

const ALL = ['spot', 'usdm', 'coinm'] as const;
const base = { marketTypes: ALL, symbols: [], quoteAssets: [], klineRetentionDays: undefined };

describe('Atlas tier sizing at synth', () => {
  it('warns that M0 holds hours of all markets, counted uncompressed', () => {
    const warning = tierSizingWarning({ ...base, tier: 'M0' });
    expect(warning).toMatch(/atlasTier M0 is too small for 2660 markets \(spot, usdm, coinm\): it holds about \d+ hours/);
  });

  it('says when the 1m retention alone does not fit', () => {
    expect(tierSizingWarning({ ...base, tier: 'Flex', klineRetentionDays: 7 })).toMatch(/7-day 1m retention alone does not fit/);
  });

  it('is quiet for M10 with a 7-day retention (the smallest tier that works for all markets)', () => {
    expect(tierSizingWarning({ ...base, tier: 'M10', klineRetentionDays: 7 })).toBeUndefined();
    expect(tierSizingWarning({ ...base, tier: 'M10' })).toMatch(/M10 is too small/);
  });

  it('counts the listed symbols per market type, and a quote filter as an upper bound', () => {
    expect(estimateDays({ ...base, tier: 'M0', marketTypes: ['spot'], symbols: ['BTCUSDT', 'ETHUSDT'] }).markets).toBe(2);
    expect(tierSizingWarning({ ...base, tier: 'M0', marketTypes: ['spot'], symbols: ['BTCUSDT'] })).toBeUndefined();
    expect(tierSizingWarning({ ...base, tier: 'M0', marketTypes: ['spot'], quoteAssets: ['USDT'] })).toMatch(/up to 2000 markets/);
  });

  it('agrees with the README table (all markets, M20: 48 days, 172 with a 7-day retention; zstd storage size)', () => {
    expect(Math.round(estimateDays({ ...base, tier: 'M20' }).daysThatFit)).toBe(48);
    expect(Math.round(estimateDays({ ...base, tier: 'M20', klineRetentionDays: 7 }).daysThatFit)).toBe(172);
  });

  it('counts M0 and Flex uncompressed: the same selection holds far fewer days than on a dedicated tier of that size', () => {
    // Flex (5 GB) uncompressed vs M10 (10 GB) storage size: 2× the bytes, but ~4× fewer bytes per kline counted.
    const flex = estimateDays({ ...base, tier: 'Flex' }).daysThatFit;
    const m10 = estimateDays({ ...base, tier: 'M10' }).daysThatFit;
    expect(m10 / flex).toBeGreaterThan(7);
  });
});
