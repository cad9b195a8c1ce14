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
import { STORED_INTERVALS } from '../../../core/interval';
import type { Kline } from '../../../core/kline';
import { migrateStore, openStore } from '../../../core/store';
import { DEFAULT_MAX_TIME_MS, MongoKlineStore, partialBulkFailure } from '../../../core/store/mongo';
import { klineDocument, type KlineDocument } from '../../../core/store/mongo-documents';
import { ZSTD_COLLECTION_OPTIONS, isZstdUnsupported, numericViewPipeline } from '../../../core/store/mongo-schema';
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
    await store.applySchema();
    return store;
  };
  return {
    open,
    async openBare() {
      const database = `kline_contract_${randomUUID().slice(0, 8)}`;
      databases.push(database);
      return new MongoKlineStore({ uri, database });
    },
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

  describe('MongoDB schema step on a real server', () => {
    const harness = serverHarness(MONGODB_URI);
    const client = new MongoClient(MONGODB_URI);
    let database: string;
    let store: MongoKlineStore;

    beforeEach(async () => {
      store = (await harness.openBare()) as MongoKlineStore;
      database = (store as unknown as { options: { database: string } }).options.database;
    });
    afterEach(async () => {
      await store.close();
      await harness.cleanup?.();
    });
    afterAll(() => client.close());

    const ttlOf = async () => (await client.db(database).collection('klines_1m').listIndexes().toArray()).find((i) => i.name === 'openTime_1')?.expireAfterSeconds;

    test('adds, changes and removes the 1m TTL; the check follows', async () => {
      await store.applySchema({ retentionDays: 90 });
      expect(await ttlOf()).toBe(90 * 86_400);
      expect(await store.readRetention('spot')).toBe(90 * 86_400);
      expect((await store.checkSchema()).map((d) => d.kind)).toStrictEqual(['ttl-not-configured', 'ttl-not-configured', 'ttl-not-configured']);

      await store.applySchema({ retentionDays: 30 });
      expect(await ttlOf()).toBe(30 * 86_400);
      expect(await store.checkSchema({ retentionDays: 30 })).toStrictEqual([]);

      await store.applySchema({ retentionDays: null });
      expect(await ttlOf()).toBeUndefined();
      expect(await store.readRetention('spot')).toBeNull();
      expect(await store.checkSchema()).toStrictEqual([]);
    });

    test('the unique index refuses a second document of one key; the numeric view shows doubles', async () => {
      await store.applySchema();
      const k = makeKline('BTCUSDT', T0);
      await store.upsert('1m', [k]);

      await expect(client.db(database).collection<KlineDocument>('klines_1m').insertOne(klineDocument(k, '1m'))).rejects.toMatchObject({ code: 11000 });
      const [row] = await client.db(database).collection('klines_1m_numeric').find({}).toArray();
      expect(row.open).toBe(Number(k.open));
      expect(row.symbol).toBe('BTCUSDT');
    });
  });
} else {
  describe('MongoDB KlineStore contract', () => {
    console.warn('MongoDB contract tests skipped: MONGODB_URI is not set');
    test.skip('MongoDB contract tests skipped: MONGODB_URI is not set', () => undefined);
  });
}

// --- a fake of the driver's db/collection API: records what the adapter sends, keeps schema state --

interface Call {
  method: string;
  args: unknown[];
}

interface FakeIndex {
  name: string;
  key: Record<string, number>;
  unique?: boolean;
  expireAfterSeconds?: number;
  partialFilterExpression?: Record<string, unknown>;
}

const cursor = <T>(rows: T[]) => ({ toArray: async () => rows });

class FakeCollection {
  calls: Call[] = [];
  indexes: FakeIndex[] = [{ name: '_id_', key: { _id: 1 } }];
  bulkWriteImpl: (ops: AnyBulkWriteOperation<KlineDocument>[], options: BulkWriteOptions) => Promise<unknown> = async (ops) => new FakeBulkResult(ops.length, 0);
  /** What `find` answers (every call, whatever the filter). */
  findImpl: (filter: unknown) => unknown[] | Promise<unknown[]> = () => [];
  aggregateImpl: (pipeline: unknown[]) => Promise<unknown[]> = async () => [];

  constructor(readonly name: string) {}

  async bulkWrite(ops: AnyBulkWriteOperation<KlineDocument>[], options: BulkWriteOptions): Promise<unknown> {
    this.calls.push({ method: 'bulkWrite', args: [ops, options] });
    return this.bulkWriteImpl(ops, options);
  }

  // resample_log: one insert per 1m batch (tested in mongo-resample-log.test.ts).
  async insertOne(doc: unknown, options: unknown): Promise<unknown> {
    this.calls.push({ method: 'insertOne', args: [doc, options] });
    return { acknowledged: true };
  }

  async replaceOne(filter: unknown, doc: unknown, options: unknown): Promise<unknown> {
    this.calls.push({ method: 'replaceOne', args: [filter, doc, options] });
    return { acknowledged: true };
  }

  find(filter: unknown, options: unknown) {
    this.calls.push({ method: 'find', args: [filter, options] });
    const docs = async () => this.findImpl(filter);
    return { toArray: docs, next: async () => (await docs())[0] ?? null };
  }

  /** What `distinct` answers. */
  distinctImpl: () => unknown[] = () => [];
  async distinct(key: string, filter: unknown, options: unknown): Promise<unknown[]> {
    this.calls.push({ method: 'distinct', args: [key, filter, options] });
    return this.distinctImpl();
  }

  /** WiredTiger's creation string as `$collStats` reports it; undefined answers no storage stats. */
  creationString: string | undefined;
  aggregate(pipeline: unknown[], options: unknown) {
    this.calls.push({ method: 'aggregate', args: [pipeline, options] });
    if ((pipeline[0] as Record<string, unknown> | undefined)?.$collStats) {
      return { toArray: async () => (this.creationString === undefined ? [] : [{ ns: `klines.${this.name}`, storageStats: { wiredTiger: { creationString: this.creationString } } }]) };
    }
    return { toArray: () => this.aggregateImpl(pipeline) };
  }

  listIndexes(options: unknown) {
    this.calls.push({ method: 'listIndexes', args: [options] });
    return cursor(this.indexes.map((i) => ({ ...i, v: 2 })));
  }

  async createIndex(key: Record<string, number>, options: Omit<FakeIndex, 'key'>): Promise<string> {
    this.calls.push({ method: 'createIndex', args: [key, options] });
    if (this.indexes.some((i) => i.name === options.name)) throw new MongoServerError({ message: 'Index already exists with a different name or options', code: 85 });
    this.indexes.push({ key, ...options });
    return options.name;
  }

  async dropIndex(name: string): Promise<void> {
    this.calls.push({ method: 'dropIndex', args: [name] });
    this.indexes = this.indexes.filter((i) => i.name !== name);
  }
}

class FakeBulkResult {
  constructor(readonly upsertedCount: number, readonly modifiedCount: number) {}
}

