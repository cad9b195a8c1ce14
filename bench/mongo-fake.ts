/**
 * A counting stand-in for the MongoDB driver's Db/Collection API, for benchmarks that measure
 * what the MongoDB adapter asks of the server (no server runs here). Filters, sorts and
 * pipelines are evaluated by `mingo` (MongoDB's query language in memory).
 *
 * `examined` models the server's docsExamined with the indexes the schema step creates
 * (`_id_`, the unique `symbol_1_openTime_1`): a query or pipeline whose first filter names the
 * symbol (equality, `$in`, an `_id` range or an `$or` of those) is served by an index and
 * examines the documents it matches (at most `limit` when the sort follows the index);
 * anything else scans the collection.
 */
import { Aggregator, Query } from 'mingo';
import { ObjectId } from 'mongodb';

type Doc = Record<string, unknown>;

export interface CollectionCounts {
  /** Documents the server would examine. */
  examined: number;
  /** Documents returned to the client. */
  returned: number;
  /** Documents inserted or changed. */
  written: number;
  operations: number;
}

function namesSymbol(filter: unknown): boolean {
  if (filter === null || typeof filter !== 'object') return false;
  const f = filter as Doc;
  if ('symbol' in f || '_id' in f) return true;
  if (Array.isArray(f.$or)) return f.$or.length > 0 && f.$or.every(namesSymbol);
  if (Array.isArray(f.$and)) return f.$and.some(namesSymbol);
  return false;
}

function keyOf(filter: Doc): string | undefined {
  const keys = Object.keys(filter);
  if (keys.length === 1 && keys[0] === '_id' && typeof filter._id !== 'object') return `id:${String(filter._id)}`;
  if (keys.length === 1 && keys[0] === '_id' && filter._id && typeof (filter._id as { toHexString?: unknown }).toHexString === 'function') {
    return `id:${(filter._id as { toHexString(): string }).toHexString()}`;
  }
  if (keys.length === 2 && typeof filter.symbol === 'string' && filter.openTime instanceof Date) return `k:${filter.symbol}|${filter.openTime.getTime()}`;
  return undefined;
}

class FakeCursor {
  private sortSpec: Doc | undefined;
  private limitN: number | undefined;
  private projection: Doc | undefined;

  constructor(
    private readonly collection: FakeCollection,
    private readonly filter: Doc,
    options: { projection?: Doc; sort?: Doc; limit?: number } = {},
  ) {
    this.projection = options.projection;
    this.sortSpec = options.sort;
    this.limitN = options.limit;
  }

  sort(spec: Doc) {
    this.sortSpec = spec;
    return this;
  }
  limit(n: number) {
    this.limitN = n;
    return this;
  }
  project(p: Doc) {
    this.projection = p;
    return this;
  }
  hint() {
    return this;
  }
  maxTimeMS() {
    return this;
  }
  allowDiskUse() {
    return this;
  }
  batchSize() {
    return this;
  }
  comment() {
    return this;
  }

  async toArray(): Promise<Doc[]> {
    return this.collection.runFind(this.filter, this.sortSpec, this.limitN, this.projection);
  }

  async next(): Promise<Doc | null> {
    return (await this.toArray())[0] ?? null;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Doc> {
    for (const d of await this.toArray()) yield d;
  }

  async close(): Promise<void> {}
}

export class FakeCollection {
  readonly docs = new Map<string, Doc>();
  readonly counts: CollectionCounts = { examined: 0, returned: 0, written: 0, operations: 0 };

  constructor(readonly name: string) {}

  private all(): Doc[] {
    return [...this.docs.values()];
  }

  private storeKey(doc: Doc): string {
    if (typeof doc.symbol === 'string' && doc.openTime instanceof Date) return `k:${doc.symbol}|${doc.openTime.getTime()}`;
    const id = doc._id as { toHexString?: () => string } | string | undefined;
    return `id:${typeof id === 'object' && id?.toHexString ? id.toHexString() : String(id)}`;
  }

  private findOne(filter: Doc): Doc | undefined {
    const key = keyOf(filter);
    if (key !== undefined) return this.docs.get(key);
    return new Query(filter).find<Doc>(this.all()).next() as Doc | undefined;
  }

  runFind(filter: Doc, sort: Doc | undefined, limit: number | undefined, projection: Doc | undefined): Doc[] {
    this.counts.operations++;
    const indexed = namesSymbol(filter);
    let cursor = new Query(filter).find<Doc>(this.all(), projection);
    if (sort) cursor = cursor.sort(sort);
    if (limit) cursor = cursor.limit(limit);
    const out = cursor.all() as Doc[];
    const matched = limit && indexed ? out.length : indexed ? out.length : this.docs.size;
    this.counts.examined += indexed ? matched : this.docs.size;
    this.counts.returned += out.length;
    return out;
  }

  find(filter: Doc = {}, options?: { projection?: Doc; sort?: Doc; limit?: number }): FakeCursor {
    return new FakeCursor(this, filter, options);
  }

