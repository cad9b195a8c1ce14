import { isValidSymbol, symbolProblem } from '../../core/symbol';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { writeDecodedBatches } from '../../core/write-batch';
import { MarketWatcher } from '../../ingest-task/capture/markets';
import type { ExchangeInfo } from '../../core/binance/rest/rest-client';
import { makeSeries, T0 } from './store/fixtures';

describe('the symbol rule (one rule for ingest, codec, writer and stores)', () => {
  it.each(['BTCUSDT', '币安人生USDT', 'BTCUSD_250328', 'ÄÖÜUSDT', 'A-B', '1000SHIBUSDT'])('accepts %s', (symbol) => {
    expect(symbolProblem(symbol)).toBeUndefined();
    expect(isValidSymbol(symbol)).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['a space', 'BAD USDT', /contains " "/],
    ['"!"', 'EVIL!', /contains "!"/],
    ['a quote', 'A"B', /contains "\\""/],
    ['"#"', 'A#1', /contains "#"/],
    ['":" (the market key separator)', 'spot:BTC', /contains ":"/],
    ['a control character', 'A\u0007B', /contains "\\u0007"/],
    ['a right-to-left override, shown escaped', 'A\u202eB', /contains "\\u202e"/],
    ['a formula lead', '=1+2', /contains "="/],
    ['"@"', '@SUM', /contains "@"/],
    ['nothing', '', /missing symbol/],
    ['a number', 42, /missing symbol/],
    ['65 characters', 'A'.repeat(65), /longer than 64/],
  ])('refuses a symbol with %s, naming it', (_name, symbol, expected) => {
    expect(symbolProblem(symbol)).toMatch(expected);
  });

  it('a store refuses a poison kline and a poison event alone and keeps the rest (no retry, nothing blocked)', async () => {
    // Prepare: hand-made decoded messages, as if a buggy decoder let them through
    const store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    const good = makeSeries(['BTCUSDT'], T0, 2);
    const poison = { ...makeSeries(['BTCUSDT'], T0 + 120_000, 1)[0], symbol: 'BAD USDT' };
    const events = [
      { marketType: 'spot' as const, symbol: 'BAD USDT', status: 'TRADING' as const, at: T0 },
      { marketType: 'spot' as const, symbol: 'BTCUSDT', status: 'TRADING' as const, at: T0 },
    ];

    // Act
    const result = await writeDecodedBatches(store, [{ id: 'm', batch: { klines: [...good, poison], marketEvents: events } }]);

    // Assess
    expect(result.failures).toStrictEqual([]);
    expect(result.rejected.map((r) => r.reason)).toStrictEqual([expect.stringContaining('"BAD USDT" contains " "'), expect.stringContaining('"BAD USDT" contains " "')]);
    expect(await store.read({ marketType: 'spot', interval: '1m', from: 0, to: Number.MAX_SAFE_INTEGER })).toStrictEqual(good);
    expect(await store.marketHistory()).toStrictEqual([events[1]]);
    await store.close();
  });

  it('discovery refuses a listed market with a poison symbol once, with the reason, and captures the others', () => {
    // Prepare
    const info = (symbols: string[]): ExchangeInfo =>
      ({ serverTime: T0, rateLimits: [], symbols: symbols.map((symbol) => ({ symbol, status: 'TRADING', quoteAsset: 'USDT', baseAsset: symbol })) }) as unknown as ExchangeInfo;
    const watcher = new MarketWatcher({ quoteAssets: [], symbols: [] }, 'spot');

    // Act
    const first = watcher.apply(info(['BTCUSDT', 'BAD USDT', '币安人生USDT']));
    const second = watcher.apply(info(['BTCUSDT', 'BAD USDT', '币安人生USDT']));

    // Assess
    expect(first.started.sort()).toStrictEqual(['BTCUSDT', '币安人生USDT']);
    expect(first.events.map((e) => e.symbol)).not.toContain('BAD USDT');
    expect(first.refused).toStrictEqual([{ symbol: 'BAD USDT', reason: expect.stringContaining('contains " "') }]);
    expect(second.refused).toStrictEqual([]);
  });
});
