/**
 * Market status rows are changes only (issue 14 item 13): a restarted ingest reports every
 * market's status again at its first look, at an unaligned time; that must add no row.
 */
import type { MarketStatusEvent } from '../../core/market';
import { statusChangesOnly } from '../../core/status-changes';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { writeDecodedBatches } from '../../core/write-batch';

const T0 = Date.UTC(2026, 0, 5);
const MINUTE = 60_000;
const ev = (symbol: string, status: MarketStatusEvent['status'], at: number, marketType: MarketStatusEvent['marketType'] = 'spot'): MarketStatusEvent => ({ marketType, symbol, status, at });

describe('statusChangesOnly', () => {
  it('drops an event that repeats the status the market already has at its time', () => {
    const history = [ev('AUSDT', 'TRADING', T0), ev('BUSDT', 'TRADING', T0), ev('BUSDT', 'BREAK', T0 + 10 * MINUTE)];
    const restart = [ev('AUSDT', 'TRADING', T0 + 61 * MINUTE + 4_321), ev('BUSDT', 'BREAK', T0 + 61 * MINUTE + 4_321)];
    expect(statusChangesOnly(history, restart)).toStrictEqual([]);
  });

  it('keeps real changes, first sightings and the same symbol in another market type', () => {
    const history = [ev('AUSDT', 'TRADING', T0)];
    const events = [ev('AUSDT', 'BREAK', T0 + 5 * MINUTE), ev('NEWUSDT', 'TRADING', T0 + MINUTE), ev('AUSDT', 'TRADING', T0 + MINUTE, 'usdm')];
    expect(statusChangesOnly(history, events)).toStrictEqual(events);
  });

  it('compares each event with the one just before it in time, new ones included', () => {
    const events = [ev('AUSDT', 'TRADING', T0 + 20 * MINUTE), ev('AUSDT', 'BREAK', T0 + 10 * MINUTE), ev('AUSDT', 'TRADING', T0), ev('AUSDT', 'TRADING', T0 + 30 * MINUTE)];
    expect(statusChangesOnly([], events)).toStrictEqual([ev('AUSDT', 'TRADING', T0 + 20 * MINUTE), ev('AUSDT', 'BREAK', T0 + 10 * MINUTE), ev('AUSDT', 'TRADING', T0)]);
  });

  it('keeps an event before the first recorded one (an earlier listing)', () => {
    expect(statusChangesOnly([ev('AUSDT', 'TRADING', T0)], [ev('AUSDT', 'TRADING', T0 - MINUTE)])).toStrictEqual([ev('AUSDT', 'TRADING', T0 - MINUTE)]);
  });
});

describe('the writer records status changes only', () => {
  it('adds no row for a restart that reports unchanged statuses, and one for a real change', async () => {
    const store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    try {
      const first = [ev('AUSDT', 'TRADING', T0), ev('BUSDT', 'TRADING', T0)];
      const r1 = await writeDecodedBatches(store, [{ id: 'm1', batch: { klines: [], marketEvents: first } }]);
      const restart = [ev('AUSDT', 'TRADING', T0 + 90 * MINUTE + 777), ev('BUSDT', 'BREAK', T0 + 90 * MINUTE + 777)];
      const r2 = await writeDecodedBatches(store, [{ id: 'm2', batch: { klines: [], marketEvents: restart } }]);

      expect([r1.marketEventsRecorded, r2.marketEventsRecorded]).toStrictEqual([2, 1]);
      expect(r2.failures).toStrictEqual([]);
      expect(await store.marketHistory()).toStrictEqual([...first, restart[1]].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.at - b.at)));
    } finally {
      await store.close();
    }
  });

  it("reads only the history of the batch's markets, each once, and still drops their unchanged statuses", async () => {
    const store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    try {
      await store.recordMarketStatus([ev('AUSDT', 'TRADING', T0), ev('BUSDT', 'TRADING', T0), ev('AUSDT', 'TRADING', T0, 'usdm')]);
      const asked: unknown[] = [];
      const read = store.marketHistory.bind(store);
      store.marketHistory = (markets) => {
        asked.push(markets);
        return read(markets);
      };
      const events = [ev('AUSDT', 'TRADING', T0 + MINUTE), ev('AUSDT', 'BREAK', T0 + 2 * MINUTE), ev('AUSDT', 'TRADING', T0 + MINUTE, 'usdm')];
      const r = await writeDecodedBatches(store, [{ id: 'm1', batch: { klines: [], marketEvents: events } }]);

      expect(asked).toStrictEqual([[{ marketType: 'spot', symbol: 'AUSDT' }, { marketType: 'usdm', symbol: 'AUSDT' }]]);
      expect(r.marketEventsRecorded).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('fails the message as a store failure when the history cannot be read', async () => {
    const store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    store.marketHistory = () => Promise.reject(new Error('disk I/O error'));
    const r = await writeDecodedBatches(store, [{ id: 'm1', batch: { klines: [], marketEvents: [ev('AUSDT', 'TRADING', T0)] } }]);
    await store.close();
    expect(r.failures).toStrictEqual([{ id: 'm1', kind: 'store', reason: expect.stringContaining('disk I/O error') }]);
    expect(r.storeUnavailable).toBe(true);
  });
});
