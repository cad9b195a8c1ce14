/**
 * The MongoDB schema as data, and the one step that makes a database match it (`applyMongoSchema`,
 * run by `store migrate` and the deploy with a credential allowed to change the schema) or
 * reports how it differs (`checkMongoSchema`, run by every process at open; changes nothing).
 *
 * Per kline collection (every market type × interval, docs/data-model.md):
 * - a plain collection with zstd block compression where the server allows it;
 * - the unique index `symbol_1_openTime_1`, which every query names with `hint`;
 * - on 1m collections only, the optional TTL index `openTime_1` (retention); anywhere else an
 *   `openTime_1` is round 1's read index and is dropped;
 * - on 1m collections only, the partial index `symbol_1_openTime_1_source_1` holding only the
 *   klines not from the stream (`source` present), so a report counts a day's REST and dump
 *   klines by reading those few entries (`countBySource`; stream = total − them). Keyed like
 *   `symbol_1_openTime_1`, so a history import, market after market, appends to it; the previous
 *   key order `openTime_1_source_1_symbol_1` put every imported kline at a scattered position,
 *   and the schema step replaces it;
 * - a read-only view `<collection>_numeric` with the decimals as doubles for Atlas Charts/Grafana.
 * Plus the plain collections `markets`, `resample_log`, `resample_state` and `audits` (one
 * document per audited day, `_id` the day).
 */
import { isDeepStrictEqual } from 'node:util';
import { MongoServerError, type Db, type Document, type IndexDescriptionInfo } from 'mongodb';
import { STORED_INTERVALS, collectionName, type StoredInterval } from '../interval';
import { DECIMAL_FIELDS } from '../kline';
import { MARKET_TYPES, type MarketType } from '../market';
import type { SchemaDifference, SchemaOptions } from './port';

export const KLINE_INDEX = 'symbol_1_openTime_1';
export const KLINE_INDEX_KEY = { symbol: 1, openTime: 1 } as const;
export const TTL_INDEX = 'openTime_1';
/** The provenance index of 1m collections: partial, only klines with a `source` (REST or dump). */
export const SOURCE_INDEX = 'symbol_1_openTime_1_source_1';
export const SOURCE_INDEX_KEY = { symbol: 1, openTime: 1, source: 1 } as const;
/** The provenance index of the previous version (same entries, open time first): dropped by the schema step. */
export const OLD_SOURCE_INDEX = 'openTime_1_source_1_symbol_1';
export const SOURCE_INDEX_FILTER = { source: { $exists: true } } as const;
export const MARKETS_COLLECTION = 'markets';
/** Plain collections besides the klines: market status history, the resampler's bookkeeping and the dump audits (`_id` index only). */
export const AUDITS_COLLECTION = 'audits';
export const PLAIN_COLLECTIONS = [MARKETS_COLLECTION, 'resample_log', 'resample_state', AUDITS_COLLECTION] as const;

/** Options for `createCollection`: zstd block compression (WiredTiger). */
export const ZSTD_COLLECTION_OPTIONS = { storageEngine: { wiredTiger: { configString: 'block_compressor=zstd' } } } as const;

/**
 * Server answers to the zstd option that mean "this server does not support it", so a plain
 * collection is the right fallback. Anything else (e.g. Unauthorized 13) fails the step:
 * - 2 BadValue: WiredTiger refused the configString (wiredtiger_config_validate → EINVAL);
 * - 72 InvalidOptions: the storage-engine option is not accepted (e.g. another storage engine);
 * - 115 CommandNotSupported;
 * - 8000 AtlasError, only when it is about the storage-engine option (shared/Flex tiers).
 */
const ZSTD_UNSUPPORTED_CODES = new Set([2, 72, 115]);
const ATLAS_ERROR = 8000;
const NAMESPACE_EXISTS = 48;

export function isZstdUnsupported(e: unknown): boolean {
  if (!(e instanceof MongoServerError) || typeof e.code !== 'number') return false;
  if (ZSTD_UNSUPPORTED_CODES.has(e.code)) return true;
  return e.code === ATLAS_ERROR && /storage ?engine|configString|block_compressor/i.test(e.message);
}

