import { isMarketType, marketKey, parseMarketKey, parseMarketTypes } from '../../core/market';

describe('market types', () => {
  it('accepts exactly spot, usdm and coinm', () => {
    expect(['spot', 'usdm', 'coinm'].every(isMarketType)).toBe(true);
    expect(['SPOT', 'futures', '', undefined, 1].some(isMarketType)).toBe(false);
  });

  it('parses a list, dropping repeats, and names a bad entry', () => {
    expect(parseMarketTypes('spot, usdm,spot')).toEqual(['spot', 'usdm']);
    expect(() => parseMarketTypes('spot,um')).toThrow(/MARKET_TYPES: "um" is not a market type/);
    expect(() => parseMarketTypes('', 'marketTypes')).toThrow(/marketTypes/);
  });

  it('keys a market by type and symbol, and reads the key back', () => {
    const spot = marketKey({ marketType: 'spot', symbol: 'BTCUSDT' });
    const usdm = marketKey({ marketType: 'usdm', symbol: 'BTCUSDT' });
    expect(spot).not.toBe(usdm);
    expect(parseMarketKey(usdm)).toEqual({ marketType: 'usdm', symbol: 'BTCUSDT' });
    expect(() => parseMarketKey('BTCUSDT')).toThrow(/not a market key/);
    expect(() => parseMarketKey('perp:BTCUSDT')).toThrow(/not a market key/);
  });
});