interface FakeCollectionInfo {
  name: string;
  type: 'collection' | 'view';
  options: Record<string, unknown>;
}

class FakeDb {
  collections = new Map<string, FakeCollection>();
  infos = new Map<string, FakeCollectionInfo>();
  created: { name: string; options: unknown }[] = [];
  commands: Record<string, unknown>[] = [];
  listOptions: unknown[] = [];
  /** Runs before a collection is created; throw to refuse. */
  createCollectionImpl: (name: string, options: unknown) => Promise<void> = async () => undefined;

  collection(name: string): FakeCollection {
    let c = this.collections.get(name);
    if (!c) this.collections.set(name, (c = new FakeCollection(name)));
    return c;
  }

  /** A collection as an earlier version left it. */
  exists(name: string, indexes: FakeIndex[] = []): void {
    this.infos.set(name, { name, type: 'collection', options: {} });
    this.collection(name).indexes.push(...indexes);
  }

  listCollections(_filter: unknown, options: unknown) {
    this.listOptions.push(options);
    return cursor([...this.infos.values()]);
  }

  async createCollection(name: string, options?: Record<string, unknown>): Promise<void> {
    this.created.push({ name, options });
    await this.createCollectionImpl(name, options);
    if (this.infos.has(name)) throw new MongoServerError({ message: `Collection ${name} already exists`, code: 48 });
    this.infos.set(name, { name, type: options?.viewOn ? 'view' : 'collection', options: options ?? {} });
    // What a server's WiredTiger reports: the configString's compressor, else the default (snappy).
    const configString = (options as typeof ZSTD_COLLECTION_OPTIONS | undefined)?.storageEngine?.wiredTiger?.configString ?? '';
    if (!options?.viewOn) this.collection(name).creationString = `access_pattern_hint=none,allocation_size=4KB,app_metadata=(formatVersion=1),block_compressor=${/block_compressor=(\w*)/.exec(configString)?.[1] ?? this.defaultCompressor},checksum=on`;
  }
  /** The server's default block compressor (`storage.wiredTiger.collectionConfig.blockCompressor`). */
  defaultCompressor = 'snappy';

  async command(cmd: Record<string, unknown>): Promise<unknown> {
    this.commands.push(cmd);
    const name = cmd.collMod as string;
    const index = cmd.index as { name: string; expireAfterSeconds: number } | undefined;
    if (index) {
      const found = this.collection(name).indexes.find((i) => i.name === index.name);
      if (!found) throw new MongoServerError({ message: 'cannot find index', code: 27 });
      found.expireAfterSeconds = index.expireAfterSeconds;
    } else if (cmd.pipeline) {
      this.infos.set(name, { name, type: 'view', options: { viewOn: cmd.viewOn, pipeline: cmd.pipeline } });
    }
    return { ok: 1 };
  }

  /** Every change-making call since the start. */
  writes(): string[] {
    const out = [...this.created.map((c) => `createCollection ${c.name}`), ...this.commands.map((c) => `command ${JSON.stringify(c)}`)];
    for (const c of this.collections.values()) {
      for (const call of c.calls) if (call.method === 'createIndex' || call.method === 'dropIndex') out.push(`${call.method} ${c.name}`);
    }
    return out;
  }
}

function fakeStore(options: { maxTimeMS?: number } = {}) {
  const db = new FakeDb();
  const client = { db: () => db } as unknown as MongoClient;
  return { db, store: new MongoKlineStore({ client, database: 'klines', ...options }) };
}

const KLINE_COLLECTIONS = ['spot', 'usdm', 'coinm'].flatMap((t) => STORED_INTERVALS.map((i) => (t === 'spot' ? `klines_${i}` : `${t}_klines_${i}`)));
const ONE_MINUTE_COLLECTIONS = KLINE_COLLECTIONS.filter((n) => n.endsWith('_1m'));

/**
 * A MongoBulkWriteError shaped as the driver throws it for an unordered bulk in which some
 * operations failed. WriteError and BulkWriteResult are not exported at run time, so stand-ins
 * with their public fields are used (index/code/errmsg; upsertedCount/modifiedCount/getWriteConcernError).
 */
function bulkError(opIndexes: number[], upserted: number, modified: number, writeConcern = false, code = 121): MongoBulkWriteError {
  const writeErrors = opIndexes.map((index) => ({ index, code, errmsg: code === 50 ? 'operation exceeded time limit' : 'Document failed validation' }));
  const concern = writeConcern ? { code: 64, errmsg: 'waiting for replication timed out' } : undefined;
  const result = { upsertedCount: upserted, modifiedCount: modified, getWriteConcernError: () => concern };
  return new MongoBulkWriteError(
    { message: 'write errors', code: 121, writeErrors: writeErrors as never },
    result as unknown as ConstructorParameters<typeof MongoBulkWriteError>[1],
  );
}

