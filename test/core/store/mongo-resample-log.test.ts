/**
 * What the MongoDB adapter sends for the resampler's log and state (no server here): the log
 * insert that follows every 1m bulk write, and the documents read back.
 */
import { MongoBulkWriteError, MongoNetworkError, ObjectId, type MongoClient } from 'mongodb';
import { StoreUnavailableError } from '../../../core/errors';
import { MongoKlineStore } from '../../../core/store/mongo';
import { entryFromDocument, logDocument, RESAMPLE_LOG_COLLECTION } from '../../../core/store/mongo-resample-log';
import { minuteRuns } from '../../../core/store/resample-log';
import { makeKline, makeSeries, MINUTE, T0 } from './fixtures';

interface Call {
  collection: string;
  method: string;
  args: unknown[];
}

/** The collection surface the log uses, recording every call; `fail` makes a method reject. */
function fakeDb(options: { fail?: Record<string, Error>; bulkWrite?: () => Promise<unknown>; found?: unknown[] } = {}) {
  const calls: Call[] = [];
  const collection = (name: string) => {
    const record = (method: string, args: unknown[]) => {
      calls.push({ collection: name, method, args });
      const error = options.fail?.[`${name}.${method}`];
      if (error) throw error;
    };
    const cursor = (args: unknown[]) => {
      const chain: Record<string, unknown> = {};
      for (const m of ['sort', 'hint', 'limit', 'maxTimeMS']) {
        chain[m] = (...a: unknown[]) => {
          calls.push({ collection: name, method: `find.${m}`, args: a });
          return chain;
        };
      }
      chain.toArray = async () => {
        record('find', args);
        return options.found ?? [];
      };
      return chain;
    };
    return {
      bulkWrite: async (...args: unknown[]) => {
        record('bulkWrite', args);
        return options.bulkWrite ? options.bulkWrite() : { upsertedCount: (args[0] as unknown[]).length, modifiedCount: 0 };
      },
      insertOne: async (...args: unknown[]) => record('insertOne', args),
      deleteMany: async (...args: unknown[]) => record('deleteMany', args),
      find: (...args: unknown[]) => cursor(args),
    };
  };
  const client = { db: () => ({ collection }) } as unknown as MongoClient;
  return { calls, store: new MongoKlineStore({ client, database: 'klines' }) };
}