export interface KlineCollection {
  name: string;
  marketType: MarketType;
  interval: StoredInterval;
}

/** Every kline collection: one per market type and stored interval (`collectionName`). */
export function klineCollections(): KlineCollection[] {
  return MARKET_TYPES.flatMap((marketType) => STORED_INTERVALS.map((interval) => ({ name: collectionName(marketType, interval), marketType, interval })));
}

export function numericViewName(collection: string): string {
  return `${collection}_numeric`;
}

/** The numeric view: every decimal as a double (charts need numbers; the source keeps the exact text). */
export function numericViewPipeline(): Document[] {
  return [{ $set: Object.fromEntries(DECIMAL_FIELDS.map((f) => [f, { $toDouble: `$${f}` }])) }];
}

/** TTL for 1m klines in seconds; `null` for none, `undefined` for "not said". */
export function retentionSeconds(retentionDays: number | null | undefined): number | null | undefined {
  if (retentionDays === undefined || retentionDays === null) return retentionDays;
  if (!Number.isInteger(retentionDays) || retentionDays <= 0) throw new RangeError(`retentionDays must be a positive integer, got ${retentionDays}`);
  return retentionDays * 86_400;
}

function days(seconds: number): string {
  const d = seconds / 86_400;
  return Number.isInteger(d) ? `${d} days` : `${seconds} s`;
}

interface CollectionInfo {
  name: string;
  type?: string;
  options?: Document;
}

export interface SchemaContext {
  db: Db;
  /** Time limit of the listing commands (the index builds themselves take as long as they take). */
  maxTimeMS: number;
}

async function listCollections(ctx: SchemaContext): Promise<Map<string, CollectionInfo>> {
  const infos = (await ctx.db.listCollections({}, { nameOnly: false, maxTimeMS: ctx.maxTimeMS }).toArray()) as CollectionInfo[];
  return new Map(infos.map((c) => [c.name, c]));
}

async function listIndexes(ctx: SchemaContext, collection: string): Promise<IndexDescriptionInfo[]> {
  return (await ctx.db.collection(collection).listIndexes({ maxTimeMS: ctx.maxTimeMS }).toArray()) as IndexDescriptionInfo[];
}

function isKlineIndex(index: IndexDescriptionInfo): boolean {
  return isDeepStrictEqual({ ...index.key }, { ...KLINE_INDEX_KEY }) && index.unique === true;
}

function isSourceIndex(index: IndexDescriptionInfo): boolean {
  return isDeepStrictEqual({ ...index.key }, { ...SOURCE_INDEX_KEY }) && isDeepStrictEqual(index.partialFilterExpression, { ...SOURCE_INDEX_FILTER, source: { ...SOURCE_INDEX_FILTER.source } });
}

function describeIndex(index: IndexDescriptionInfo): string {
  return `${JSON.stringify(index.key)}${index.partialFilterExpression ? ` partial ${JSON.stringify(index.partialFilterExpression)}` : ''}`;
}

function ttlOf(index: IndexDescriptionInfo | undefined): number | undefined {
  return typeof index?.expireAfterSeconds === 'number' ? index.expireAfterSeconds : undefined;
}

/**
 * The retention (seconds) a 1m collection's indexes impose: the smallest `expireAfterSeconds` of a
 * TTL index on `openTime` (the schema step's `openTime_1`, or one made by hand under another
 * name: it deletes klines just the same); null when there is none.
 */
export function retentionOf(indexes: readonly IndexDescriptionInfo[]): number | null {
  let least: number | null = null;
  for (const index of indexes) {
    const ttl = ttlOf(index);
    const fields = Object.keys(index.key ?? {});
    if (ttl !== undefined && fields.length === 1 && fields[0] === 'openTime' && (least === null || ttl < least)) least = ttl;
  }
  return least;
}