describe('MongoKlineStore without a server', () => {
  describe('upsert', () => {
    test('sends one unordered bulk write with a time limit, one upsert per accepted kline on its natural key and index', async () => {
      const { db, store } = fakeStore();
      const batch = [...makeSeries(['BTCUSDT'], T0, 3), { ...makeKline('ETHUSDT', T0), high: '0.1' }];

      const result = await store.upsert('1m', batch);

      const calls = db.collection('klines_1m').calls;
      expect(calls).toHaveLength(1);
      const [ops, options] = calls[0].args as [AnyBulkWriteOperation<KlineDocument>[], BulkWriteOptions];
      expect(options).toStrictEqual({ ordered: false, maxTimeMS: DEFAULT_MAX_TIME_MS });
      expect(ops.map((o) => ('replaceOne' in o ? [o.replaceOne.filter, o.replaceOne.upsert, o.replaceOne.hint] : undefined))).toStrictEqual(
        batch.slice(0, 3).map((k) => [{ symbol: 'BTCUSDT', openTime: new Date(k.openTime) }, true, 'symbol_1_openTime_1']),
      );
      expect(result).toStrictEqual({ written: 3, failures: [{ index: 3, reason: expect.stringMatching(/high/) }] });
    });

    test('a kline from REST carries its provenance; a streamed one has no source field', async () => {
      const { db, store } = fakeStore();

      await store.upsert('1m', [{ ...makeKline('BTCUSDT', T0), source: 'rest' }, makeKline('BTCUSDT', T0 + 60_000)]);

      const [ops] = db.collection('klines_1m').calls[0].args as [AnyBulkWriteOperation<KlineDocument>[]];
      const docs = ops.map((o) => ('replaceOne' in o ? o.replaceOne.replacement : undefined));
      expect(docs[0]).toHaveProperty('source', 'rest');
      expect(docs[1]).not.toHaveProperty('source');
    });

    test('maps the write errors of a partial bulk failure back to batch indexes', async () => {
      // Batch index 1 is refused before sending, so operation i carries batch index [0, 2, 3, 4][i].
      const { db, store } = fakeStore();
      const batch: Kline[] = makeSeries(['BTCUSDT'], T0, 5);
      batch[1] = { ...batch[1], low: '99999999.00000000' };
      db.collection('klines_1m').bulkWriteImpl = async () => {
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
      db.collection('klines_1m').bulkWriteImpl = async () => {
        throw bulkError([1], 1, 0); // operations: [batch 1, batch 2]
      };

      const result = await store.upsert('1m', batch);

      expect(result.failures.map((f) => f.index)).toStrictEqual([0, 2]);
    });

    test('a write-concern error leaves every write in doubt: StoreUnavailableError', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').bulkWriteImpl = async () => {
        throw bulkError([0], 1, 0, true);
      };

      await expect(store.upsert('1m', makeSeries(['BTCUSDT'], T0, 2))).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    test('a time limit hit inside the bulk is not a per-kline refusal: the whole batch is unavailable', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').bulkWriteImpl = async () => {
        throw bulkError([0], 0, 0, false, 50);
      };

      await expect(store.upsert('1m', makeSeries(['BTCUSDT'], T0, 2))).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    test('a network error becomes StoreUnavailableError naming the database and the operation', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_5m').bulkWriteImpl = async () => {
        throw new MongoNetworkError('connection 3 to 10.0.0.1:27017 closed');
      };

      const attempt = store.upsert('5m', makeSeries(['BTCUSDT'], T0, 2, '5m'));

      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(/MongoDB store \(database "klines"\) is unavailable: cannot write klines_5m: MongoNetworkError: connection 3/);
    });

    test('a bug that is not a driver error is not disguised as an outage', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').bulkWriteImpl = async () => {
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

  describe('market types', () => {
    test('a batch of two types is one bulk write per type, each to its own collection', async () => {
      const { db, store } = fakeStore();
      const spot = makeSeries(['BTCUSDT'], T0, 2);
      const usdm = spot.map((k) => ({ ...k, marketType: 'usdm' as const }));

      const result = await store.upsert('1m', [spot[0], usdm[0], spot[1], usdm[1]]);

      const ids = (name: string) =>
        db.collection(name).calls.map((c) => (c.args[0] as AnyBulkWriteOperation<KlineDocument>[]).map((o) => ('replaceOne' in o ? o.replaceOne.filter : undefined)));
      const keys = [{ symbol: 'BTCUSDT', openTime: new Date(T0) }, { symbol: 'BTCUSDT', openTime: new Date(T0 + 60_000) }];
      expect(ids('klines_1m')).toStrictEqual([keys]);
      expect(ids('usdm_klines_1m')).toStrictEqual([keys]);
      expect(db.collections.has('coinm_klines_1m')).toBe(false);
      expect(result).toStrictEqual({ written: 4, failures: [] });
    });

    test("a partial failure of one type's bulk maps back to that type's batch indexes", async () => {
      const { db, store } = fakeStore();
      const spot = makeSeries(['BTCUSDT'], T0, 2);
      const coinm = makeSeries(['BTCUSD_PERP'], T0, 2).map((k) => ({ ...k, marketType: 'coinm' as const }));
      db.collection('coinm_klines_1m').bulkWrite = async () => {
        throw bulkError([1], 1, 0); // coinm operations: [batch 1, batch 3]
      };

      const result = await store.upsert('1m', [spot[0], coinm[0], spot[1], coinm[1]]);

      expect(result.written).toBe(3);
      expect(result.failures.map((f) => f.index)).toStrictEqual([3]);
    });

    test('lastOpenTimes asks each market its latest open time with one sorted, limited find', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').findImpl = () => [{ openTime: new Date(T0 + 120_000) }];
      db.collection('usdm_klines_1m').findImpl = (filter) => ((filter as { symbol: string }).symbol === 'ETHUSDT' ? [] : [{ openTime: new Date(T0) }]);

      const last = await store.lastOpenTimes('1m', [
        { marketType: 'spot', symbol: 'BTCUSDT' },
        { marketType: 'usdm', symbol: 'BTCUSDT' },
        { marketType: 'usdm', symbol: 'ETHUSDT' },
      ]);

      expect(last).toStrictEqual(new Map([['spot:BTCUSDT', T0 + 120_000], ['usdm:BTCUSDT', T0]]));
      const find = (symbol: string) => ({
        method: 'find',
        args: [{ symbol }, { projection: { _id: 0, openTime: 1 }, sort: { openTime: -1 }, limit: 1, hint: 'symbol_1_openTime_1', maxTimeMS: DEFAULT_MAX_TIME_MS }],
      });
      expect(db.collection('klines_1m').calls).toStrictEqual([find('BTCUSDT')]);
      expect(db.collection('usdm_klines_1m').calls).toStrictEqual([find('BTCUSDT'), find('ETHUSDT')]);
    });

    test("read asks the type's collection and gives its klines that type", async () => {
      const { db, store } = fakeStore();
      const k = makeKline('BTCUSD_PERP', T0);
      db.collection('coinm_klines_1m').findImpl = () => [klineDocument(k, '1m')];

      const klines = await store.read({ marketType: 'coinm', interval: '1m', from: T0, to: T0 + 60_000 });

      expect(klines).toStrictEqual([{ ...k, marketType: 'coinm' }]);
      expect(db.collections.has('klines_1m')).toBe(false);
    });

    test('marketHistory reads a round-1 document (no marketType) as spot and orders types spot, usdm, coinm', async () => {
      const { db, store } = fakeStore();
      db.collection('markets').findImpl = () => [
        { _id: 'usdm#BTCUSDT#5#TRADING', marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: new Date(5) },
        { _id: 'BTCUSDT#7#TRADING', symbol: 'BTCUSDT', status: 'TRADING', at: new Date(7) },
      ];

      expect(await store.marketHistory()).toStrictEqual([
        { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: 7 },
        { marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: 5 },
      ]);
    });

    test('marketHistory of given markets asks for their `_id` ranges on the `_id` index, with the time limit', async () => {
      const { db, store } = fakeStore({ maxTimeMS: 1234 });

      await store.marketHistory([
        { marketType: 'spot', symbol: 'BTCUSDT' },
        { marketType: 'usdm', symbol: 'BTCUSDT' },
      ]);
      await store.marketHistory([]);

      expect(db.collection('markets').calls).toStrictEqual([
        {
          method: 'find',
          args: [
            { $or: [{ _id: { $gte: 'BTCUSDT#', $lt: 'BTCUSDT$' } }, { _id: { $gte: 'usdm#BTCUSDT#', $lt: 'usdm#BTCUSDT$' } }] },
            { hint: { _id: 1 }, maxTimeMS: 1234 },
          ],
        },
      ]);
    });

    test('symbolsWithKlines walks the symbols on the index, then seeks each one in the range: no count, no scan of the range', async () => {
      const { db, store } = fakeStore({ maxTimeMS: 1234 });
      const klines = db.collection('usdm_klines_1m');
      klines.distinctImpl = () => ['ETHUSDT', 'BTCUSDT', 'XRPUSDT'];
      klines.findImpl = (filter) => ((filter as { symbol: string }).symbol === 'XRPUSDT' ? [] : [{ openTime: new Date(T0) }]);

      const symbols = await store.symbolsWithKlines('usdm', '1m', { from: T0, to: T0 + 60_000 });

      expect(symbols).toStrictEqual(['BTCUSDT', 'ETHUSDT']);
      const seek = (symbol: string) => ({
        method: 'find',
        args: [
          { symbol, openTime: { $gte: new Date(T0), $lt: new Date(T0 + 60_000) } },
          { projection: { _id: 0, openTime: 1 }, limit: 1, hint: 'symbol_1_openTime_1', maxTimeMS: 1234 },
        ],
      });
      expect(klines.calls).toStrictEqual([
        { method: 'distinct', args: ['symbol', {}, { hint: 'symbol_1_openTime_1', maxTimeMS: 1234 }] },
        seek('BTCUSDT'),
        seek('ETHUSDT'),
        seek('XRPUSDT'),
      ]);
    });

    test('a markets document of an unknown market type is reported, not guessed', async () => {
      const { db, store } = fakeStore();
      db.collection('markets').findImpl = () => [{ _id: 'x', marketType: 'margin', symbol: 'BTCUSDT', status: 'TRADING', at: new Date(5) }];

      await expect(store.marketHistory()).rejects.toThrow(/unknown status "TRADING" or market type "margin"/);
    });
  });

  describe('partialBulkFailure', () => {
    test('is undefined for errors that are not partial', () => {
      expect(partialBulkFailure(new MongoNetworkError('x'), [0])).toBeUndefined();
      expect(partialBulkFailure(bulkError([], 0, 0), [0])).toBeUndefined();
      expect(partialBulkFailure(bulkError([5], 0, 0), [0])).toBeUndefined();
      expect(partialBulkFailure(bulkError([0], 0, 0, false, 50), [0])).toBeUndefined();
    });
  });

  describe('queries', () => {
    /** Run every operation of the port once against the fake. */
    async function everyOperation(store: MongoKlineStore, db: FakeDb) {
      db.collection('klines_1m').findImpl = async () => [klineDocument(makeKline('BTCUSDT', T0), '1m')];
      db.collection('markets').findImpl = async () => [
        { _id: 'x', symbol: 'ETHUSDT', status: 'TRADING', at: new Date(T0) },
        { _id: 'y', symbol: 'BTCUSDT', status: 'BREAK', at: new Date(T0 + 1) },
        { _id: 'z', symbol: 'BTCUSDT', status: 'TRADING', at: new Date(T0) },
      ];
      await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 2));
      await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 60_000 });
      await store.read({ marketType: 'spot', interval: '1m', symbols: ['ETHUSDT', 'BTCUSDT'], from: T0, to: T0 + 60_000 });
      await store.countByMarket('spot', '1m', { from: T0, to: T0 + 60_000 });
      await store.gaps('spot', '1m', { from: T0, to: T0 + 60_000 }, ['BTCUSDT']);
      await store.lastOpenTimes('1m', [{ marketType: 'spot', symbol: 'BTCUSDT' }]);
      await store.recordMarketStatus([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }]);
      return store.marketHistory();
    }

    test('every query names its index and every operation carries the configured maxTimeMS', async () => {
      const { db, store } = fakeStore({ maxTimeMS: 1234 });

      const history = await everyOperation(store, db);

      const klineCalls = db.collection('klines_1m').calls;
      const marketCalls = db.collection('markets').calls;
      const calls = [...klineCalls, ...marketCalls];
      expect(calls.map((c) => c.method)).toStrictEqual(['bulkWrite', 'find', 'find', 'aggregate', 'aggregate', 'find', 'bulkWrite', 'find']);
      const optionsOf = (c: Call) => c.args[c.args.length - 1] as { maxTimeMS?: number; hint?: unknown };
      expect(calls.map((c) => optionsOf(c).maxTimeMS)).toStrictEqual(calls.map(() => 1234));
      expect(klineCalls.filter((c) => c.method !== 'bulkWrite').map((c) => optionsOf(c).hint)).toStrictEqual(Array(5).fill('symbol_1_openTime_1'));
      expect(marketCalls.filter((c) => c.method === 'find').map((c) => optionsOf(c).hint)).toStrictEqual([{ _id: 1 }]);
      const bulkOps = calls.filter((c) => c.method === 'bulkWrite').flatMap((c) => c.args[0] as Record<string, { hint?: unknown }>[]);
      expect(bulkOps.map((o) => Object.values(o)[0].hint)).toStrictEqual(['symbol_1_openTime_1', 'symbol_1_openTime_1', { _id: 1 }]);
      expect(history.map((e) => `${e.symbol} ${e.status}`)).toStrictEqual(['BTCUSDT TRADING', 'BTCUSDT BREAK', 'ETHUSDT TRADING']);
    });

    test('countBySource: one aggregate on the partial provenance index (hinted, its filter repeated), with the time limit; rows become counts per symbol', async () => {
      const { db, store } = fakeStore({ maxTimeMS: 4321 });
      db.collection('usdm_klines_1m').aggregateImpl = async () => [
        { _id: { symbol: 'BTCUSDT', source: 'rest' }, n: 7 },
        { _id: { symbol: 'BTCUSDT', source: 'dump' }, n: 2 },
        { _id: { symbol: 'ETHUSDT', source: 'dump' }, n: 1 },
        { _id: { symbol: 'ETHUSDT', source: 'ws' }, n: 5 }, // not a provenance this code writes: not counted
      ];

      const counts = await store.countBySource('usdm', { from: T0, to: T0 + 86_400_000 });

      expect([...counts.entries()]).toStrictEqual([
        ['BTCUSDT', { rest: 7, dump: 2 }],
        ['ETHUSDT', { rest: 0, dump: 1 }],
      ]);
      expect(db.collection('usdm_klines_1m').calls).toStrictEqual([
        {
          method: 'aggregate',
          args: [
            [
              { $match: { source: { $exists: true }, openTime: { $gte: new Date(T0), $lt: new Date(T0 + 86_400_000) } } },
              { $group: { _id: { symbol: '$symbol', source: '$source' }, n: { $sum: 1 } } },
            ],
            { hint: 'symbol_1_openTime_1_source_1', maxTimeMS: 4321 },
          ],
        },
      ]);
      expect(db.collection('klines_1m').calls).toStrictEqual([]);
    });

    test('countBySource: a lost connection is StoreUnavailableError', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').aggregateImpl = async () => {
        throw new MongoNetworkError('socket hang up');
      };

      await expect(store.countBySource('spot', { from: T0, to: T0 + 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    test('reads return index order: every market walks the index, given markets use its prefix', async () => {
      const { db, store } = fakeStore();

      await store.read({ marketType: 'spot', interval: '5m', from: T0, to: T0 + 60_000 });
      await store.read({ marketType: 'spot', interval: '5m', symbols: ['ETHUSDT', 'BTCUSDT'], from: T0, to: T0 + 60_000 });

      const openTime = { $gte: new Date(T0), $lt: new Date(T0 + 60_000) };
      expect(db.collection('klines_5m').calls.map((c) => c.args)).toStrictEqual([
        [{ openTime }, { sort: { symbol: 1, openTime: 1 }, hint: 'symbol_1_openTime_1', maxTimeMS: DEFAULT_MAX_TIME_MS }],
        [{ symbol: { $in: ['BTCUSDT', 'ETHUSDT'] }, openTime }, { sort: { symbol: 1, openTime: 1 }, hint: 'symbol_1_openTime_1', maxTimeMS: DEFAULT_MAX_TIME_MS }],
      ]);
    });

    test('gaps are computed by the server: only run edges come back, in chunks of markets', async () => {
      const { db, store } = fakeStore();
      const symbols = Array.from({ length: 450 }, (_, i) => `M${String(i).padStart(3, '0')}USDT`);
      db.collection('klines_1m').aggregateImpl = async (pipeline) => {
        const match = (pipeline[0] as { $match: { symbol: { $in: string[] } } }).$match.symbol.$in;
        // M000USDT holds minutes 0 and 2 of 0..3: edges are both rows.
        return match.includes('M000USDT')
          ? [
              { symbol: 'M000USDT', openTime: new Date(T0), previous: null, next: new Date(T0 + 120_000) },
              { symbol: 'M000USDT', openTime: new Date(T0 + 120_000), previous: new Date(T0), next: null },
            ]
          : [];
      };

      const gaps = await store.gaps('spot', '1m', { from: T0, to: T0 + 240_000 }, symbols);

      const calls = db.collection('klines_1m').calls;
      expect(calls.map((c) => ((c.args[0] as { $match: { symbol: { $in: string[] } } }[])[0].$match.symbol.$in.length))).toStrictEqual([200, 200, 50]);
      expect(calls[0].args[1]).toStrictEqual({ hint: 'symbol_1_openTime_1', maxTimeMS: DEFAULT_MAX_TIME_MS, allowDiskUse: true });
      expect(gaps.get('M000USDT')).toStrictEqual([{ from: T0 + 60_000, to: T0 + 120_000 }, { from: T0 + 180_000, to: T0 + 240_000 }]);
      expect(gaps.get('M449USDT')).toStrictEqual([{ from: T0, to: T0 + 240_000 }]);
    });

    test('a server time limit (MaxTimeMSExpired, 50) is a retryable StoreUnavailableError that says so', async () => {
      const { db, store } = fakeStore({ maxTimeMS: 500 });
      db.collection('klines_1m').findImpl = async () => {
        throw new MongoServerError({ message: 'operation exceeded time limit', code: 50, codeName: 'MaxTimeMSExpired' });
      };

      const attempt = store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 60_000 });

      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(/cannot read klines_1m: the server stopped it at its time limit of 500 ms \(MONGODB_MAX_TIME_MS\)/);
    });

    test('a hint naming an index the collection lacks says to run the schema step', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').findImpl = async () => {
        throw new MongoServerError({ message: 'hint provided does not correspond to an existing index', code: 2 });
      };

      await expect(store.lastOpenTimes('1m', [{ marketType: 'spot', symbol: 'BTCUSDT' }])).rejects.toThrow(/an index the query names is missing .*store migrate/);
    });

    test('network errors on reads are StoreUnavailableError', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').aggregateImpl = async () => {
        throw new MongoNetworkError('socket hang up');
      };

      await expect(store.countByMarket('spot', '1m', { from: T0, to: T0 + 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.gaps('spot', '1m', { from: T0, to: T0 + 60_000 }, ['BTCUSDT'])).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    test('refuses a time limit that is not a positive integer', () => {
      expect(() => fakeStore({ maxTimeMS: 0 })).toThrow(/maxTimeMS must be a positive integer/);
      expect(() => fakeStore({ maxTimeMS: 1.5 })).toThrow(/maxTimeMS/);
    });
  });

  describe('applySchema', () => {
    test('on an empty database: zstd collections, the unique index, numeric views and markets; no TTL by default', async () => {
      const { db, store } = fakeStore();

      const changes = await store.applySchema();

      expect(db.created.filter((c) => KLINE_COLLECTIONS.includes(c.name))).toStrictEqual(KLINE_COLLECTIONS.map((name) => ({ name, options: ZSTD_COLLECTION_OPTIONS })));
      for (const name of KLINE_COLLECTIONS) {
        expect(db.collection(name).calls.filter((c) => c.method === 'createIndex').map((c) => c.args)).toStrictEqual([
          [{ symbol: 1, openTime: 1 }, { name: 'symbol_1_openTime_1', unique: true }],
          // 1m only: the partial provenance index, holding only klines not from the stream.
          ...(ONE_MINUTE_COLLECTIONS.includes(name) ? [[{ symbol: 1, openTime: 1, source: 1 }, { name: 'symbol_1_openTime_1_source_1', partialFilterExpression: { source: { $exists: true } } }]] : []),
        ]);
        expect(db.created).toContainEqual({ name: `${name}_numeric`, options: { viewOn: name, pipeline: numericViewPipeline() } });
      }
      for (const name of ['markets', 'resample_log', 'resample_state', 'audits']) expect(db.created).toContainEqual({ name, options: undefined });
      expect(changes).toContain('klines_1m: created with zstd block compression (WiredTiger reports block_compressor=zstd)');
      expect(changes).toContain('klines_1m: created unique index symbol_1_openTime_1');
      expect(db.collection('klines_1m').calls.find((c) => c.method === 'aggregate')?.args).toStrictEqual([[{ $collStats: { storageStats: {} } }], { maxTimeMS: DEFAULT_MAX_TIME_MS }]);
      expect(changes).toContain('klines_1m: created partial index symbol_1_openTime_1_source_1 (klines not from the stream)');
      expect(changes).not.toContain('klines_5m: created partial index symbol_1_openTime_1_source_1 (klines not from the stream)');
      expect(db.listOptions).toStrictEqual([{ nameOnly: false, maxTimeMS: DEFAULT_MAX_TIME_MS }]);
    });

    test('the numeric view turns every decimal into a double and nothing else', () => {
      expect(numericViewPipeline()).toStrictEqual([
        {
          $set: Object.fromEntries(
            ['open', 'high', 'low', 'close', 'volume', 'quoteVolume', 'takerBuyBaseVolume', 'takerBuyQuoteVolume'].map((f) => [f, { $toDouble: `$${f}` }]),
          ),
        },
      ]);
    });

    test('is idempotent: a second run changes nothing and the check finds nothing', async () => {
      const { db, store } = fakeStore();
      await store.applySchema({ retentionDays: 30 });
      const writes = db.writes().length;

      expect(await store.applySchema({ retentionDays: 30 })).toStrictEqual([]);
      expect(await store.checkSchema({ retentionDays: 30 })).toStrictEqual([]);
      expect(db.writes()).toHaveLength(writes);
    });

    test('with retention, every 1m collection gets the TTL index openTime_1 and no other collection does', async () => {
      const { db, store } = fakeStore();

      await store.applySchema({ retentionDays: 90 });

      for (const name of KLINE_COLLECTIONS) {
        const ttl = db.collection(name).calls.filter((c) => c.method === 'createIndex' && (c.args[1] as FakeIndex).name === 'openTime_1');
        expect(ttl.map((c) => c.args)).toStrictEqual(ONE_MINUTE_COLLECTIONS.includes(name) ? [[{ openTime: 1 }, { name: 'openTime_1', expireAfterSeconds: 90 * 86_400 }]] : []);
      }
    });

    test('migrates a round-1 database: drops the old openTime_1 read index, keeps an unconfigured TTL, adds the unique index', async () => {
      const { db, store } = fakeStore();
      db.exists('klines_1m', [{ name: 'openTime_1', key: { openTime: 1 }, expireAfterSeconds: 90 * 86_400 }]);
      db.exists('klines_5m', [{ name: 'openTime_1', key: { openTime: 1 } }]);
      db.exists('markets');

      const changes = await store.applySchema();

      expect(db.collection('klines_5m').calls.filter((c) => c.method === 'dropIndex').map((c) => c.args)).toStrictEqual([['openTime_1']]);
      expect(db.collection('klines_1m').calls.filter((c) => c.method === 'dropIndex')).toStrictEqual([]);
      expect(db.collection('klines_1m').indexes.map((i) => i.name)).toStrictEqual(['_id_', 'openTime_1', 'symbol_1_openTime_1', 'symbol_1_openTime_1_source_1']);
      expect(db.created.map((c) => c.name)).not.toContain('klines_1m');
      expect(changes).toContain("klines_5m: dropped round 1's index openTime_1");
    });

    test('changes a TTL in place with collMod, and removes it by dropping the index', async () => {
      const { db, store } = fakeStore();
      await store.applySchema({ retentionDays: 90 });

      const changed = await store.applySchema({ retentionDays: 30 });
      expect(db.commands.filter((c) => 'index' in c)).toStrictEqual(
        ONE_MINUTE_COLLECTIONS.map((name) => ({ collMod: name, index: { name: 'openTime_1', expireAfterSeconds: 30 * 86_400 } })),
      );
      expect(changed).toContain('klines_1m: TTL changed from 90 days to 30 days');

      const removed = await store.applySchema({ retentionDays: null });
      expect(db.collection('klines_1m').indexes.map((i) => i.name)).toStrictEqual(['_id_', 'symbol_1_openTime_1', 'symbol_1_openTime_1_source_1']);
      expect(removed).toContain('klines_1m: removed the TTL of 30 days (index openTime_1 dropped)');
    });

    test('a 1m collection with round 1 plain openTime_1 and a configured retention gets a TTL index instead', async () => {
      const { db, store } = fakeStore();
      db.exists('klines_1m', [{ name: 'openTime_1', key: { openTime: 1 } }]);

      await store.applySchema({ retentionDays: 7 });

      expect(db.collection('klines_1m').indexes.find((i) => i.name === 'openTime_1')).toStrictEqual({ name: 'openTime_1', key: { openTime: 1 }, expireAfterSeconds: 7 * 86_400 });
    });

    test.each([
      [72, 'InvalidOptions'],
      [2, 'BadValue'],
    ])('falls back to a plain collection when the server refuses zstd with %i %s, and says so', async (code, codeName) => {
      const { db, store } = fakeStore();
      db.createCollectionImpl = async (_name, options) => {
        if ((options as { storageEngine?: unknown } | undefined)?.storageEngine) throw new MongoServerError({ message: 'unknown storage option', code, codeName });
      };

      const changes = await store.applySchema();

      expect(db.created.filter((c) => c.name === 'klines_1m')).toStrictEqual([
        { name: 'klines_1m', options: ZSTD_COLLECTION_OPTIONS },
        { name: 'klines_1m', options: undefined },
      ]);
      expect(changes).toContain(`klines_1m: created WITHOUT zstd (the server's default compression): the server refused the option (${codeName}: unknown storage option)`);
    });

    test('logs what the storage engine made of the zstd option: another compressor, or that it could not be read', async () => {
      const { db, store } = fakeStore();
      // A server that accepts the option but keeps its own settings (e.g. a managed tier rewriting options).
      db.createCollectionImpl = async (name) => {
        if (name === 'klines_5m') db.collection(name).aggregate = () => ({ toArray: async () => Promise.reject(new MongoServerError({ message: 'not authorized to execute $collStats', code: 13 })) });
      };
      const realCreate = db.createCollection.bind(db);
      db.createCollection = async (name, options) => {
        await realCreate(name, options);
        if (name === 'klines_1m') db.collection(name).creationString = 'allocation_size=4KB,block_compressor=snappy,checksum=on';
        if (name === 'klines_15m') db.collection(name).creationString = undefined;
      };

      const changes = await store.applySchema();

      expect(changes).toContain('klines_1m: created, but WiredTiger reports block_compressor=snappy, not the zstd asked for');
      expect(changes).toContain('klines_5m: created asking for zstd block compression; what the storage engine uses could not be read ($collStats failed: not authorized to execute $collStats)');
      expect(changes).toContain('klines_15m: created asking for zstd block compression; what the storage engine uses could not be read ($collStats gave no WiredTiger creation string)');
      expect(changes).toContain('klines_30m: created with zstd block compression (WiredTiger reports block_compressor=zstd)');
      // The step carried on: every collection got its index.
      expect(db.collection('klines_5m').indexes.map((i) => i.name)).toContain('symbol_1_openTime_1');
    });

    test('a failover (network error) while creating is not "not supported": the step fails and nothing is created plain', async () => {
      const { db, store } = fakeStore();
      db.createCollectionImpl = async () => {
        throw new MongoNetworkError('connection 3 to cluster0-shard-00-01:27017 closed');
      };

      await expect(store.applySchema()).rejects.toThrow(/closed/);
      expect(db.created).toStrictEqual([{ name: 'klines_1m', options: ZSTD_COLLECTION_OPTIONS }]);
    });

    test('does not fall back on other errors: an unauthorised credential fails the step and creates nothing plain', async () => {
      const { db, store } = fakeStore();
      db.createCollectionImpl = async () => {
        throw new MongoServerError({ message: 'not authorized on klines to execute command { create: "klines_1m" }', code: 13, codeName: 'Unauthorized' });
      };

      await expect(store.applySchema()).rejects.toThrow(/cannot apply the schema: .*not authorized/);
      expect(db.created).toStrictEqual([{ name: 'klines_1m', options: ZSTD_COLLECTION_OPTIONS }]);
    });

    test('isZstdUnsupported accepts only the "not supported" answers', () => {
      expect(isZstdUnsupported(new MongoServerError({ message: 'x', code: 72 }))).toBe(true);
      expect(isZstdUnsupported(new MongoServerError({ message: 'storageEngine is not allowed in this atlas tier', code: 8000 }))).toBe(true);
      expect(isZstdUnsupported(new MongoServerError({ message: 'user is not allowed to do action [createCollection]', code: 8000 }))).toBe(false);
      expect(isZstdUnsupported(new MongoServerError({ message: 'x', code: 13 }))).toBe(false);
      expect(isZstdUnsupported(new MongoNetworkError('x'))).toBe(false);
    });

    test('updates a numeric view whose definition changed', async () => {
      const { db, store } = fakeStore();
      await store.applySchema();
      db.infos.set('klines_1h_numeric', { name: 'klines_1h_numeric', type: 'view', options: { viewOn: 'klines_1h', pipeline: [{ $set: { open: { $toDouble: '$open' } } }] } });

      const changes = await store.applySchema();

      expect(changes).toStrictEqual(['klines_1h_numeric: view definition updated']);
      expect(db.commands.at(-1)).toStrictEqual({ collMod: 'klines_1h_numeric', viewOn: 'klines_1h', pipeline: numericViewPipeline() });
    });

    test('refuses to touch a collection where a view should be', async () => {
      const { db, store } = fakeStore();
      db.exists('klines_5m_numeric');

      await expect(store.applySchema()).rejects.toThrow(/klines_5m_numeric exists and is a collection, not a view/);
    });
  });

  describe('audits', () => {
    const DAY = 86_400_000;
    const D0 = Date.UTC(2025, 5, 1);
    const audit = { day: '2025-06-01', range: { from: D0, to: D0 + DAY }, markets: [], totals: { equal: 1 } } as never;

    test('saves a day as one upserted document keyed by the day, the result as text, with a time limit', async () => {
      const { db, store } = fakeStore();

      await store.saveAudit(audit);

      expect(db.collection('audits').calls).toStrictEqual([
        { method: 'replaceOne', args: [{ _id: '2025-06-01' }, { result: JSON.stringify(audit) }, { upsert: true, maxTimeMS: DEFAULT_MAX_TIME_MS }] },
      ]);
    });

    test('reads the whole days of a range on the _id index, with a time limit, and refuses a document that is not that day’s audit', async () => {
      const { db, store } = fakeStore();
      db.collection('audits').findImpl = () => [{ _id: '2025-06-01', result: JSON.stringify(audit) }];

      expect(await store.readAudits({ from: D0 - 1, to: D0 + 2 * DAY })).toStrictEqual([audit]);
      expect(db.collection('audits').calls).toStrictEqual([
        { method: 'find', args: [{ _id: { $gte: '2025-06-01', $lte: '2025-06-02' } }, { sort: { _id: 1 }, hint: { _id: 1 }, maxTimeMS: DEFAULT_MAX_TIME_MS }] },
      ]);

      db.collection('audits').findImpl = () => [{ _id: '2025-06-01', result: '{"day":"2025-05-31"}' }];
      await expect(store.readAudits({ from: D0, to: D0 + DAY })).rejects.toThrow(/audits document 2025-06-01: not an audit result of 2025-06-01/);
    });
  });

  describe('readRetention (history refuses days the TTL would delete)', () => {
    test("reads the 1m collection's TTL with one listIndexes, under the time limit; the other intervals are not asked", async () => {
      const { db, store } = fakeStore({ maxTimeMS: 2345 });
      db.exists('klines_1m', [{ name: 'openTime_1', key: { openTime: 1 }, expireAfterSeconds: 30 * 86_400 }]);
      db.exists('klines_5m', [{ name: 'openTime_1', key: { openTime: 1 }, expireAfterSeconds: 86_400 }]);

      expect(await store.readRetention('spot')).toBe(30 * 86_400);
      expect(db.collection('klines_1m').calls).toStrictEqual([{ method: 'listIndexes', args: [{ maxTimeMS: 2345 }] }]);
      expect(db.collection('klines_5m').calls).toStrictEqual([]);
    });

    test('each market type reads its own 1m collection', async () => {
      const { db, store } = fakeStore();
      db.exists('klines_1m', [{ name: 'openTime_1', key: { openTime: 1 }, expireAfterSeconds: 90 * 86_400 }]);
      db.exists('usdm_klines_1m', [{ name: 'openTime_1', key: { openTime: 1 }, expireAfterSeconds: 14 * 86_400 }]);
      db.exists('coinm_klines_1m');

      expect(await store.readRetention('usdm')).toBe(14 * 86_400);
      expect(await store.readRetention('coinm')).toBeNull();
      expect(db.collection('usdm_klines_1m').calls.map((c) => c.method)).toStrictEqual(['listIndexes']);
    });

    test('what the schema step sets is what is read back: added, changed, removed', async () => {
      const { store } = fakeStore();
      await store.applySchema({ retentionDays: 7 });
      expect(await store.readRetention('spot')).toBe(7 * 86_400);
      await store.applySchema({ retentionDays: 3 });
      expect(await store.readRetention('coinm')).toBe(3 * 86_400);
      await store.applySchema({ retentionDays: null });
      expect(await store.readRetention('spot')).toBeNull();
    });

    test('no TTL: the unique key and provenance indexes (and round 1\'s plain openTime_1) mean no retention', async () => {
      const { db, store } = fakeStore();
      db.exists('klines_1m', [
        { name: 'symbol_1_openTime_1', key: { symbol: 1, openTime: 1 }, unique: true },
        { name: 'openTime_1', key: { openTime: 1 } },
      ]);
      expect(await store.readRetention('spot')).toBeNull();
    });

    test('a TTL index made by hand under another name deletes klines all the same: the shortest one is read', async () => {
      const { db, store } = fakeStore();
      db.exists('klines_1m', [
        { name: 'openTime_1', key: { openTime: 1 }, expireAfterSeconds: 30 * 86_400 },
        { name: 'expire_fast', key: { openTime: 1 }, expireAfterSeconds: 2 * 86_400 },
      ]);
      expect(await store.readRetention('spot')).toBe(2 * 86_400);
    });

    test('a collection that does not exist yet (NamespaceNotFound) keeps everything; a lost connection is StoreUnavailableError', async () => {
      const { db, store } = fakeStore();
      db.collection('klines_1m').listIndexes = () => ({
        toArray: async () => Promise.reject(new MongoServerError({ message: 'ns does not exist: klines.klines_1m', code: 26, codeName: 'NamespaceNotFound' })),
      });
      expect(await store.readRetention('spot')).toBeNull();

      db.collection('klines_1m').listIndexes = () => ({ toArray: async () => Promise.reject(new MongoNetworkError('socket hang up')) });
      const attempt = store.readRetention('spot');
      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(/read the retention of klines_1m/);
    });
  });

  describe('checkSchema', () => {
    test('on an empty database: every collection and view missing, nothing created', async () => {
      const { db, store } = fakeStore();

      const differences = await store.checkSchema();

      expect(differences.filter((d) => d.kind === 'missing-collection').map((d) => d.collection)).toStrictEqual([...KLINE_COLLECTIONS, 'markets', 'resample_log', 'resample_state', 'audits']);
      expect(differences.filter((d) => d.kind === 'missing-view').map((d) => d.collection)).toStrictEqual(KLINE_COLLECTIONS.map((n) => `${n}_numeric`));
      expect(db.writes()).toStrictEqual([]);
    });

    test('a TTL present but not configured is a warning (the IndexOptionsConflict case), a round-1 index and a missing unique index too', async () => {
      const { db, store } = fakeStore();
      await store.applySchema({ retentionDays: 90 });
      await db.collection('klines_5m').dropIndex('symbol_1_openTime_1');
      db.collection('klines_15m').indexes.push({ name: 'openTime_1', key: { openTime: 1 } });
      const writes = db.writes().length;

      const differences = await store.checkSchema();

      expect(differences.map((d) => [d.kind, d.collection])).toStrictEqual([
        ['ttl-not-configured', 'klines_1m'],
        ['missing-index', 'klines_5m'],
        ['obsolete-index', 'klines_15m'],
        ['ttl-not-configured', 'usdm_klines_1m'],
        ['ttl-not-configured', 'coinm_klines_1m'],
      ]);
      expect(differences[0].message).toMatch(/klines_1m has a TTL of 90 days that is not configured: MongoDB deletes 1m klines older than that\. Set KLINE_1M_RETENTION_DAYS=90, or remove it with `store migrate --no-retention`/);
      expect(db.writes()).toHaveLength(writes);
    });

    test('a missing or different provenance index is reported; the schema step creates a missing one and refuses to replace a different one', async () => {
      const { db, store } = fakeStore();
      await store.applySchema();
      await db.collection('klines_1m').dropIndex('symbol_1_openTime_1_source_1');
      const usdm = db.collection('usdm_klines_1m');
      usdm.indexes = usdm.indexes.map((i) => (i.name === 'symbol_1_openTime_1_source_1' ? { name: i.name, key: i.key } : i)); // not partial: would index every kline

      const differences = await store.checkSchema();

      expect(differences.map((d) => [d.kind, d.collection])).toStrictEqual([
        ['missing-index', 'klines_1m'],
        ['index-differs', 'usdm_klines_1m'],
      ]);
      expect(differences[0].message).toMatch(/klines_1m has no partial index symbol_1_openTime_1_source_1.*store migrate/);
      expect(differences[1].message).toMatch(/expected \{"symbol":1,"openTime":1,"source":1\} partial \{"source":\{"\$exists":true\}\}/);
      await expect(store.applySchema()).rejects.toThrow(/usdm_klines_1m: index symbol_1_openTime_1_source_1 is .*drop it, then migrate again/);
      expect(db.collection('klines_1m').indexes.map((i) => i.name)).toContain('symbol_1_openTime_1_source_1');
    });

    test('migrates the previous provenance index openTime_1_source_1_symbol_1: reported until then; the step creates the new index first, then drops the old one', async () => {
      const { db, store } = fakeStore();
      await store.applySchema();
      for (const name of ONE_MINUTE_COLLECTIONS) {
        const c = db.collection(name);
        // As the previous version made it: same filter, open time first.
        c.indexes = c.indexes.map((i) => (i.name === 'symbol_1_openTime_1_source_1' ? { ...i, name: 'openTime_1_source_1_symbol_1', key: { openTime: 1, source: 1, symbol: 1 } } : i));
        c.calls.length = 0;
      }

      const differences = await store.checkSchema();
      const changes = await store.applySchema();
      const again = await store.applySchema();

      expect(differences.map((d) => [d.kind, d.collection])).toStrictEqual(ONE_MINUTE_COLLECTIONS.flatMap((c) => [['obsolete-index', c], ['missing-index', c]]));
      expect(differences[0].message).toMatch(/previous provenance index openTime_1_source_1_symbol_1.*store migrate.*symbol_1_openTime_1_source_1/);
      for (const name of ONE_MINUTE_COLLECTIONS) {
        const c = db.collection(name);
        expect(c.calls.filter((x) => x.method === 'createIndex' || x.method === 'dropIndex').map((x) => [x.method, ...x.args])).toStrictEqual([
          ['createIndex', { symbol: 1, openTime: 1, source: 1 }, { name: 'symbol_1_openTime_1_source_1', partialFilterExpression: { source: { $exists: true } } }],
          ['dropIndex', 'openTime_1_source_1_symbol_1'],
        ]);
        expect(c.indexes.map((i) => i.name)).toStrictEqual(['_id_', 'symbol_1_openTime_1', 'symbol_1_openTime_1_source_1']);
        expect(changes).toContain(`${name}: dropped the previous provenance index openTime_1_source_1_symbol_1 (replaced by symbol_1_openTime_1_source_1)`);
      }
      expect(again).toStrictEqual([]);
      expect(await store.checkSchema()).toStrictEqual([]);
    });

    test('a configured retention that differs from the TTL, or has none, is reported', async () => {
      const { store } = fakeStore();
      await store.applySchema({ retentionDays: 90 });

      expect((await store.checkSchema({ retentionDays: 30 })).map((d) => d.kind)).toStrictEqual(['ttl-differs', 'ttl-differs', 'ttl-differs']);
      await store.applySchema({ retentionDays: null });
      expect((await store.checkSchema({ retentionDays: 30 })).map((d) => [d.kind, d.collection])).toStrictEqual(ONE_MINUTE_COLLECTIONS.map((c) => ['ttl-missing', c]));
    });

    test('openStore warns once per difference and opens anyway; the check changes nothing', async () => {
      const { db } = fakeStore();
      await new MongoKlineStore({ client: { db: () => db } as unknown as MongoClient, database: 'klines' }).applySchema({ retentionDays: 90 });
      const writes = db.writes().length;
      const warnings: string[] = [];

      const store = await openStore(
        { kind: 'mongodb', uri: 'mongodb://unused', database: 'klines' },
        { mongoClient: { db: () => db } as unknown as MongoClient, warn: (m) => warnings.push(m) },
      );

      expect(store).toBeInstanceOf(MongoKlineStore);
      expect(warnings).toHaveLength(3);
      expect(warnings[0]).toMatch(/klines_1m has a TTL of 90 days that is not configured/);
      expect(db.writes()).toHaveLength(writes);
    });
  });

  describe('migrateStore (the deploy\'s custom resource)', () => {
    test('applies the schema through a shared client and leaves the client open', async () => {
      const db = new FakeDb();
      let closed = false;
      const client = { db: () => db, close: async () => void (closed = true) } as unknown as MongoClient;

      const changes = await migrateStore({ kind: 'mongodb', uri: 'mongodb://unused', database: 'klines' }, { mongoClient: client, retentionDays: 14 });

      expect(changes).toContain('klines_1m: TTL of 14 days added (index openTime_1)');
      expect(closed).toBe(false);
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
      await expect(attempt).rejects.toThrow(/cannot check the schema/);
    });
  });
});