describe('MongoDB resample log', () => {
  test('a 1m batch is followed by one log insert holding its runs of minutes; other intervals log nothing', async () => {
    const { calls, store } = fakeDb();
    const batch = [...makeSeries(['BTCUSDT'], T0, 3), makeKline('ETHUSDT', T0 + 10 * MINUTE)];

    await store.upsert('1m', batch);
    await store.upsert('5m', makeSeries(['BTCUSDT'], T0, 1, '5m'));

    const inserts = calls.filter((c) => c.method === 'insertOne');
    expect(inserts).toHaveLength(1);
    expect(inserts[0].collection).toBe(RESAMPLE_LOG_COLLECTION);
    expect(inserts[0].args[0]).toStrictEqual({
      runs: [
        { t: 'spot', s: 'BTCUSDT', f: new Date(T0), u: new Date(T0 + 3 * MINUTE) },
        { t: 'spot', s: 'ETHUSDT', f: new Date(T0 + 10 * MINUTE), u: new Date(T0 + 11 * MINUTE) },
      ],
    });
    expect(inserts[0].args[1]).toMatchObject({ maxTimeMS: expect.any(Number) });
    expect(calls.findIndex((c) => c.method === 'bulkWrite')).toBeLessThan(calls.findIndex((c) => c.method === 'insertOne'));
  });

  test('a failed log insert fails the upsert, so the batch is retried and re-logged', async () => {
    const { store } = fakeDb({ fail: { [`${RESAMPLE_LOG_COLLECTION}.insertOne`]: new MongoNetworkError('connection closed') } });

    await expect(store.upsert('1m', makeSeries(['BTCUSDT'], T0, 2))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test('after a partial bulk failure only the stored klines are logged', async () => {
    const error = new MongoBulkWriteError(
      { message: 'write errors', code: 121, writeErrors: [{ index: 1, code: 121, errmsg: 'Document failed validation' }] as never },
      { upsertedCount: 2, modifiedCount: 0, getWriteConcernError: () => undefined } as never,
    );
    const { calls, store } = fakeDb({
      bulkWrite: async () => {
        throw error;
      },
    });

    const result = await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 3));

    expect(result.failures.map((f) => f.index)).toStrictEqual([1]);
    const insert = calls.find((c) => c.method === 'insertOne')!;
    expect((insert.args[0] as ReturnType<typeof logDocument>).runs.map((r) => [r.f.getTime(), r.u.getTime()])).toStrictEqual([
      [T0, T0 + MINUTE],
      [T0 + 2 * MINUTE, T0 + 3 * MINUTE],
    ]);
  });

  test('entries are read oldest first through the _id index with a time limit, and settled by inserting the carried runs before deleting', async () => {
    const id = new ObjectId();
    const stored = { _id: id, ...logDocument([{ marketType: 'usdm', symbol: 'BTCUSDT', from: T0, to: T0 + MINUTE }]) };
    const { calls, store } = fakeDb({ found: [stored] });

    const entries = await store.readResampleLog(50);
    await store.settleResampleLog([id.toHexString()], [{ marketType: 'spot', symbol: 'A', from: T0, to: T0 + 5 * MINUTE }]);

    expect(entries).toStrictEqual([{ id: id.toHexString(), runs: [{ marketType: 'usdm', symbol: 'BTCUSDT', from: T0, to: T0 + MINUTE }] }]);
    expect(calls.filter((c) => c.method.startsWith('find.')).map((c) => [c.method, c.args])).toStrictEqual([
      ['find.sort', [{ _id: 1 }]],
      ['find.hint', [{ _id: 1 }]],
      ['find.limit', [50]],
      ['find.maxTimeMS', [expect.any(Number)]],
    ]);
    const writes = calls.filter((c) => c.method === 'insertOne' || c.method === 'deleteMany');
    expect(writes.map((c) => c.method)).toStrictEqual(['insertOne', 'deleteMany']);
    expect(writes[1].args[0]).toStrictEqual({ _id: { $in: [id] } });
  });

  test('refuses to log a run that is not whole minutes, naming it', async () => {
    const { store } = fakeDb();
    await expect(store.settleResampleLog([], [{ marketType: 'spot', symbol: 'A', from: T0 + 1, to: T0 + MINUTE }])).rejects.toThrow(/A .* not a whole number of minutes/);
    await expect(store.writeResampleState([{ marketType: 'perp' as 'spot', interval: '5m', watermark: T0 }])).rejects.toThrow(/unknown market type "perp"/);
  });

  test('watermarks are one document per market type and interval', async () => {
    const { calls, store } = fakeDb();

    await store.writeResampleState([{ marketType: 'coinm', interval: '15m', watermark: T0 }]);

    const [ops] = calls.find((c) => c.method === 'bulkWrite')!.args as [unknown[]];
    expect(ops).toStrictEqual([
      { replaceOne: { filter: { _id: 'coinm:15m' }, replacement: { marketType: 'coinm', interval: '15m', watermark: new Date(T0) }, upsert: true } },
    ]);
  });

  test('watermarks are read through the _id index with a time limit', async () => {
    const { calls, store } = fakeDb({ found: [{ _id: 'usdm:5m', marketType: 'usdm', interval: '5m', watermark: new Date(T0) }] });

    const state = await store.readResampleState();

    expect(state).toStrictEqual([{ marketType: 'usdm', interval: '5m', watermark: T0 }]);
    expect(calls.filter((c) => c.method.startsWith('find.')).map((c) => c.method)).toStrictEqual(['find.hint', 'find.maxTimeMS']);
  });

  test('documents round-trip', () => {
    const runs = minuteRuns(makeSeries(['A', 'B'], T0, 2), [0, 1, 2, 3]);
    expect(entryFromDocument({ _id: new ObjectId('0123456789abcdef01234567'), ...logDocument(runs) })).toStrictEqual({ id: '0123456789abcdef01234567', runs });
  });
});
