import './quiet';
import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import { encodeBatch } from '../../core/codec';
import type { Kline } from '../../core/kline';
import type { MarketStatusEvent } from '../../core/market';
import { SqliteKlineStore } from '../../core/store/sqlite';
import type { KlineStore, UpsertResult } from '../../core/store/port';
import { METRIC } from '../../core/metric-names';
import { handler, writeMessages } from '../../lambda/writer';
import { logger, metrics } from '../../lambda/shared/powertools';
import { closeStore, getStore, setStoreForTests } from '../../lambda/shared/store';
import { makeSeries, MINUTE, T0 } from '../core/store/fixtures';
import { lambdaContext, sqsEvent } from './helpers';

function body(klines: Kline[], marketEvents: MarketStatusEvent[] = []): string {
  const bodies = encodeBatch({ klines, marketEvents });
  expect(bodies).toHaveLength(1);
  return bodies[0];
}

async function openMemoryStore(): Promise<SqliteKlineStore> {
  const store = new SqliteKlineStore(':memory:');
  await store.applySchema();
  return store;
}

async function stored(store: KlineStore): Promise<Kline[]> {
  return store.read({ marketType: 'spot', interval: '1m', from: 0, to: Number.MAX_SAFE_INTEGER });
}

describe('writer handler', () => {
  let store: SqliteKlineStore;

  beforeEach(async () => {
    store = await openMemoryStore();
    setStoreForTests(store);
  });

  afterEach(async () => {
    setStoreForTests(undefined);
    await store.close();
    jest.restoreAllMocks();
  });

  it('stores every kline and market event of a good batch and reports no failure', async () => {
    // Prepare
    const btc = makeSeries(['BTCUSDT'], T0, 3);
    const eth = makeSeries(['ETHUSDT'], T0, 2);
    const events: MarketStatusEvent[] = [{ marketType: 'spot', symbol: 'ETHUSDT', status: 'TRADING', at: T0 - MINUTE }];
    const event = sqsEvent([
      { id: 'm1', body: body(btc) },
      { id: 'm2', body: body(eth, events) },
    ]);

    // Act
    const response = await handler(event, lambdaContext);

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(await stored(store)).toStrictEqual([...btc, ...eth]);
    expect(await store.marketHistory()).toStrictEqual(events);
  });

  it('stores BTCUSDT spot and BTCUSDT USDⓈ-M of the same minutes, in two messages, each in its own table', async () => {
    // Prepare: same symbol and open times, different prices
    const spot = makeSeries(['BTCUSDT'], T0, 2);
    const usdm = spot.map((k) => ({ ...k, marketType: 'usdm' as const, close: k.low }));
    const events: MarketStatusEvent[] = [{ marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: T0 - MINUTE }];
    const event = sqsEvent([
      { id: 'spot', body: body(spot) },
      { id: 'usdm', body: body(usdm, events) },
    ]);

    // Act
    const response = await handler(event, lambdaContext);

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(await stored(store)).toStrictEqual(spot);
    expect(await store.read({ marketType: 'usdm', interval: '1m', from: 0, to: Number.MAX_SAFE_INTEGER })).toStrictEqual(usdm);
    expect(await store.marketHistory()).toStrictEqual(events);
  });

  it('stores each kline’s provenance from a queued message: stream (no code), REST backfill (r), dump (d)', async () => {
    // Prepare: a body as the ingest's SQS sink queues it, written out by hand
    const row = (step: number, code?: string) => `"${step},1.00000000,1.50000000,0.50000000,1.20000000,10.00000000,12.00000000,3,4.00000000,4.80000000${code ? `,${code}` : ''}"`;
    const queued = `{"v":1,"m":[],"g":[["BTCUSDT","1m",${T0},[${row(0)},${row(1, 'r')},${row(1, 'd')},${row(1)}]]]}`;

    // Act
    const response = await handler(sqsEvent([{ id: 'm1', body: queued }]), lambdaContext);

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect((await stored(store)).map((k) => [(k.openTime - T0) / MINUTE, k.source ?? 'stream'])).toStrictEqual([
      [0, 'stream'],
      [1, 'rest'],
      [2, 'dump'],
      [3, 'stream'],
    ]);
  });

  it('reports only the corrupt message as failed, logs its id and reason, and stores the others', async () => {
    // Prepare
    const good = makeSeries(['BTCUSDT'], T0, 2);
    const alsoGood = makeSeries(['ETHUSDT'], T0, 2);
    const logged = jest.spyOn(logger, 'error');
    const event = sqsEvent([
      { id: 'good-1', body: body(good) },
      { id: 'corrupt', body: '{"v":1,"m":[],"g":[["XUSDT","1m",0,["0,1,2"]]' },
      { id: 'good-2', body: body(alsoGood) },
    ]);

    // Act
    const response = await handler(event, lambdaContext);

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: 'corrupt' }] });
    expect(await stored(store)).toStrictEqual([...good, ...alsoGood]);
    expect(logged).toHaveBeenCalledWith('corrupt message', expect.objectContaining({ messageId: 'corrupt', reason: expect.stringContaining('body is not JSON') }));
  });

  it('rejects a poison symbol and a bad row alone, logs and counts them (ItemsRejected), and stores the rest of their messages', async () => {
    // Prepare: the poison group and event ride in the same message as good data
    const good = makeSeries(['BTCUSDT'], T0, 2);
    const mixed = JSON.parse(body(good, [{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }]));
    mixed.g.push(['BAD USDT', '1m', T0, ['0,1,1,1,1,1,1,1,0,0']]);
    mixed.g.push(['ETHUSDT', '1m', T0, ['0,1,1,1,1,1,1,1,0']]);
    mixed.m.push(['EVIL!', 'TRADING', T0]);
    const warned = jest.spyOn(logger, 'warn');
    const added = jest.spyOn(metrics, 'addMetric');

    // Act
    const response = await handler(sqsEvent([{ id: 'mixed', body: JSON.stringify(mixed) }]), lambdaContext);

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(await stored(store)).toStrictEqual(good);
    expect(await store.marketHistory()).toStrictEqual([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }]);
    expect(added).toHaveBeenCalledWith(METRIC.itemsRejected, 'Count', 3);
    const reasons = warned.mock.calls.filter(([m]) => m === 'item rejected').map(([, extra]) => (extra as { reason: string }).reason);
    expect(reasons).toStrictEqual([
      expect.stringContaining('symbol "EVIL!" contains "!"'),
      expect.stringContaining('symbol "BAD USDT" contains " "'),
      expect.stringContaining('expected 10 or 11 fields, got 9'),
    ]);
  });

  it('fails the whole batch when every message is corrupt, so SQS retries it and the DLQ receives it', async () => {
    // Prepare
    const event = sqsEvent([
      { id: 'a', body: 'not json' },
      { id: 'b', body: '{"v":99}' },
    ]);

    // Act
    const outcome = handler(event, lambdaContext);

    // Assess
    await expect(outcome).rejects.toThrow(FullBatchFailureError);
    expect(await stored(store)).toStrictEqual([]);
  });

  it('acknowledges nothing during a store outage: every message fails, the batch is retried whole', async () => {
    // Prepare
    await store.close(); // the store refuses every operation from now on
    const event = sqsEvent([
      { id: 'a', body: body(makeSeries(['BTCUSDT'], T0, 2)) },
      { id: 'b', body: body([], [{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }]) },
    ]);

    // Act
    const outcome = handler(event, lambdaContext);

    // Assess
    await expect(outcome).rejects.toThrow(FullBatchFailureError);
  });

  it('opens a fresh store for the next invocation after an outage', async () => {
    // Prepare
    await store.close();
    const klines = makeSeries(['BTCUSDT'], T0, 2);
    const event = sqsEvent([{ id: 'a', body: body(klines) }]);
    await expect(handler(event, lambdaContext)).rejects.toThrow(FullBatchFailureError);
    const previous = process.env.KLINE_STORE;
    process.env.KLINE_STORE = 'sqlite::memory:';

    // Act
    try {
      const retried = await handler(event, lambdaContext);

      // Assess
      expect(retried).toStrictEqual({ batchItemFailures: [] });
      const fresh = await getStore();
      expect(fresh).not.toBe(store);
      expect(await stored(fresh)).toStrictEqual(klines);
    } finally {
      await closeStore();
      if (previous === undefined) delete process.env.KLINE_STORE;
      else process.env.KLINE_STORE = previous;
    }
  });

  it('fails every storable message of a mixed batch during an outage, the corrupt one too', async () => {
    // Prepare
    await store.close();
    const messages = [
      { id: 'good', body: body(makeSeries(['BTCUSDT'], T0, 2)) },
      { id: 'corrupt', body: '{' },
    ];

    // Act
    const result = await writeMessages(store, messages);

    // Assess
    expect(result.failedIds.sort()).toStrictEqual(['corrupt', 'good']);
    expect(result.failures.find((f) => f.id === 'good')?.reason).toMatch(/StoreUnavailableError/);
  });

  it('changes nothing when a batch is delivered again', async () => {
    // Prepare
    const klines = makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 4);
    const events: MarketStatusEvent[] = [{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }];
    const messages = [{ id: 'm1', body: body(klines, events) }];
    const first = await writeMessages(store, messages);
    const afterFirst = await stored(store);
    const written = jest.spyOn(metrics, 'addMetric');

    // Act
    const response = await handler(sqsEvent(messages), lambdaContext);

    // Assess
    expect(first.klinesWritten).toBe(klines.length);
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(await stored(store)).toStrictEqual(afterFirst);
    expect(await store.marketHistory()).toStrictEqual(events);
    expect(written).toHaveBeenCalledWith(METRIC.klinesWritten, 'Count', 0);
    expect(written).toHaveBeenCalledWith(METRIC.klinesReceived, 'Count', klines.length);
  });

  it('fails the whole invocation when the store cannot be opened, so no message is acknowledged', async () => {
    // Prepare
    setStoreForTests(undefined);
    const previous = process.env.KLINE_STORE;
    process.env.KLINE_STORE = 'nonsense:store';

    // Act
    const outcome = handler(sqsEvent([{ id: 'a', body: body(makeSeries(['BTCUSDT'], T0, 1)) }]), lambdaContext);

    // Assess
    try {
      await expect(outcome).rejects.toThrow(/KLINE_STORE/);
    } finally {
      if (previous === undefined) delete process.env.KLINE_STORE;
      else process.env.KLINE_STORE = previous;
    }
  });
});