/** How the database differs from the schema; one entry per difference, nothing changed. */
export async function checkMongoSchema(ctx: SchemaContext, options: SchemaOptions = {}): Promise<SchemaDifference[]> {
  const wantedTtl = retentionSeconds(options.retentionDays) ?? null;
  const existing = await listCollections(ctx);
  // One listIndexes per collection, all at once: this runs at every cold start.
  const names = klineCollections().map((c) => c.name).filter((n) => existing.has(n) && (existing.get(n)!.type ?? 'collection') === 'collection');
  const indexesOf = new Map(await Promise.all(names.map(async (n) => [n, await listIndexes(ctx, n)] as const)));
  const out: SchemaDifference[] = [];
  const migrate = options.retentionDays ? `store migrate --retention-days ${options.retentionDays}` : 'store migrate';
  for (const { name, interval } of klineCollections()) {
    const info = existing.get(name);
    if (!info) {
      out.push({ kind: 'missing-collection', collection: name, message: `collection ${name} is missing (run \`npm run cli -- ${migrate}\`)` });
      continue;
    }
    if (info.type !== undefined && info.type !== 'collection') {
      out.push({ kind: 'not-a-collection', collection: name, message: `${name} is a ${info.type}, not a collection` });
      continue;
    }
    const indexes = indexesOf.get(name) ?? [];
    const key = indexes.find((i) => i.name === KLINE_INDEX);
    if (!key) {
      out.push({ kind: 'missing-index', collection: name, message: `${name} has no unique index ${KLINE_INDEX}: queries that name it fail (run \`npm run cli -- ${migrate}\`)` });
    } else if (!isKlineIndex(key)) {
      out.push({ kind: 'index-differs', collection: name, message: `${name}: index ${KLINE_INDEX} is ${JSON.stringify(key.key)}${key.unique ? ' unique' : ''}, expected unique ${JSON.stringify(KLINE_INDEX_KEY)}` });
    }
    const openTime = indexes.find((i) => i.name === TTL_INDEX);
    const ttl = ttlOf(openTime);
    if (openTime && (interval !== '1m' || ttl === undefined)) {
      out.push({ kind: 'obsolete-index', collection: name, message: `${name} still has round 1's index ${TTL_INDEX} (reads use ${KLINE_INDEX}; \`store migrate\` drops it)` });
    }
    if (interval !== '1m') continue;
    const source = indexes.find((i) => i.name === SOURCE_INDEX);
    if (indexes.some((i) => i.name === OLD_SOURCE_INDEX)) {
      out.push({ kind: 'obsolete-index', collection: name, message: `${name} still has the previous provenance index ${OLD_SOURCE_INDEX} (open time first: every imported kline lands at a scattered position; \`${migrate}\` replaces it with ${SOURCE_INDEX})` });
    }
    if (!source) {
      out.push({ kind: 'missing-index', collection: name, message: `${name} has no partial index ${SOURCE_INDEX}: counting klines by source fails (run \`npm run cli -- ${migrate}\`)` });
    } else if (!isSourceIndex(source)) {
      out.push({ kind: 'index-differs', collection: name, message: `${name}: index ${SOURCE_INDEX} is ${describeIndex(source)}, expected ${JSON.stringify(SOURCE_INDEX_KEY)} partial ${JSON.stringify(SOURCE_INDEX_FILTER)}` });
    }
    if (ttl !== undefined && wantedTtl === null) {
      out.push({
        kind: 'ttl-not-configured',
        collection: name,
        message: `${name} has a TTL of ${days(ttl)} that is not configured: MongoDB deletes 1m klines older than that. Set KLINE_1M_RETENTION_DAYS=${ttl / 86_400}, or remove it with \`store migrate --no-retention\``,
      });
    } else if (ttl === undefined && wantedTtl !== null) {
      out.push({ kind: 'ttl-missing', collection: name, message: `${name} has no TTL but a retention of ${days(wantedTtl)} is configured (run \`npm run cli -- ${migrate}\`)` });
    } else if (ttl !== undefined && wantedTtl !== null && ttl !== wantedTtl) {
      out.push({ kind: 'ttl-differs', collection: name, message: `${name} keeps 1m klines ${days(ttl)} but ${days(wantedTtl)} is configured (run \`npm run cli -- ${migrate}\`)` });
    }
  }
  for (const { name } of klineCollections()) {
    const view = numericViewName(name);
    const info = existing.get(view);
    if (!info) out.push({ kind: 'missing-view', collection: view, message: `view ${view} is missing (run \`npm run cli -- ${migrate}\`)` });
    else if (info.type !== 'view' || info.options?.viewOn !== name || !isDeepStrictEqual(info.options?.pipeline, numericViewPipeline())) {
      out.push({ kind: 'view-differs', collection: view, message: `${view} is not the numeric view of ${name} this version defines (run \`npm run cli -- ${migrate}\`)` });
    }
  }
  for (const name of PLAIN_COLLECTIONS) {
    if (!existing.has(name)) out.push({ kind: 'missing-collection', collection: name, message: `collection ${name} is missing (run \`npm run cli -- ${migrate}\`)` });
  }
  return out;
}

