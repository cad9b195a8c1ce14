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
import { collectionName, intervalMs, type StoredInterval } from '../interval';
import { KLINE_SOURCES, type Kline, type KlineSource } from '../kline';
import { MARKET_TYPES, marketKey, type MarketRef, type MarketStatusEvent, type MarketType } from '../market';
import { assertMarketEvents, prepareBatch } from './batch';
import {
  KLINE_ORDER,
  gapEdgesPipeline,
  gapsFromEdges,
  klineBulk,
  klineFromDocument,
  klineRangeFilter,
  marketEventFromDocument,
  marketIdRange,
  marketStatusOperation,
  sortSymbols,
  sourceCountPipeline,
  type GapEdge,
  type KlineDocument,
  type MarketDocument,
} from './mongo-documents';
import { AUDITS_COLLECTION, KLINE_INDEX, MARKETS_COLLECTION, SOURCE_INDEX, applyMongoSchema, checkMongoSchema, retentionOf } from './mongo-schema';
import { auditDays, auditText, parseAuditText } from '../audit/record';
import type { AuditResult } from '../audit/run';
import type {
  KlineStore,
  MinuteRun,
  ReadQuery,
  ResampleLogEntry,
  ResampleWatermark,
  SchemaDifference,
  SchemaOptions,
  TimeRange,
  UpsertFailure,
  UpsertResult,
} from './port';
import { MongoResampleLog } from './mongo-resample-log';
import { minuteRuns } from './resample-log';

/** Server-side time limit of every operation unless configured (MONGODB_MAX_TIME_MS). */
export const DEFAULT_MAX_TIME_MS = 30_000;

export interface MongoStoreOptions {
  database: string;
  /** A shared client (e.g. a Lambda's module-scope client); `close()` leaves it open. */
  client?: MongoClient;
  /** Used when no client is given; the store then owns the client and closes it. */
  uri?: string;
  clientOptions?: MongoClientOptions;
  /** `maxTimeMS` sent with every operation (default DEFAULT_MAX_TIME_MS). */
  maxTimeMS?: number;
}

/** Markets per query when reading several markets: each query is one `$in` on the index prefix. */
const SYMBOLS_PER_QUERY = 200;

const MAX_TIME_MS_EXPIRED = 50;
/** listIndexes of a collection that does not exist. */
const NAMESPACE_NOT_FOUND = 26;

/** `lastOpenTimes` lookups in flight at once: one small indexed query per market. */
const LAST_OPEN_TIME_CONCURRENCY = 16;

