/**
 * The MongoDB KlineStore (official driver). Documents, operations and filters are built in
 * `mongo-documents.ts`; this file ships them and maps driver errors:
 * - per-kline write errors of the unordered bulk write → `failures` by batch index;
 * - anything that fails the whole operation (network, server selection, closed client, write
 *   concern) → `StoreUnavailableError`, and the caller treats the whole batch as not stored.
 *   Retrying is safe: every write is an idempotent upsert.
 */
import {
  MongoBulkWriteError,
  MongoClient,
  MongoError,
  MongoServerError,
  type Collection,
  type Db,
  type MongoClientOptions,
} from 'mongodb';
import { StoreUnavailableError } from '../errors';
import { STORED_INTERVALS, collectionName, intervalMs, type StoredInterval } from '../interval';
import type { Kline } from '../kline';
import { MARKET_STATUSES, type MarketStatus, type MarketStatusEvent } from '../market';
import { assertMarketEvents, prepareBatch } from './batch';
import { gapsFromOpenTimes } from './gaps';
import {
  ZSTD_COLLECTION_OPTIONS,
  klineBulk,
  klineFromDocument,
  klineRangeFilter,
  marketStatusOperation,
  parseKlineId,
  retentionSeconds,
  sortSymbols,
  type KlineDocument,
  type MarketDocument,
} from './mongo-documents';
import type { KlineStore, MinuteRun, ReadQuery, ResampleLogEntry, ResampleWatermark, TimeRange, UpsertFailure, UpsertResult } from './port';
import { MongoResampleLog } from './mongo-resample-log';
import { minuteRuns } from './resample-log';

export interface MongoStoreOptions {
  database: string;
  /** A shared client (e.g. a Lambda's module-scope client); `close()` leaves it open. */
  client?: MongoClient;
  /** Used when no client is given; the store then owns the client and closes it. */
  uri?: string;
  clientOptions?: MongoClientOptions;
  /** When set, `klines_1m` documents expire this many days after their open time (TTL index). */
  retentionDays?: number;
}

/** Markets per query when reading several markets: each is one `_id` range of the `$or`. */
const SYMBOLS_PER_QUERY = 200;

/** Time limit of the resampler's bookkeeping operations. */
const RESAMPLE_LOG_MAX_TIME_MS = 30_000;

const NAMESPACE_EXISTS = 48;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;

export class MongoKlineStore implements KlineStore {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly db: Db;
  private readonly retention: number | undefined;
  private readonly resampleLog: MongoResampleLog;

  constructor(private readonly options: MongoStoreOptions) {
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else if (options.uri) {
      this.client = new MongoClient(options.uri, options.clientOptions);
      this.ownsClient = true;
    } else {
      throw new TypeError('MongoKlineStore needs a client or a uri');
    }
    this.retention = retentionSeconds(options.retentionDays);
    this.db = this.client.db(options.database);
    this.resampleLog = new MongoResampleLog(this.db, RESAMPLE_LOG_MAX_TIME_MS);
  }

