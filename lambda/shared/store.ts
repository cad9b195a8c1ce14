/**
 * The store, opened once per container and reused by every invocation (a MongoClient per
 * invocation would exhaust Atlas's connection limit and add a TLS handshake to each call).
 *
 * Where the store URL comes from:
 * - `MONGODB_SECRET_ARN` set (in AWS): the secret's value, read once per container from Secrets
 *   Manager. The secret holds the connection string itself, or JSON `{"uri": "mongodb+srv://…"}`.
 * - otherwise `KLINE_STORE` / `MONGODB_URI` (local runs and tests), see `readStoreConfig`.
 * - both, with `KLINE_STORE=sqlite:PATH`: the secret is still read and must hold a MongoDB URI, but
 *   the SQLite file is opened instead, with a warning line. Only the moto end-to-end test sets this
 *   (test/e2e/moto-aws.test.ts: the deployed bundles against AWS APIs where no MongoDB server can
 *   run); the stack never sets KLINE_STORE, and a `mongodb://` KLINE_STORE never overrides the secret.
 * `MONGODB_DATABASE` names the database (default: the URI's path, else `klines`).
 * `KLINE_1M_RETENTION_DAYS` (optional) is the 1m TTL the schema is expected to have: the store is
 * checked when it opens (one warning per difference); only the schema step (`store migrate`, the
 * deploy) changes it. `MONGODB_MAX_TIME_MS` (default 30000) is the server-side time limit of
 * every operation.
 * `MONGODB_MAX_POOL_SIZE` (default 3) caps each container's connections, unless the URI sets
 * `maxPoolSize` itself: containers × pool size must stay under the Atlas tier's limit.
 *
 * Opening is lazy and cached as a promise, so concurrent first calls share one connection; a
 * failed open is forgotten so the next invocation tries again. A handler whose store operation
 * failed as a whole calls `discardStore()`, so the next invocation opens afresh (re-reading the
 * secret, which picks up a rotated password); the driver's own reconnects cover the rest.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../core/errors';
import { parseStoreUrl, readPositiveInt, readStoreConfig, type Env, type StoreConfig } from '../../core/config';
import type { KlineStore } from '../../core/store/port';
import { openStore, type OpenStoreOptions } from '../../core/store';
import { mongoUriFromSecretString } from '../../core/mongo-uri';

export { mongoUriFromSecretString };

export const DEFAULT_MAX_POOL_SIZE = 3;

let cached: Promise<KlineStore> | undefined;
let secretsClient: SecretsManagerClient | undefined;

/** The container's store, opened on first use. */
export function getStore(env: Env = process.env): Promise<KlineStore> {
  if (cached === undefined) {
    const opening = resolveStoreConfig(env).then((config) => openStore(config, storeOptions(env)));
    cached = opening;
    opening.catch(() => {
      if (cached === opening) cached = undefined;
    });
  }
  return cached;
}

/** How long an operation waits for an unreachable MongoDB before failing the invocation. */
const SERVER_SELECTION_TIMEOUT_MS = 10_000;

/**
 * Every process that opens the store checks it against the same retention
 * (`KLINE_1M_RETENTION_DAYS`, unset = no TTL expected) and warns on a difference; none alters it.
 */
export function storeOptions(env: Env = process.env): OpenStoreOptions {
  const fromSecret = env.MONGODB_SECRET_ARN !== undefined && env.MONGODB_SECRET_ARN !== '';
  const retention = env.KLINE_1M_RETENTION_DAYS;
  return {
    retentionDays: retention === undefined || retention === '' ? undefined : readPositiveInt(env, 'KLINE_1M_RETENTION_DAYS', 1),
    serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
    maxTimeMS: env.MONGODB_MAX_TIME_MS === undefined || env.MONGODB_MAX_TIME_MS === '' ? undefined : readPositiveInt(env, 'MONGODB_MAX_TIME_MS', 1),
    setting: fromSecret ? 'MONGODB_SECRET_ARN' : undefined,
  };
}

/** Tests: use this store instead of opening one (undefined forgets it, so the next call opens). */
export function setStoreForTests(store: KlineStore | undefined): void {
  cached = store === undefined ? undefined : Promise.resolve(store);
}

/**
 * Forget the store after it failed as a whole (unreachable, refused credentials): the next
 * invocation opens a new one. The old one is closed; a failure to close is of no interest.
 */
export async function discardStore(): Promise<void> {
  await closeStore().catch(() => undefined);
}

/** Close and forget the cached store (tests, local shutdown). */
export async function closeStore(): Promise<void> {
  const current = cached;
  cached = undefined;
  if (current) await (await current.catch(() => undefined))?.close();
}

/** Where the container's store is: the secret in AWS, env settings elsewhere. */
export async function resolveStoreConfig(env: Env = process.env): Promise<StoreConfig> {
  const secretArn = env.MONGODB_SECRET_ARN;
  const config =
    secretArn !== undefined && secretArn !== ''
      ? parseStoreUrl(await readMongoUriSecret(secretArn), 'MONGODB_SECRET_ARN', env.MONGODB_DATABASE)
      : readStoreConfig(env);
  const sqliteOverride = secretArn !== undefined && secretArn !== '' && env.KLINE_STORE?.startsWith('sqlite:') === true;
  if (sqliteOverride) {
    console.warn('store: KLINE_STORE=sqlite:… replaces the MongoDB store of MONGODB_SECRET_ARN (a test setting; the stack never sets it)');
    return readStoreConfig({ KLINE_STORE: env.KLINE_STORE });
  }
  if (config.kind !== 'mongodb') return config;
  return { ...config, uri: withDefaultPoolSize(config.uri, readPositiveInt(env, 'MONGODB_MAX_POOL_SIZE', DEFAULT_MAX_POOL_SIZE)) };
}

/** The MongoDB connection string stored in the secret. Its value never reaches a log line or an error. */
export async function readMongoUriSecret(secretArn: string): Promise<string> {
  secretsClient ??= new SecretsManagerClient({});
  const out = await secretsClient.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const uri = mongoUriFromSecretString(out.SecretString);
  if (uri === undefined) {
    throw new ConfigError(
      'MONGODB_SECRET_ARN',
      'the secret does not hold a MongoDB connection string (put one with: aws secretsmanager put-secret-value --secret-id <arn> --secret-string "mongodb+srv://…")',
    );
  }
  return uri;
}

/** Add `maxPoolSize=N` to a MongoDB URI that does not set it. */
export function withDefaultPoolSize(uri: string, maxPoolSize: number): string {
  if (/[?&]maxPoolSize=/i.test(uri)) return uri;
  const query = uri.indexOf('?');
  if (query >= 0) return `${uri}${query === uri.length - 1 ? '' : '&'}maxPoolSize=${maxPoolSize}`;
  // Options need a path separator: mongodb://host/?opt or mongodb://host/db?opt.
  const afterScheme = uri.indexOf('://') + 3;
  const hasPath = uri.indexOf('/', afterScheme) >= 0;
  return `${uri}${hasPath ? '' : '/'}?maxPoolSize=${maxPoolSize}`;
}
