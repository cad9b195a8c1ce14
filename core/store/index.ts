/**
 * Store selection: one StoreConfig (from KLINE_STORE / MONGODB_URI) → an open KlineStore whose
 * schema was checked (or, for the local pipeline's own SQLite file, applied).
 * Each adapter is loaded only when chosen, so a bundle that ships only MongoDB (the Lambdas) never
 * loads better-sqlite3, a native module, and a local SQLite run never loads the MongoDB driver.
 */
import { existsSync } from 'node:fs';
import type { MongoClient } from 'mongodb';
import type { StoreConfig } from '../config';
import { ConfigError, StoreUnavailableError } from '../errors';
import type { KlineStore, SchemaDifference, SchemaOptions } from './port';

export interface OpenStoreOptions {
  /** Reuse a MongoDB client (Lambda module scope); it is not closed by `store.close()`. */
  mongoClient?: MongoClient;
  /** Days of 1m klines the MongoDB TTL is expected to keep (KLINE_1M_RETENTION_DAYS); unset: no TTL expected. */
  retentionDays?: number;
  /**
   * `check` (default): compare the store with the expected schema, warn once per difference and
   * carry on; nothing is created or altered (a new, empty SQLite file is the exception: it gets
   * the schema, as nobody else deploys it). `apply`: run the schema step, for the local pipeline
   * on its own SQLite file.
   */
  schema?: 'check' | 'apply';
  /** Where schema warnings go. Default: one `console.warn` line each. */
  warn?: (message: string, difference: SchemaDifference) => void;
  /** MongoDB `maxTimeMS` of every operation (MONGODB_MAX_TIME_MS); default 30 s. */
  maxTimeMS?: number;
  /** How long to look for a MongoDB server before giving up (default: the driver's 30 s). */
  serverSelectionTimeoutMS?: number;
  /** The setting the config came from, named in errors. Default `KLINE_STORE`. */
  setting?: string;
  /**
   * SQLite: refuse a file that does not exist instead of creating it (and its folder). For
   * commands that only read an archive (export, report, audit): a mistyped path must not look
   * like an empty archive.
   */
  mustExist?: boolean;
  /** SQLite: how long a statement waits, synchronously, for another process's write lock (default 5 s). */
  sqliteBusyTimeoutMs?: number;
}

export type { KlineStore } from './port';

/**
 * Create the store the config names and check (or apply) its schema. A config that cannot
 * describe a store throws ConfigError naming the setting; an unreachable store rejects with
 * StoreUnavailableError.
 */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<KlineStore> {
  const store = await createStore(config, options);
  try {
    const fresh = 'isEmpty' in store && typeof store.isEmpty === 'function' && (store.isEmpty as () => boolean)();
    if (options.schema === 'apply' || fresh) {
      await store.applySchema({ retentionDays: options.retentionDays });
    } else {
      const warn = options.warn ?? ((message: string) => console.warn(`store schema: ${message}`));
      for (const d of await store.checkSchema({ retentionDays: options.retentionDays })) warn(d.message, d);
    }
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  return store;
}

/**
 * The schema step on the store the config names: open it without checking, apply the schema,
 * close it. Returns one line per change (none when it already matched). For `store migrate` and
 * the deploy's custom resource (a Lambda passes its module-scope `mongoClient`).
 */
export async function migrateStore(config: StoreConfig, options: OpenStoreOptions & SchemaOptions = {}): Promise<string[]> {
  const store = await createStore(config, { ...options, retentionDays: undefined });
  try {
    return await store.applySchema({ retentionDays: options.retentionDays, progress: options.progress });
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** The adapter the config names, schema untouched (see `openStore` for runtime processes). */
export async function createStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<KlineStore> {
  const setting = options.setting ?? 'KLINE_STORE';
  if (config?.kind === 'sqlite') {
    if (typeof config.path !== 'string' || config.path === '') throw new ConfigError(setting, 'sqlite: needs a file path or :memory:');
    if (options.mustExist && config.path !== ':memory:' && !existsSync(config.path)) {
      throw new StoreUnavailableError(`sqlite:${config.path} does not exist (a store is created by npm start, import or history)`);
    }
    const { SqliteKlineStore } = await import('./sqlite').catch((e: unknown) => {
      // The container image bundles the CLI without better-sqlite3 (native, and AWS has MongoDB only).
      if ((e as { code?: string }).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes('better-sqlite3')) {
        throw new ConfigError(setting, 'sqlite: stores need the better-sqlite3 module, which this build does not include (the container image stores to MongoDB only)');
      }
      throw e;
    });
    return new SqliteKlineStore({ path: config.path, busyTimeoutMs: options.sqliteBusyTimeoutMs });
  }
  if (config?.kind === 'mongodb') {
    if (!config.database) throw new ConfigError(setting, 'MongoDB store needs a database name');
    if (options.retentionDays !== undefined && (!Number.isInteger(options.retentionDays) || options.retentionDays <= 0)) {
      throw new ConfigError('KLINE_1M_RETENTION_DAYS', `expected a positive integer, got ${options.retentionDays}`);
    }
    if (options.maxTimeMS !== undefined && (!Number.isSafeInteger(options.maxTimeMS) || options.maxTimeMS <= 0)) {
      throw new ConfigError('MONGODB_MAX_TIME_MS', `expected a positive integer of milliseconds, got ${options.maxTimeMS}`);
    }
    const { MongoKlineStore } = await import('./mongo');
    try {
      return new MongoKlineStore({
        database: config.database,
        client: options.mongoClient,
        uri: options.mongoClient ? undefined : config.uri,
        clientOptions: options.serverSelectionTimeoutMS === undefined ? undefined : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS },
        maxTimeMS: options.maxTimeMS,
      });
    } catch (e) {
      // The driver's parse errors describe the URI without echoing credentials.
      throw new ConfigError(setting, `is not a usable MongoDB connection string: ${(e as Error).message}`);
    }
  }
  const kind: unknown = (config as { kind?: unknown } | undefined)?.kind;
  throw new ConfigError(setting, `unknown store kind ${JSON.stringify(kind)}: expected sqlite:PATH or a mongodb:// URI`);
}
