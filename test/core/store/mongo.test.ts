/**
 * MongoKlineStore. The contract suite needs a server and runs only when MONGODB_URI is set.
 * Everything else runs without one: error mapping against a fake client built from the driver's
 * own error classes, and a real client aimed at a closed loopback port (127.0.0.1:1).
 */
import {
  MongoBulkWriteError,
  MongoClient,
  MongoNetworkError,
  MongoServerError,
  type AnyBulkWriteOperation,
  type BulkWriteOptions,
} from 'mongodb';
import { randomUUID } from 'node:crypto';
import { StoreUnavailableError } from '../../../core/errors';
import type { Kline } from '../../../core/kline';
import { openStore } from '../../../core/store';
import { MongoKlineStore, partialBulkFailure } from '../../../core/store/mongo';
import { ZSTD_COLLECTION_OPTIONS, type KlineDocument } from '../../../core/store/mongo-documents';
import { describeKlineStoreContract, type StoreHarness } from './contract';
import { T0, makeKline, makeSeries } from './fixtures';

const UNREACHABLE_URI = 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300';
const MONGODB_URI = process.env.MONGODB_URI;

function serverHarness(uri: string): StoreHarness {
  const databases: string[] = [];
  const open = async () => {
    const database = `kline_contract_${randomUUID().slice(0, 8)}`;
    databases.push(database);
    const store = new MongoKlineStore({ uri, database });
    await store.init();
    return store;
  };
  return {
    open,
    async outage() {
      return { store: new MongoKlineStore({ uri: UNREACHABLE_URI, database: 'kline_contract_outage' }), recover: open };
    },
    async cleanup() {
      const client = new MongoClient(uri);
      try {
        for (const d of databases.splice(0)) await client.db(d).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

if (MONGODB_URI) {
  describeKlineStoreContract('MongoDB', () => serverHarness(MONGODB_URI));
} else {
  describe('MongoDB KlineStore contract', () => {
    console.warn('MongoDB contract tests skipped: MONGODB_URI is not set');
    test.skip('MongoDB contract tests skipped: MONGODB_URI is not set', () => undefined);
  });
}

// --- a fake client: just the surface MongoKlineStore touches -------------------------------

interface Call {
  method: string;
  args: unknown[];
}

class FakeCollection {
  calls: Call[] = [];
  bulkWrite: (ops: AnyBulkWriteOperation<KlineDocument>[], options: BulkWriteOptions) => Promise<unknown> = async (ops) =>
    new FakeBulkResult(ops.length, 0);
  createIndexImpl: (keys: unknown, options: unknown) => Promise<string> = async () => 'openTime_1';

  constructor(readonly name: string) {
    const record = this.bulkWrite;
    this.bulkWrite = (ops, options) => {
      this.calls.push({ method: 'bulkWrite', args: [ops, options] });
      return record(ops, options);
    };
  }

  // resample_log: one insert per 1m batch (tested in mongo-resample-log.test.ts).
  async insertOne(doc: unknown, options: unknown): Promise<unknown> {
    this.calls.push({ method: 'insertOne', args: [doc, options] });
    return { acknowledged: true };
  }

  async createIndex(keys: unknown, options: unknown): Promise<string> {
    this.calls.push({ method: 'createIndex', args: [keys, options] });
    return this.createIndexImpl(keys, options);
  }
}

class FakeBulkResult {
  constructor(readonly upsertedCount: number, readonly modifiedCount: number) {}
}

class FakeDb {
  collections = new Map<string, FakeCollection>();
  existing: string[] = [];
  created: { name: string; options: unknown }[] = [];
  commands: unknown[] = [];
  createCollectionImpl: (name: string, options: unknown) => Promise<void> = async () => undefined;

  collection(name: string): FakeCollection {
    let c = this.collections.get(name);
    if (!c) this.collections.set(name, (c = new FakeCollection(name)));
    return c;
  }

  listCollections() {
    return { toArray: async () => this.existing.map((name) => ({ name })) };
  }

  async createCollection(name: string, options?: unknown): Promise<void> {
    this.created.push({ name, options });
    await this.createCollectionImpl(name, options);
  }

  async command(cmd: unknown): Promise<unknown> {
    this.commands.push(cmd);
    return { ok: 1 };
  }
}

function fakeStore(options: { retentionDays?: number } = {}) {
  const db = new FakeDb();
  const client = { db: () => db } as unknown as MongoClient;
  return { db, store: new MongoKlineStore({ client, database: 'klines', ...options }) };
}

/**
 * A MongoBulkWriteError shaped as the driver throws it for an unordered bulk in which some
 * operations failed. WriteError and BulkWriteResult are not exported at run time, so stand-ins
 * with their public fields are used (index/code/errmsg; upsertedCount/modifiedCount/getWriteConcernError).
 */
function bulkError(opIndexes: number[], upserted: number, modified: number, writeConcern = false): MongoBulkWriteError {
  const writeErrors = opIndexes.map((index) => ({ index, code: 121, errmsg: 'Document failed validation' }));
  const concern = writeConcern ? { code: 64, errmsg: 'waiting for replication timed out' } : undefined;
  const result = { upsertedCount: upserted, modifiedCount: modified, getWriteConcernError: () => concern };
  return new MongoBulkWriteError(
    { message: 'write errors', code: 121, writeErrors: writeErrors as never },
    result as unknown as ConstructorParameters<typeof MongoBulkWriteError>[1],
  );
}

describe('MongoKlineStore without a server', () => {
  describe('upsert', () => {
    test('sends one unordered bulk write with one upsert per accepted kline', async () => {
      const { db, store } = fakeStore();
      const batch = [...makeSeries(['BTCUSDT'], T0, 3), { ...makeKline('ETHUSDT', T0), high: '0.1' }];

      const result = await store.upsert('1m', batch);

      const calls = db.collection('klines_1m').calls;
      expect(calls).toHaveLength(1);
      const [ops, options] = calls[0].args as [AnyBulkWriteOperation<KlineDocument>[], BulkWriteOptions];
      expect(options).toStrictEqual({ ordered: false });
      expect(ops.map((o) => ('replaceOne' in o ? [o.replaceOne.filter._id, o.replaceOne.upsert] : undefined))).toStrictEqual(
        batch.slice(0, 3).map((k) => [`BTCUSDT#${k.openTime}`, true]),
      );
      expect(result).toStrictEqual({ written: 3, failures: [{ index: 3, reason: expect.stringMatching(/high/) }] });
    });

    test('maps the write errors of a partial bulk failure back to batch indexes', async () => {
      // Batch index 1 is refused before sending, so operation i carries batch index [0, 2, 3, 4][i].
      const { db, store } = fakeStore();
      const batch: Kline[] = makeSeries(['BTCUSDT'], T0, 5);
      batch[1] = { ...batch[1], low: '99999999.00000000' };
      db.collection('klines_1m').bulkWrite = async () => {
        throw bulkError([1, 3], 1, 1);
      };

      const result = await store.upsert('1m', batch);

      expect(result.written).toBe(2);
      expect(result.failures.map((f) => f.index)).toStrictEqual([1, 2, 4]);
      expect(result.failures[1].reason).toMatch(/MongoDB refused the write \(code 121\): Document failed validation/);
    });

    test('a refused kline also fails the earlier klines of the same key it replaced', async () => {
      const { db, store } = fakeStore();
      const first = makeKline('BTCUSDT', T0);
      const batch = [first, makeKline('BTCUSDT', T0 + 60_000), { ...first, volume: '7.00000000' }];
      db.collection('klines_1m').bulkWrite = async () => {
        throw bulkError([1], 1, 0); // operations: [batch 1, batch 2]
      };

      const result = await store.upsert('1m', batch);

      expect(result.failures.map((f) => f.index)).toStrictEqual([0, 2]);
    });

    test('a write-concern error leaves every write in doubt: StoreUnavailableError', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').bulkWrite = async () => {
        throw bulkError([0], 1, 0, true);
      };

      await expect(store.upsert('1m', makeSeries(['BTCUSDT'], T0, 2))).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    test('a network error becomes StoreUnavailableError naming the database and the operation', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_5m').bulkWrite = async () => {
        throw new MongoNetworkError('connection 3 to 10.0.0.1:27017 closed');
      };

      const attempt = store.upsert('5m', makeSeries(['BTCUSDT'], T0, 2, '5m'));

      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(/MongoDB store \(database "klines"\) is unavailable: cannot write klines_5m: MongoNetworkError: connection 3/);
    });

    test('a bug that is not a driver error is not disguised as an outage', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').bulkWrite = async () => {
        throw new TypeError('boom');
      };

      await expect(store.upsert('1m', makeSeries(['BTCUSDT'], T0, 1))).rejects.toThrow(TypeError);
    });

    test('a batch with nothing to write sends nothing', async () => {
      const { db, store } = fakeStore();

      const result = await store.upsert('1m', [{ ...makeKline('BTCUSDT', T0), trades: -1 }]);

      expect(db.collection('klines_1m').calls).toStrictEqual([]);
      expect(result.failures.map((f) => f.index)).toStrictEqual([0]);
    });
  });

  describe('partialBulkFailure', () => {
    test('is undefined for errors that are not partial', () => {
      expect(partialBulkFailure(new MongoNetworkError('x'), [0])).toBeUndefined();
      expect(partialBulkFailure(bulkError([], 0, 0), [0])).toBeUndefined();
      expect(partialBulkFailure(bulkError([5], 0, 0), [0])).toBeUndefined();
    });
  });

  describe('init', () => {
    test('creates missing collections with zstd and an openTime index, without TTL by default', async () => {
      const { db, store } = fakeStore();
      db.existing = ['klines_5m'];

      await store.init();

      expect(db.created).toStrictEqual([
        ...['klines_1m', 'klines_15m', 'klines_30m', 'klines_1h'].map((name) => ({ name, options: ZSTD_COLLECTION_OPTIONS })),
        { name: 'markets', options: undefined },
      ]);
      for (const name of ['klines_1m', 'klines_5m', 'klines_15m', 'klines_30m', 'klines_1h']) {
        expect(db.collection(name).calls).toStrictEqual([{ method: 'createIndex', args: [{ openTime: 1 }, { name: 'openTime_1' }] }]);
      }
    });

    test('falls back to a plain collection when the server refuses zstd, and accepts one that exists', async () => {
      const { db, store } = fakeStore();
      db.createCollectionImpl = async (name, options) => {
        if (options !== undefined) throw new MongoServerError({ message: 'unknown storage option', code: 2 });
        if (name === 'klines_1h') throw new MongoServerError({ message: 'Collection already exists', code: 48 });
      };

      await store.init();

      expect(db.created.filter((c) => c.name === 'klines_1m')).toStrictEqual([
        { name: 'klines_1m', options: ZSTD_COLLECTION_OPTIONS },
        { name: 'klines_1m', options: undefined },
      ]);
    });

    test('with retention, the klines_1m openTime index expires documents; an existing index is changed in place', async () => {
      const { db, store } = fakeStore({ retentionDays: 90 });
      db.collection('klines_1m').createIndexImpl = async () => {
        throw new MongoServerError({ message: 'An equivalent index already exists with different options', code: 85 });
      };

      await store.init();

      expect(db.collection('klines_1m').calls[0].args).toStrictEqual([{ openTime: 1 }, { name: 'openTime_1', expireAfterSeconds: 90 * 86_400 }]);
      expect(db.collection('klines_5m').calls[0].args).toStrictEqual([{ openTime: 1 }, { name: 'openTime_1' }]);
      expect(db.commands).toStrictEqual([{ collMod: 'klines_1m', index: { keyPattern: { openTime: 1 }, expireAfterSeconds: 90 * 86_400 } }]);
    });
  });

  describe('against a closed loopback port', () => {
    test('upsert rejects with StoreUnavailableError and the batch handed in is untouched', async () => {
      const store = new MongoKlineStore({ uri: UNREACHABLE_URI, database: 'klines' });
      const batch = makeSeries(['BTCUSDT'], T0, 3);
      const handed = structuredClone(batch);
      try {
        const attempt = store.upsert('1m', batch);

        await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(attempt).rejects.toThrow(/is unavailable: cannot write klines_1m: MongoServerSelectionError/);
        expect(batch).toStrictEqual(handed);
      } finally {
        await store.close();
      }
    });

    test('openStore rejects with StoreUnavailableError instead of hanging', async () => {
      const attempt = openStore({ kind: 'mongodb', uri: 'mongodb://127.0.0.1:1', database: 'klines' }, { serverSelectionTimeoutMS: 300 });

      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(/cannot initialise/);
    });
  });
});