/**
 * Make the database match the schema; idempotent. Returns one line per change. Retention:
 * a number sets the 1m TTL (collMod when one exists), `null` removes it, unset leaves it alone.
 */
export async function applyMongoSchema(ctx: SchemaContext, options: SchemaOptions = {}): Promise<string[]> {
  const wantedTtl = retentionSeconds(options.retentionDays);
  const changes: string[] = [];
  const changed = (line: string) => {
    changes.push(line);
    options.progress?.(line);
  };
  const existing = await listCollections(ctx);
  for (const { name, interval } of klineCollections()) {
    const info = existing.get(name);
    if (!info) await createCompressed(ctx, name, changed);
    else if (info.type !== undefined && info.type !== 'collection') throw new Error(`${name} is a ${info.type}, not a collection: drop or rename it, then migrate again`);
    const indexes = info ? await listIndexes(ctx, name) : [];
    const key = indexes.find((i) => i.name === KLINE_INDEX);
    if (!key) {
      await ctx.db.collection(name).createIndex({ ...KLINE_INDEX_KEY }, { name: KLINE_INDEX, unique: true });
      changed(`${name}: created unique index ${KLINE_INDEX}`);
    } else if (!isKlineIndex(key)) {
      throw new Error(`${name}: index ${KLINE_INDEX} is ${JSON.stringify(key.key)}${key.unique ? ' unique' : ''}, expected unique ${JSON.stringify(KLINE_INDEX_KEY)}: drop it, then migrate again`);
    }
    if (interval === '1m') {
      const source = indexes.find((i) => i.name === SOURCE_INDEX);
      if (!source) {
        await ctx.db.collection(name).createIndex({ ...SOURCE_INDEX_KEY }, { name: SOURCE_INDEX, partialFilterExpression: { source: { $exists: true } } });
        changed(`${name}: created partial index ${SOURCE_INDEX} (klines not from the stream)`);
      } else if (!isSourceIndex(source)) {
        throw new Error(`${name}: index ${SOURCE_INDEX} is ${describeIndex(source)}, expected ${JSON.stringify(SOURCE_INDEX_KEY)} partial ${JSON.stringify(SOURCE_INDEX_FILTER)}: drop it, then migrate again`);
      }
      // Dropped only once the new one exists, so counting by source never lacks an index.
      if (indexes.some((i) => i.name === OLD_SOURCE_INDEX)) {
        await ctx.db.collection(name).dropIndex(OLD_SOURCE_INDEX);
        changed(`${name}: dropped the previous provenance index ${OLD_SOURCE_INDEX} (replaced by ${SOURCE_INDEX})`);
      }
    }
    await applyOpenTimeIndex(ctx, name, interval, indexes.find((i) => i.name === TTL_INDEX), wantedTtl, changed);
  }
  for (const { name } of klineCollections()) {
    const view = numericViewName(name);
    const info = existing.get(view);
    const pipeline = numericViewPipeline();
    if (!info) {
      await ctx.db.createCollection(view, { viewOn: name, pipeline });
      changed(`${view}: created read-only view of ${name} with decimals as doubles`);
    } else if (info.type !== 'view') {
      throw new Error(`${view} exists and is a ${info.type ?? 'collection'}, not a view: drop or rename it, then migrate again`);
    } else if (info.options?.viewOn !== name || !isDeepStrictEqual(info.options?.pipeline, pipeline)) {
      await ctx.db.command({ collMod: view, viewOn: name, pipeline });
      changed(`${view}: view definition updated`);
    }
  }
  for (const name of PLAIN_COLLECTIONS) {
    if (!existing.has(name) && (await createIfAbsent(ctx, name))) changed(`${name}: created`);
  }
  return changes;
}

