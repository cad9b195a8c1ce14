/**
 * Store selection: one StoreConfig (from KLINE_STORE / MONGODB_URI) → an initialised KlineStore.
 * Each adapter is loaded only when chosen, so a bundle that ships only MongoDB (the Lambdas) never
 * loads better-sqlite3, a native module, and a local SQLite run never loads the MongoDB driver.
 */
import type { MongoClient } from 'mongodb';
import type { StoreConfig } from '../config';
import { ConfigError } from '../errors';
import type { KlineStore } from './port';

export interface OpenStoreOptions {
  /** Reuse a MongoDB client (Lambda module scope); it is not closed by `store.close()`. */
  mongoClient?: MongoClient;
  /** Days to keep `klines_1m` in MongoDB (TTL index); unset keeps everything. */
  retentionDays?: number;
  /** How long to look for a MongoDB server before giving up (default: the driver's 30 s). */
  serverSelectionTimeoutMS?: number;
  /** The setting the config came from, named in errors. Default `KLINE_STORE`. */
  setting?: string;
}

export type { KlineStore } from './port';

/**
 * Create the store the config names and run its `init()`. A config that cannot describe a store
 * throws ConfigError naming the setting; an unreachable store rejects with StoreUnavailableError.
 */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<KlineStore> {
  const store = await createStore(config, options);
  try {
    await store.init();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  return store;
}

async function createStore(config: StoreConfig, options: OpenStoreOptions): Promise<KlineStore> {
  const setting = options.setting ?? 'KLINE_STORE';
  if (config?.kind === 'sqlite') {
    if (typeof config.path !== 'string' || config.path === '') throw new ConfigError(setting, 'sqlite: needs a file path or :memory:');
    const { SqliteKlineStore } = await import('./sqlite');
    return new SqliteKlineStore({ path: config.path });
  }
  if (config?.kind === 'mongodb') {
    if (!config.database) throw new ConfigError(setting, 'MongoDB store needs a database name');
    if (options.retentionDays !== undefined && (!Number.isInteger(options.retentionDays) || options.retentionDays <= 0)) {
      throw new ConfigError('KLINE_1M_RETENTION_DAYS', `expected a positive integer, got ${options.retentionDays}`);
    }
    const { MongoKlineStore } = await import('./mongo');
    try {
      return new MongoKlineStore({
        database: config.database,
        client: options.mongoClient,
        uri: options.mongoClient ? undefined : config.uri,
        clientOptions: options.serverSelectionTimeoutMS === undefined ? undefined : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS },
        retentionDays: options.retentionDays,
      });
    } catch (e) {
      // The driver's parse errors describe the URI without echoing credentials.
      throw new ConfigError(setting, `is not a usable MongoDB connection string: ${(e as Error).message}`);
    }
  }
  const kind: unknown = (config as { kind?: unknown } | undefined)?.kind;
  throw new ConfigError(setting, `unknown store kind ${JSON.stringify(kind)}: expected sqlite:PATH or a mongodb:// URI`);
}
