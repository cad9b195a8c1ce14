import { marketsOfDay } from '../../../core/audit/markets';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { makeSeries, ofType } from '../store/fixtures';

const DAY = Date.UTC(2025, 5, 1);
const DAY_MS = 86_400_000;
const M = 60_000;

describe('marketsOfDay', () => {
  let store: SqliteKlineStore;
  beforeEach(async () => {
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
  });
  afterEach(() => store.close());

  it('lists the markets with klines that day and those listed during it, of the audited types only, without counting the day', async () => {
    // Prepare
    await store.upsert('1m', [
      ...makeSeries(['AUSDT'], DAY + 10 * M, 2), // klines, no status history
      ...makeSeries(['BUSDT'], DAY - 2 * M, 2), // only the day before, delisted before the day
      ...makeSeries(['CUSDT'], DAY + DAY_MS, 1), // only the day after, listed after the day
    ]);
    await store.upsert('1m', ofType('usdm', makeSeries(['DUSDT'], DAY, 1)));
    await store.upsert('1m', ofType('coinm', makeSeries(['EUSD_PERP'], DAY, 1)));
    await store.recordMarketStatus([
      { marketType: 'spot', symbol: 'BUSDT', status: 'TRADING', at: DAY - DAY_MS },
      { marketType: 'spot', symbol: 'BUSDT', status: 'DELISTED', at: DAY - M },
      { marketType: 'spot', symbol: 'CUSDT', status: 'TRADING', at: DAY + DAY_MS },
      { marketType: 'spot', symbol: 'FUSDT', status: 'TRADING', at: DAY + 60 * M }, // listed during the day, no klines yet
    ]);
    store.countByMarket = () => Promise.reject(new Error('the day was counted'));

    // Act
    const markets = await marketsOfDay(store, ['spot', 'usdm'], DAY);

    // Assess
    expect(markets).toStrictEqual([
      { marketType: 'spot', symbol: 'AUSDT' },
      { marketType: 'spot', symbol: 'FUSDT' },
      { marketType: 'usdm', symbol: 'DUSDT' },
    ]);
  });
});