export class MongoKlineStore implements KlineStore {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly db: Db;
  readonly maxTimeMS: number;
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
    const maxTimeMS = options.maxTimeMS ?? DEFAULT_MAX_TIME_MS;
    if (!Number.isSafeInteger(maxTimeMS) || maxTimeMS <= 0) throw new RangeError(`maxTimeMS must be a positive integer of milliseconds, got ${maxTimeMS}`);
    this.maxTimeMS = maxTimeMS;
    this.db = this.client.db(options.database);
    this.resampleLog = new MongoResampleLog(this.db, this.maxTimeMS);
  }

  /** The schema step (mongo-schema.ts); the credential needs dbAdmin + readWrite (docs/deploy.md). */
  async applySchema(options: SchemaOptions = {}): Promise<string[]> {
    return this.guard('apply the schema', () => applyMongoSchema({ db: this.db, maxTimeMS: this.maxTimeMS }, options));
  }

  async checkSchema(options: SchemaOptions = {}): Promise<SchemaDifference[]> {
    return this.guard('check the schema', () => checkMongoSchema({ db: this.db, maxTimeMS: this.maxTimeMS }, options));
  }

  /** The 1m collection's TTL (`expireAfterSeconds` of its `openTime` index), read with `listIndexes`. */
  async readRetention(marketType: MarketType): Promise<number | null> {
    const name = collectionName(marketType, '1m');
    return this.guard(`read the retention of ${name}`, async () => {
      try {
        return retentionOf(await this.klines(marketType, '1m').listIndexes({ maxTimeMS: this.maxTimeMS }).toArray());
      } catch (e) {
        if (isServerError(e, NAMESPACE_NOT_FOUND)) return null; // no collection yet: nothing expires
        throw e;
      }
    });
  }

  async upsert(interval: StoredInterval, klines: readonly Kline[]): Promise<UpsertResult> {
    const { accepted, failures, replaced } = prepareBatch(interval, klines);
    if (accepted.length === 0) return { written: 0, failures };
    // One bulk write per market type: each type has its own collection.
    const byType = new Map<MarketType, number[]>();
    for (const i of accepted) {
      const list = byType.get(klines[i].marketType);
      if (list) list.push(i);
      else byType.set(klines[i].marketType, [i]);
    }
    const bulks: { marketType: MarketType; bulk: ReturnType<typeof klineBulk> }[] = [];
    try {
      for (const [marketType, indexes] of byType) bulks.push({ marketType, bulk: klineBulk(klines, indexes, interval) });
    } catch (e) {
      // storeProblem refuses what Decimal128 cannot hold; reaching here is a bug, not bad data.
      throw new Error(`building MongoDB documents failed: ${(e as Error).message}`, { cause: e });
    }
    let written = 0;
    const refused: UpsertFailure[] = [];
    for (const { marketType, bulk } of bulks) {
      const name = collectionName(marketType, interval);
      // A whole-operation failure of any type's write rejects the upsert: the caller retries the
      // batch, and the types already written are idempotent upserts.
      await this.guard(`write ${name}`, async () => {
        try {
          const r = await this.klines(marketType, interval).bulkWrite(bulk.operations, { ordered: false, maxTimeMS: this.maxTimeMS });
          written += r.upsertedCount + r.modifiedCount;
        } catch (e) {
          const partial = partialBulkFailure(e, bulk.batchIndexes);
          if (!partial) throw e;
          written += partial.written;
          // A refused kline also leaves the earlier klines of its key (which it replaced) unstored.
          for (const f of partial.failures) refused.push(f, ...(replaced.get(f.index) ?? []).map((index) => ({ index, reason: f.reason })));
        }
      });
    }
    if (interval === '1m') {
      // One log insert per batch, after every type's bulk write; a failed insert fails the upsert.
      const refusedIndexes = new Set(refused.map((f) => f.index));
      await this.guard('append to resample_log', () => this.resampleLog.appendRuns(minuteRuns(klines, accepted.filter((i) => !refusedIndexes.has(i)))));
    }
    return { written, failures: refused.length === 0 ? failures : [...failures, ...refused].sort((a, b) => a.index - b.index) };
  }

  async read(query: ReadQuery): Promise<Kline[]> {
    const { marketType, interval } = query;
    return this.guard(`read ${collectionName(marketType, interval)}`, async () => {
      const out: Kline[] = [];
      for (const filter of this.filters(query.from, query.to, query.symbols)) {
        const docs = await this.klines(marketType, interval).find(filter, { sort: KLINE_ORDER, hint: KLINE_INDEX, maxTimeMS: this.maxTimeMS }).toArray();
        for (const d of docs) out.push(klineFromDocument(d, marketType, interval));
      }
      return out;
    });
  }

  async countByMarket(marketType: MarketType, interval: StoredInterval, range: TimeRange): Promise<Map<string, number>> {
    return this.guard(`count ${collectionName(marketType, interval)}`, async () => {
      const rows = await this.klines(marketType, interval)
        .aggregate<{ _id: string; n: number }>([{ $match: klineRangeFilter(range.from, range.to) }, { $group: { _id: '$symbol', n: { $sum: 1 } } }], {
          hint: KLINE_INDEX,
          maxTimeMS: this.maxTimeMS,
        })
        .toArray();
      return new Map(rows.map((r) => [r._id, r.n]));
    });
  }

  async countBySource(marketType: MarketType, range: TimeRange): Promise<Map<string, Record<KlineSource, number>>> {
    return this.guard(`count ${collectionName(marketType, '1m')} by source`, async () => {
      const rows = await this.klines(marketType, '1m')
        .aggregate<{ _id: { symbol: string; source: string }; n: number }>(sourceCountPipeline(range), { hint: SOURCE_INDEX, maxTimeMS: this.maxTimeMS })
        .toArray();
      const out = new Map<string, Record<KlineSource, number>>();
      for (const { _id, n } of rows) {
        if (!(KLINE_SOURCES as readonly string[]).includes(_id.source)) continue;
        let counts = out.get(_id.symbol);
        if (!counts) out.set(_id.symbol, (counts = { rest: 0, dump: 0 }));
        counts[_id.source as KlineSource] += n;
      }
      return out;
    });
  }

  async symbolsWithKlines(marketType: MarketType, interval: StoredInterval, range: TimeRange): Promise<string[]> {
    return this.guard(`list symbols of ${collectionName(marketType, interval)}`, async () => {
      const collection = this.klines(marketType, interval);
      // `distinct` on the index's leading key is a DISTINCT_SCAN: one seek per symbol.
      const symbols = sortSymbols((await collection.distinct('symbol', {}, { hint: KLINE_INDEX, maxTimeMS: this.maxTimeMS })) as string[]);
      const found = new Set<string>();
      let next = 0;
      const worker = async () => {
        while (next < symbols.length) {
          const symbol = symbols[next++];
          const doc = await collection
            .find(klineRangeFilter(range.from, range.to, [symbol]), { projection: { _id: 0, openTime: 1 }, limit: 1, hint: KLINE_INDEX, maxTimeMS: this.maxTimeMS })
            .next();
          if (doc) found.add(symbol);
        }
      };
      await Promise.all(Array.from({ length: Math.min(LAST_OPEN_TIME_CONCURRENCY, symbols.length) }, worker));
      return symbols.filter((s) => found.has(s));
    });
  }

  async gaps(marketType: MarketType, interval: StoredInterval, range: TimeRange, symbols: readonly string[]): Promise<Map<string, TimeRange[]>> {
    return this.guard(`find gaps in ${collectionName(marketType, interval)}`, async () => {
      // The server returns only the edges of each market's runs: O(gaps) rows, not every key.
      const step = intervalMs(interval);
      const edges: GapEdge[] = [];
      for (const chunk of this.symbolChunks(symbols)) {
        const rows = await this.klines(marketType, interval)
          .aggregate<GapEdge>(gapEdgesPipeline(range, step, chunk), { hint: KLINE_INDEX, maxTimeMS: this.maxTimeMS, allowDiskUse: true })
          .toArray();
        edges.push(...rows);
      }
      return gapsFromEdges(edges, range, step, symbols);
    });
  }

  async lastOpenTimes(interval: StoredInterval, markets: readonly MarketRef[]): Promise<Map<string, number>> {
    return this.guard(`read last open times (${interval})`, async () => {
      const result = new Map<string, number>();
      let next = 0;
      // One `find({symbol}).sort({openTime: -1}).limit(1)` per market (an index seek on
      // {symbol, openTime}), a few in flight at once; never a scan of the collection.
      const worker = async () => {
        while (next < markets.length) {
          const market = markets[next++];
          const doc = await this.klines(market.marketType, interval)
            .find({ symbol: market.symbol }, { projection: { _id: 0, openTime: 1 }, sort: { openTime: -1 }, limit: 1, hint: KLINE_INDEX, maxTimeMS: this.maxTimeMS })
            .next();
          if (doc) result.set(marketKey(market), doc.openTime.getTime());
        }
      };
      await Promise.all(Array.from({ length: Math.min(LAST_OPEN_TIME_CONCURRENCY, markets.length) }, worker));
      return result;
    });
  }

  async recordMarketStatus(events: readonly MarketStatusEvent[]): Promise<void> {
    assertMarketEvents(events);
    if (events.length === 0) return;
    await this.guard('record market status', async () => {
      await this.markets().bulkWrite(events.map(marketStatusOperation), { ordered: false, maxTimeMS: this.maxTimeMS });
    });
  }

  async marketHistory(markets?: readonly MarketRef[]): Promise<MarketStatusEvent[]> {
    if (markets?.length === 0) return [];
    return this.guard('read market history', async () => {
      // One document per status change: small enough to order here, on the `_id` index the server
      // has anyway; a market's documents are one `_id` range (the id starts with type and symbol).
      const filter = markets ? { $or: markets.map((m) => ({ _id: marketIdRange(m) })) } : {};
      const docs = await this.markets().find(filter, { hint: { _id: 1 }, maxTimeMS: this.maxTimeMS }).toArray();
      const order = new Map(sortSymbols(docs.map((d) => d.symbol)).map((symbol, i) => [symbol, i]));
      docs.sort((a, b) => order.get(a.symbol)! - order.get(b.symbol)! || a.at.getTime() - b.at.getTime() || (a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
      const events = docs.map((d) => {
        const event = marketEventFromDocument(d);
        if (!event) {
          throw new StoreUnavailableError(
            `MongoDB markets collection holds unknown status "${d.status}" or market type "${d.marketType}" (_id ${d._id})`,
          );
        }
        return event;
      });
      // Stable: within a type the server's order (symbol, at, status) stays.
      return events.sort((a, b) => MARKET_TYPES.indexOf(a.marketType) - MARKET_TYPES.indexOf(b.marketType));
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

  /** `{_id: "YYYY-MM-DD", result: "<JSON>"}`: text, so the result's own keys never meet MongoDB's rules. */
  async saveAudit(result: AuditResult): Promise<void> {
    await this.guard(`save audit ${result.day}`, async () => {
      await this.audits().replaceOne({ _id: result.day }, { result: auditText(result) }, { upsert: true, maxTimeMS: this.maxTimeMS });
    });
  }

  async readAudits(range: TimeRange): Promise<AuditResult[]> {
    const days = auditDays(range);
    if (days.length === 0) return [];
    return this.guard('read audits', async () => {
      const docs = await this.audits()
        .find({ _id: { $gte: days[0], $lte: days[days.length - 1] } }, { sort: { _id: 1 }, hint: { _id: 1 }, maxTimeMS: this.maxTimeMS })
        .toArray();
      return docs.map((d) => parseAuditText(d.result, d._id, `MongoDB ${AUDITS_COLLECTION} document ${d._id}`));
    });
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  private audits(): Collection<{ _id: string; result: string }> {
    return this.db.collection<{ _id: string; result: string }>(AUDITS_COLLECTION);
  }

  private klines(marketType: MarketType, interval: StoredInterval): Collection<KlineDocument> {
    return this.db.collection<KlineDocument>(collectionName(marketType, interval));
  }

  private markets(): Collection<MarketDocument> {
    return this.db.collection<MarketDocument>(MARKETS_COLLECTION);
  }

  private filters(from: number, to: number, symbols: readonly string[] | undefined) {
    if (symbols === undefined) return [klineRangeFilter(from, to)];
    return this.symbolChunks(symbols).map((chunk) => klineRangeFilter(from, to, chunk));
  }

  /** Sorted chunks: each query returns index order, so concatenated they stay in (symbol, openTime) order. */
  private symbolChunks(symbols: readonly string[]): string[][] {
    const sorted = sortSymbols(symbols);
    const chunks = [];
    for (let i = 0; i < sorted.length; i += SYMBOLS_PER_QUERY) chunks.push(sorted.slice(i, i + SYMBOLS_PER_QUERY));
    return chunks;
  }

  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStoreError(e, `MongoDB store (database "${this.options.database}")`, operation, this.maxTimeMS);
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
  // A time limit hit mid-batch is about the operation, not a kline: the whole batch is retried.
  if (errors.some((w) => w.code === MAX_TIME_MS_EXPIRED)) return undefined;
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

/**
 * Any driver or server error that ended the whole operation means the store is unavailable
 * (retryable): network errors, server selection, the time limit (MaxTimeMSExpired, 50), and a
 * hint naming an index the collection lacks (a store the schema step has not migrated).
 */
export function toStoreError(e: unknown, store: string, operation: string, maxTimeMS?: number): unknown {
  if (e instanceof StoreUnavailableError) return e;
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
    return new StoreUnavailableError(`${store} is unavailable: cannot ${operation}: ${(e as Error).name}: ${(e as Error).message}`, e);
  }
  if (!(e instanceof MongoError)) return e;
  if (e.code === MAX_TIME_MS_EXPIRED) {
    const limit = maxTimeMS === undefined ? '' : ` of ${maxTimeMS} ms (MONGODB_MAX_TIME_MS)`;
    return new StoreUnavailableError(`${store} is unavailable: cannot ${operation}: the server stopped it at its time limit${limit}: ${e.message}`, e);
  }
  if (e instanceof MongoServerError && /\bhint\b/i.test(e.message) && /index/i.test(e.message)) {
    return new StoreUnavailableError(
      `${store} is unavailable: cannot ${operation}: an index the query names is missing (${e.message}); run \`npm run cli -- store migrate\``,
      e,
    );
  }
  return new StoreUnavailableError(`${store} is unavailable: cannot ${operation}: ${e.name}: ${e.message}`, e);
}