  async init(): Promise<void> {
    await this.guard('initialise', async () => {
      const existing = new Set((await this.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
      for (const interval of STORED_INTERVALS) {
        const name = collectionName(interval);
        if (!existing.has(name)) await this.createCompressed(name);
        await this.ensureOpenTimeIndex(name, interval === '1m' ? this.retention : undefined);
      }
      if (!existing.has('markets')) await this.createIfAbsent('markets');
    });
  }

  async upsert(interval: StoredInterval, klines: readonly Kline[]): Promise<UpsertResult> {
    const { accepted, failures, replaced } = prepareBatch(interval, klines);
    if (accepted.length === 0) return { written: 0, failures };
    let bulk: ReturnType<typeof klineBulk>;
    try {
      bulk = klineBulk(klines, accepted, interval);
    } catch (e) {
      // storeProblem refuses what Decimal128 cannot hold; reaching here is a bug, not bad data.
      throw new Error(`building MongoDB documents failed: ${(e as Error).message}`, { cause: e });
    }
    const name = collectionName(interval);
    return this.guard(`write ${name}`, async () => {
      try {
        const r = await this.klines(interval).bulkWrite(bulk.operations, { ordered: false });
        if (interval === '1m') await this.resampleLog.appendRuns(minuteRuns(klines, accepted));
        return { written: r.upsertedCount + r.modifiedCount, failures };
      } catch (e) {
        const partial = partialBulkFailure(e, bulk.batchIndexes);
        if (!partial) throw e;
        // A refused kline also leaves the earlier klines of its key (which it replaced) unstored.
        const refused = partial.failures.flatMap((f) => [f, ...(replaced.get(f.index) ?? []).map((index) => ({ index, reason: f.reason }))]);
        if (interval === '1m') {
          const refusedIndexes = new Set(refused.map((f) => f.index));
          await this.resampleLog.appendRuns(minuteRuns(klines, accepted.filter((i) => !refusedIndexes.has(i))));
        }
        return { written: partial.written, failures: [...failures, ...refused].sort((a, b) => a.index - b.index) };
      }
    });
  }

  async read(query: ReadQuery): Promise<Kline[]> {
    const name = collectionName(query.interval);
    return this.guard(`read ${name}`, async () => {
      const out: Kline[] = [];
      for (const filter of this.filters(query.from, query.to, query.symbols)) {
        const docs = await this.klines(query.interval).find(filter).sort({ _id: 1 }).allowDiskUse(true).toArray();
        for (const d of docs) out.push(klineFromDocument(d, query.interval));
      }
      return out;
    });
  }

  async countByMarket(interval: StoredInterval, range: TimeRange): Promise<Map<string, number>> {
    return this.guard(`count ${collectionName(interval)}`, async () => {
      const rows = await this.klines(interval)
        .aggregate<{ _id: string; n: number }>([{ $match: klineRangeFilter(range.from, range.to) }, { $group: { _id: '$symbol', n: { $sum: 1 } } }], {
          allowDiskUse: true,
        })
        .toArray();
      return new Map(rows.map((r) => [r._id, r.n]));
    });
  }

  async gaps(interval: StoredInterval, range: TimeRange, symbols: readonly string[]): Promise<Map<string, TimeRange[]>> {
    return this.guard(`find gaps in ${collectionName(interval)}`, async () => {
      const times = new Map<string, number[]>(symbols.map((s) => [s, []]));
      for (const filter of this.filters(range.from, range.to, symbols)) {
        // Only `_id` is read, so the `_id` index answers without touching documents.
        const cursor = this.klines(interval).find(filter, { projection: { _id: 1 } }).sort({ _id: 1 });
        for await (const doc of cursor) {
          const key = parseKlineId(doc._id);
          if (key) times.get(key.symbol)?.push(key.openTime);
        }
      }
      const step = intervalMs(interval);
      return new Map(symbols.map((s) => [s, gapsFromOpenTimes(times.get(s) ?? [], range, step)]));
    });
  }

  async lastOpenTimes(interval: StoredInterval): Promise<Map<string, number>> {
    return this.guard(`read last open times of ${collectionName(interval)}`, async () => {
      const rows = await this.klines(interval)
        .aggregate<{ _id: string; last: Date }>([{ $group: { _id: '$symbol', last: { $max: '$openTime' } } }], { allowDiskUse: true })
        .toArray();
      return new Map(rows.map((r) => [r._id, r.last.getTime()]));
    });
  }

  async recordMarketStatus(events: readonly MarketStatusEvent[]): Promise<void> {
    assertMarketEvents(events);
    if (events.length === 0) return;
    await this.guard('record market status', async () => {
      await this.markets().bulkWrite(events.map(marketStatusOperation), { ordered: false });
    });
  }

  async marketHistory(): Promise<MarketStatusEvent[]> {
    return this.guard('read market history', async () => {
      const docs = await this.markets().find({}).sort({ symbol: 1, at: 1, status: 1 }).toArray();
      return docs.map((d) => {
        if (!(MARKET_STATUSES as readonly string[]).includes(d.status)) {
          throw new StoreUnavailableError(`MongoDB markets collection holds unknown status "${d.status}" (_id ${d._id})`);
        }
        return { symbol: d.symbol, status: d.status as MarketStatus, at: d.at.getTime() };
      });
    });
  }

  async readResampleLog(limit: number): Promise<ResampleLogEntry[]> {
    return this.guard('read resample_log', () => this.resampleLog.read(limit));
  }

  async settleResampleLog(consumed: readonly string[], carried: readonly MinuteRun[]): Promise<void> {
    await this.guard('settle resample_log', () => this.resampleLog.settle(consumed, carried));
  }

  async readResampleState(): Promise<ResampleWatermark[]> {
    return this.guard('read resample_state', () => this.resampleLog.state());
  }

  async writeResampleState(watermarks: readonly ResampleWatermark[]): Promise<void> {
    await this.guard('write resample_state', () => this.resampleLog.writeWatermarks(watermarks));
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  private klines(interval: StoredInterval): Collection<KlineDocument> {
    return this.db.collection<KlineDocument>(collectionName(interval));
  }

  private markets(): Collection<MarketDocument> {
    return this.db.collection<MarketDocument>('markets');
  }

  private filters(from: number, to: number, symbols: readonly string[] | undefined) {
    if (symbols === undefined) return [klineRangeFilter(from, to)];
    // Sorted chunks, each sorted by `_id`: concatenated they stay in (symbol, openTime) order.
    const sorted = sortSymbols(symbols);
    const chunks = [];
    for (let i = 0; i < sorted.length; i += SYMBOLS_PER_QUERY) chunks.push(klineRangeFilter(from, to, sorted.slice(i, i + SYMBOLS_PER_QUERY)));
    return chunks;
  }

  /** Create with zstd block compression; servers that refuse the option get a plain collection. */
  private async createCompressed(name: string): Promise<void> {
    try {
      await this.db.createCollection(name, ZSTD_COLLECTION_OPTIONS);
    } catch (e) {
      if (isServerError(e, NAMESPACE_EXISTS)) return;
      if (!(e instanceof MongoServerError)) throw e;
      await this.createIfAbsent(name);
    }
  }

  private async createIfAbsent(name: string): Promise<void> {
    try {
      await this.db.createCollection(name);
    } catch (e) {
      if (!isServerError(e, NAMESPACE_EXISTS)) throw e;
    }
  }

  /**
   * `{openTime: 1}` serves reads of every market in a window. On `klines_1m` with retention it is
   * also the TTL index (one index, two jobs); an existing index gets its TTL changed in place.
   */
  private async ensureOpenTimeIndex(name: string, expireAfterSeconds: number | undefined): Promise<void> {
    const options = expireAfterSeconds === undefined ? { name: 'openTime_1' } : { name: 'openTime_1', expireAfterSeconds };
    try {
      await this.db.collection(name).createIndex({ openTime: 1 }, options);
    } catch (e) {
      if (expireAfterSeconds === undefined || !(isServerError(e, INDEX_OPTIONS_CONFLICT) || isServerError(e, INDEX_KEY_SPECS_CONFLICT))) throw e;
      await this.db.command({ collMod: name, index: { keyPattern: { openTime: 1 }, expireAfterSeconds } });
    }
  }

  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStoreError(e, `MongoDB store (database "${this.options.database}")`, operation);
    }
  }
}

function isServerError(e: unknown, code: number): boolean {
  return e instanceof MongoServerError && e.code === code;
}

function writeErrorsOf(e: MongoBulkWriteError): { index: number; errmsg?: string; code?: number }[] {
  const w = e.writeErrors as unknown;
  if (Array.isArray(w)) return w as { index: number; errmsg?: string; code?: number }[];
  return w ? [w as { index: number; errmsg?: string; code?: number }] : [];
}

/**
 * The outcome of an unordered bulk write that failed for some operations only: their batch
 * indexes, and how many of the others were written. Undefined when the failure is not partial
 * (no write errors, or a write-concern error that leaves every write in doubt).
 */
export function partialBulkFailure(e: unknown, batchIndexes: readonly number[]): { written: number; failures: UpsertFailure[] } | undefined {
  if (!(e instanceof MongoBulkWriteError)) return undefined;
  const errors = writeErrorsOf(e);
  if (errors.length === 0) return undefined;
  if (e.err !== undefined || e.result?.getWriteConcernError?.() !== undefined) return undefined;
  const failures: UpsertFailure[] = [];
  for (const w of errors) {
    const index = batchIndexes[w.index];
    if (index === undefined) return undefined; // an index we did not send: trust nothing
    failures.push({ index, reason: `MongoDB refused the write${w.code === undefined ? '' : ` (code ${w.code})`}: ${w.errmsg ?? 'no message'}` });
  }
  return { written: (e.result?.upsertedCount ?? 0) + (e.result?.modifiedCount ?? 0), failures };
}

/**
 * DNS and socket failures the driver passes on unwrapped, e.g. `querySrv ENOTFOUND` while resolving
 * a mongodb+srv host (Atlas paused, a typo in the host, no DNS from the subnet).
 */
const NETWORK_ERROR_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ETIMEOUT', 'ETIMEDOUT', 'ESERVFAIL', 'ECONNREFUSED', 'ECONNRESET', 'ENODATA']);

/** Any driver or server error that ended the whole operation means the store is unavailable. */
export function toStoreError(e: unknown, store: string, operation: string): unknown {
  if (e instanceof StoreUnavailableError) return e;
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  if (e instanceof MongoError || (code !== undefined && NETWORK_ERROR_CODES.has(code))) {
    const err = e as Error;
    return new StoreUnavailableError(`${store} is unavailable: cannot ${operation}: ${err.name}: ${err.message}`, e);
  }
  return e;
}