describe('writeMessages (one combined upsert)', () => {
  /** SQLite, except that klines of one symbol are refused one by one, as MongoDB write errors would be. */
  class RefusingStore extends SqliteKlineStore {
    upserts = 0;
    constructor(private readonly refusedSymbol: string) {
      super(':memory:');
    }
    override async upsert(interval: '1m' | '5m' | '15m' | '30m' | '1h', klines: readonly Kline[]): Promise<UpsertResult> {
      this.upserts += 1;
      const keep = klines.map((k, index) => ({ k, index })).filter(({ k }) => k.symbol !== this.refusedSymbol);
      const result = await super.upsert(interval, keep.map(({ k }) => k));
      const refused = klines.flatMap((k, index) => (k.symbol === this.refusedSymbol ? [{ index, reason: 'E11000 simulated' }] : []));
      return { written: result.written, failures: refused };
    }
  }

  it('writes all messages with one upsert and rejects a kline the store refuses alone, in every message carrying it, without failing them', async () => {
    // Prepare
    const store = new RefusingStore('BADUSDT');
    await store.applySchema();
    const bad = makeSeries(['BADUSDT'], T0, 1);
    const good = makeSeries(['BTCUSDT'], T0, 2);
    const messages = [
      { id: 'carries-bad', body: body([...good.slice(0, 1), ...bad]) },
      { id: 'good-only', body: body(good.slice(1)) },
      { id: 'bad-again', body: body(bad) }, // the same refused kline, redelivered in another message
    ];

    // Act
    const result = await writeMessages(store, messages);

    // Assess
    expect(store.upserts).toBe(1);
    expect(result.failedIds).toStrictEqual([]);
    expect(result.rejected.map((r) => r.messageId).sort()).toStrictEqual(['bad-again', 'carries-bad']);
    expect(result.rejected[0].reason).toContain('refused by the store');
    expect(result.klinesReceived).toBe(3);
    expect(await stored(store)).toStrictEqual(good);
    await store.close();
  });

  it('fails only the messages with market events when recording the status history fails', async () => {
    // Prepare
    class NoHistoryStore extends SqliteKlineStore {
      override async recordMarketStatus(): Promise<void> {
        throw new Error('markets collection unavailable');
      }
    }
    const store = new NoHistoryStore(':memory:');
    await store.applySchema();
    const klines = makeSeries(['BTCUSDT'], T0, 2);
    const messages = [
      { id: 'klines-only', body: body(klines) },
      { id: 'with-event', body: body([], [{ marketType: 'spot', symbol: 'BTCUSDT', status: 'BREAK', at: T0 }]) },
    ];

    // Act
    const result = await writeMessages(store, messages);

    // Assess
    expect(result.failures).toStrictEqual([{ id: 'with-event', kind: 'store', reason: expect.stringContaining('markets collection unavailable') }]);
    expect(await stored(store)).toStrictEqual(klines);
    await store.close();
  });

  it('rejects klines of another interval than 1m alone, so they are never retried', async () => {
    // Prepare
    const store = await openMemoryStore();
    const fiveMinute = makeSeries(['BTCUSDT'], T0, 1, '5m');

    // Act
    const result = await writeMessages(store, [{ id: 'bars', body: body(fiveMinute) }]);

    // Assess
    expect(result.failures).toStrictEqual([]);
    expect(result.rejected).toStrictEqual([expect.objectContaining({ messageId: 'bars', kind: 'kline', reason: expect.stringContaining('interval 5m') })]);
    expect(await store.read({ marketType: 'spot', interval: '5m', from: 0, to: Number.MAX_SAFE_INTEGER })).toStrictEqual([]);
    await store.close();
  });
});