async function applyOpenTimeIndex(
  ctx: SchemaContext,
  name: string,
  interval: StoredInterval,
  index: IndexDescriptionInfo | undefined,
  wantedTtl: number | null | undefined,
  changed: (line: string) => void,
): Promise<void> {
  const ttl = ttlOf(index);
  if (index && (interval !== '1m' || ttl === undefined || wantedTtl === null)) {
    await ctx.db.collection(name).dropIndex(TTL_INDEX);
    changed(ttl === undefined ? `${name}: dropped round 1's index ${TTL_INDEX}` : `${name}: removed the TTL of ${days(ttl)} (index ${TTL_INDEX} dropped)`);
    if (interval !== '1m' || wantedTtl === null || wantedTtl === undefined) return;
  } else if (index && ttl !== undefined && typeof wantedTtl === 'number') {
    if (ttl === wantedTtl) return;
    await ctx.db.command({ collMod: name, index: { name: TTL_INDEX, expireAfterSeconds: wantedTtl } });
    changed(`${name}: TTL changed from ${days(ttl)} to ${days(wantedTtl)}`);
    return;
  } else if (index) {
    return; // a TTL exists and retention was not said: left as it is
  }
  if (interval === '1m' && typeof wantedTtl === 'number') {
    await ctx.db.collection(name).createIndex({ openTime: 1 }, { name: TTL_INDEX, expireAfterSeconds: wantedTtl });
    changed(`${name}: TTL of ${days(wantedTtl)} added (index ${TTL_INDEX})`);
  }
}

/**
 * Create with zstd block compression and log what the storage engine made of it; a server that
 * does not support the option gets a plain collection (and the log says why).
 */
async function createCompressed(ctx: SchemaContext, name: string, changed: (line: string) => void): Promise<void> {
  try {
    await ctx.db.createCollection(name, ZSTD_COLLECTION_OPTIONS);
  } catch (e) {
    if (e instanceof MongoServerError && e.code === NAMESPACE_EXISTS) return;
    if (!isZstdUnsupported(e)) throw e;
    const created = await createIfAbsent(ctx, name);
    const reason = `${(e as MongoServerError).codeName ?? `code ${(e as MongoServerError).code}`}: ${(e as Error).message}`;
    if (created) changed(`${name}: created WITHOUT zstd (the server's default compression): the server refused the option (${reason})`);
    return;
  }
  const got = await blockCompressorOf(ctx, name);
  if (got.compressor === 'zstd') changed(`${name}: created with zstd block compression (WiredTiger reports block_compressor=zstd)`);
  else if (got.compressor !== undefined) changed(`${name}: created, but WiredTiger reports block_compressor=${got.compressor || 'none'}, not the zstd asked for`);
  else changed(`${name}: created asking for zstd block compression; what the storage engine uses could not be read (${got.unknown})`);
}

/** The block compressor in WiredTiger's creation string of a collection (`$collStats`), or why it is unknown. */
export async function blockCompressorOf(ctx: SchemaContext, name: string): Promise<{ compressor?: string; unknown?: string }> {
  try {
    const [stats] = await ctx.db.collection(name).aggregate([{ $collStats: { storageStats: {} } }], { maxTimeMS: ctx.maxTimeMS }).toArray();
    const creation: unknown = stats?.storageStats?.wiredTiger?.creationString;
    if (typeof creation !== 'string') return { unknown: '$collStats gave no WiredTiger creation string' };
    const match = /(?:^|,)block_compressor=([^,]*)/.exec(creation);
    return match ? { compressor: match[1] } : { unknown: 'no block_compressor in the WiredTiger creation string' };
  } catch (e) {
    // The collection exists either way; a credential without collStats must not fail the step.
    return { unknown: `$collStats failed: ${(e as Error).message}` };
  }
}

async function createIfAbsent(ctx: SchemaContext, name: string): Promise<boolean> {
  try {
    await ctx.db.createCollection(name);
    return true;
  } catch (e) {
    if (e instanceof MongoServerError && e.code === NAMESPACE_EXISTS) return false;
    throw e;
  }
}