  aggregate(pipeline: Doc[]): FakeCursor & { toArray(): Promise<Doc[]> } {
    const self = this;
    const run = (): Doc[] => {
      self.counts.operations++;
      const first = pipeline[0] as { $match?: Doc } | undefined;
      const docs = self.all();
      if (first?.$match && namesSymbol(first.$match)) self.counts.examined += new Query(first.$match).find(docs).all().length;
      else self.counts.examined += docs.length;
      const out = new Aggregator(pipeline as never).run(docs) as Doc[];
      self.counts.returned += out.length;
      return out;
    };
    const cursor = {
      toArray: async () => run(),
      async *[Symbol.asyncIterator]() {
        for (const d of run()) yield d;
      },
      maxTimeMS: () => cursor,
      hint: () => cursor,
      allowDiskUse: () => cursor,
      batchSize: () => cursor,
      close: async () => undefined,
    };
    return cursor as unknown as FakeCursor & { toArray(): Promise<Doc[]> };
  }

  private put(doc: Doc): void {
    // As the driver does before sending: a document without `_id` gets an ObjectId.
    if (doc._id === undefined) doc._id = new ObjectId();
    this.docs.set(this.storeKey(doc), doc);
  }

  async bulkWrite(ops: Doc[]): Promise<{ upsertedCount: number; modifiedCount: number; matchedCount: number; insertedCount: number; deletedCount: number }> {
    this.counts.operations++;
    let upsertedCount = 0;
    let modifiedCount = 0;
    let matchedCount = 0;
    let insertedCount = 0;
    for (const op of ops) {
      const [kind, body] = Object.entries(op)[0] as [string, Doc];
      if (kind === 'insertOne') {
        this.put({ ...(body.document as Doc) });
        insertedCount++;
        continue;
      }
      const filter = body.filter as Doc;
      const existing = this.findOne(filter);
      if (kind === 'replaceOne') {
        const replacement = { ...(body.replacement as Doc) };
        if (existing) {
          matchedCount++;
          const next = { ...replacement, _id: existing._id };
          if (JSON.stringify(next) !== JSON.stringify(existing)) {
            this.docs.delete(this.storeKey(existing));
            this.put(next);
            modifiedCount++;
          }
        } else if (body.upsert) {
          this.put({ ...replacement, ...(typeof filter._id === 'string' ? { _id: filter._id } : {}) });
          upsertedCount++;
        }
      } else if (kind === 'updateOne') {
        const update = body.update as { $set?: Doc; $setOnInsert?: Doc };
        if (existing) {
          matchedCount++;
          if (update.$set) {
            const next = { ...existing, ...update.$set };
            if (JSON.stringify(next) !== JSON.stringify(existing)) {
              this.docs.delete(this.storeKey(existing));
              this.put(next);
              modifiedCount++;
            }
          }
        } else if (body.upsert) {
          const base: Doc = {};
          for (const [k, v] of Object.entries(filter)) if (typeof v !== 'object' || v instanceof Date) base[k] = v;
          this.put({ ...base, ...update.$setOnInsert, ...update.$set });
          upsertedCount++;
        }
      } else {
        throw new Error(`fake bulkWrite: ${kind} is not supported`);
      }
    }
    this.counts.written += upsertedCount + modifiedCount + insertedCount;
    return { upsertedCount, modifiedCount, matchedCount, insertedCount, deletedCount: 0 };
  }

  async insertOne(doc: Doc): Promise<{ acknowledged: true }> {
    this.counts.operations++;
    this.put({ ...doc });
    this.counts.written++;
    return { acknowledged: true };
  }

  async deleteMany(filter: Doc): Promise<{ deletedCount: number }> {
    this.counts.operations++;
    const gone = new Query(filter).find<Doc>(this.all()).all() as Doc[];
    for (const d of gone) this.docs.delete(this.storeKey(d));
    return { deletedCount: gone.length };
  }

  async countDocuments(filter: Doc = {}): Promise<number> {
    return new Query(filter).find(this.all()).all().length;
  }

  async createIndex(): Promise<string> {
    return 'index';
  }
  async indexes(): Promise<Doc[]> {
    return [];
  }
  listIndexes() {
    return { toArray: async () => [] };
  }
  async drop(): Promise<boolean> {
    this.docs.clear();
    return true;
  }
}

export class FakeDb {
  readonly collections = new Map<string, FakeCollection>();

  collection(name: string): FakeCollection {
    let c = this.collections.get(name);
    if (!c) this.collections.set(name, (c = new FakeCollection(name)));
    return c;
  }

  listCollections() {
    return { toArray: async () => [...this.collections.keys()].map((name) => ({ name, type: 'collection', options: {} })) };
  }

  async createCollection(name: string): Promise<FakeCollection> {
    return this.collection(name);
  }

  async command(): Promise<Doc> {
    return { ok: 1 };
  }

  /** Counts summed over the collections whose name passes `which`. */
  total(which: (name: string) => boolean = () => true): CollectionCounts {
    const t: CollectionCounts = { examined: 0, returned: 0, written: 0, operations: 0 };
    for (const [name, c] of this.collections) {
      if (!which(name)) continue;
      t.examined += c.counts.examined;
      t.returned += c.counts.returned;
      t.written += c.counts.written;
      t.operations += c.counts.operations;
    }
    return t;
  }

  reset(): void {
    for (const c of this.collections.values()) Object.assign(c.counts, { examined: 0, returned: 0, written: 0, operations: 0 });
  }
}

/** A client whose `db()` is the fake; pass as `{ client }` to MongoKlineStore. */
export function fakeMongoClient(db = new FakeDb()): { client: unknown; db: FakeDb } {
  return { client: { db: () => db, close: async () => undefined }, db };
}
