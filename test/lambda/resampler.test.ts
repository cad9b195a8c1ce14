import './quiet';
import { METRIC } from '../../core/metric-names';
import { RangeRequestError } from '../../core/range-request';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { handler } from '../../lambda/resampler';
import { metrics } from '../../lambda/shared/powertools';
import { closeStore, setStoreForTests } from '../../lambda/shared/store';
import { makeSeries, MINUTE, T0 } from '../core/store/fixtures';
import { lambdaContext } from './helpers';

const HOUR = 60 * MINUTE;
const scheduledEvent = { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2024-03-01T01:02:00Z', detail: {} };

describe('resampler handler', () => {
  let store: SqliteKlineStore;

  beforeEach(async () => {
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    setStoreForTests(store);
    await store.upsert('1m', makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 75));
  });

  afterEach(async () => {
    setStoreForTests(undefined);
    await store.close();
    jest.restoreAllMocks();
  });

  it('builds the windows closed by the scheduled run and reports the counts', async () => {
    // Prepare: 01:15:40 → every window up to 01:15 has closed.
    jest.spyOn(Date, 'now').mockReturnValue(T0 + 75 * MINUTE + 40_000);
    const recorded = jest.spyOn(metrics, 'addMetric');

    // Act
    const response = await handler(scheduledEvent, lambdaContext);

    // Assess: per market 15 × 5m, 5 × 15m, 2 × 30m, 1 × 1h.
    expect(response.mode).toBe('scheduled');
    expect(response.range).toBeUndefined();
    expect(response.byInterval).toStrictEqual({
      '5m': { computed: 30, written: 30, failed: 0, keptFewer: 0 },
      '15m': { computed: 10, written: 10, failed: 0, keptFewer: 0 },
      '30m': { computed: 4, written: 4, failed: 0, keptFewer: 0 },
      '1h': { computed: 2, written: 2, failed: 0, keptFewer: 0 },
    });
    expect(response.watermarks).toContainEqual({ marketType: 'spot', interval: '5m', watermark: '2024-03-01T01:15:00.000Z' });
    expect(response.watermarks).toContainEqual({ marketType: 'spot', interval: '1h', watermark: '2024-03-01T01:00:00.000Z' });
    expect((await store.read({ marketType: 'spot', interval: '1h', from: 0, to: T0 + 2 * HOUR })).map((b) => b.sourceCount)).toStrictEqual([60, 60]);
    expect(recorded).toHaveBeenCalledWith(METRIC.barsWritten, 'Count', 46);
  });

  it('rebuilds an on-demand range', async () => {
    // Prepare
    jest.spyOn(Date, 'now').mockReturnValue(T0 + 3 * HOUR);

    // Act
    const response = await handler({ from: '2024-03-01T00:00:00Z', to: '2024-03-01T01:00:00Z' });

    // Assess
    expect(response.mode).toBe('rebuild');
    expect(response.range).toStrictEqual({ from: '2024-03-01T00:00:00.000Z', to: '2024-03-01T01:00:00.000Z' });
    expect(response.byInterval['1h']).toStrictEqual({ computed: 2, written: 2, failed: 0, keptFewer: 0 });
    expect(await store.read({ marketType: 'spot', interval: '5m', from: T0 + HOUR, to: T0 + 2 * HOUR })).toStrictEqual([]);
  });

  it('replaces bars built from more minutes only when the request says allowFewer', async () => {
    // Prepare: a complete 00:00 hour bar; the 1m klines of 00:00–00:29 are then gone.
    jest.spyOn(Date, 'now').mockReturnValue(T0 + 3 * HOUR);
    await handler({ from: '2024-03-01T00:00:00Z', to: '2024-03-01T01:00:00Z' });
    const partial = new SqliteKlineStore(':memory:');
    await partial.applySchema();
    await partial.upsert('1h', await store.read({ marketType: 'spot', interval: '1h', from: T0, to: T0 + HOUR }));
    await partial.upsert('1m', makeSeries(['BTCUSDT', 'ETHUSDT'], T0 + 30 * MINUTE, 30));
    setStoreForTests(partial);

    // Act
    const kept = await handler({ from: '2024-03-01T00:00:00Z', to: '2024-03-01T01:00:00Z' });
    const replaced = await handler({ from: '2024-03-01T00:00:00Z', to: '2024-03-01T01:00:00Z', allowFewer: true });

    // Assess
    expect(kept.byInterval['1h']).toMatchObject({ written: 0, keptFewer: 2 });
    expect(replaced.byInterval['1h']).toMatchObject({ written: 2, keptFewer: 0 });
    expect((await partial.read({ marketType: 'spot', interval: '1h', from: T0, to: T0 + HOUR })).map((b) => b.sourceCount)).toStrictEqual([30, 30]);
    await partial.close();
  });

  it('rejects an on-demand request without a readable range before touching the store', async () => {
    await expect(handler({ from: '2024-03-01' })).rejects.toThrow(RangeRequestError);
    await expect(handler({ from: 'yesterday', to: '2024-03-01T00:00:00Z' })).rejects.toThrow(/"from" must be an ISO 8601 time/);
    expect(await store.read({ marketType: 'spot', interval: '5m', from: 0, to: Number.MAX_SAFE_INTEGER })).toStrictEqual([]);
  });

  it('fails the invocation when the store is down, and the next run opens a fresh store', async () => {
    // Prepare
    jest.spyOn(Date, 'now').mockReturnValue(T0 + 75 * MINUTE + 40_000);
    await store.close();
    const previous = process.env.KLINE_STORE;

    try {
      // Act
      const failed = handler(scheduledEvent);
      await expect(failed).rejects.toThrow(/closed/);
      process.env.KLINE_STORE = 'sqlite::memory:';
      const next = await handler(scheduledEvent);

      // Assess: the fresh (empty) store answers; nothing to build.
      expect(next.barsComputed).toBe(0);
    } finally {
      await closeStore();
      if (previous === undefined) delete process.env.KLINE_STORE;
      else process.env.KLINE_STORE = previous;
    }
  });
});
