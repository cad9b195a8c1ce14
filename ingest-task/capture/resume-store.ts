/**
 * Where the ingest resumes: the last stored 1m open time per market, read once at start, so a
 * replaced task backfills the minutes nobody captured while it was down.
 *
 * Sources (decided by config.ts):
 * - `secret` (in AWS): `MONGODB_SECRET_ARN` names a Secrets Manager secret holding the MongoDB
 *   URI (or JSON `{"uri": …}`); `MONGODB_DATABASE` names the database.
 * - `mongodb` (local runs): `MONGODB_URI` / `KLINE_STORE` directly.
 * - `none`: capture without resume.
 *
 * Reading never fails the task. The deploy creates the secret with a random placeholder before
 * anyone has put the real URI in it, and an unreachable Atlas is not the capture's problem: a
 * task that exited over either would be rolled back by the deployment circuit breaker and
 * capture nothing at all. So every failure becomes one error log line naming the secret (never
 * its value) and an empty map: capture starts now, only the minutes before it are not backfilled.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseStoreUrl } from '../../core/config';
import { mongoUriFromSecretString } from '../../core/mongo-uri';
import type { MarketType } from '../../core/market';
import { lastOpenTimesByType } from '../../core/store/known-markets';
import { MongoKlineStore } from '../../core/store/mongo';
import type { Logger } from '../../core/logger';

export type ResumeSource =
  | { kind: 'none' }
  | { kind: 'mongodb'; uri: string; database: string }
  | { kind: 'secret'; secretArn: string; database: string | undefined };

/** The one call this module makes to Secrets Manager (tests pass a mocked client). */
export type SecretsClient = Pick<SecretsManagerClient, 'send'>;

export interface ResumeReadOptions {
  logger: Logger;
  /** Default: a new SecretsManagerClient for the task's region and role. */
  secrets?: SecretsClient;
  /** How long to wait for an unreachable MongoDB before giving up (default 10 s). */
  serverSelectionTimeoutMS?: number;
  /** KLINE_1M_RETENTION_DAYS: the 1m TTL the schema check expects (unset: none). */
  retentionDays?: number;
}

/** Why resume failed, for the log line. Never contains the secret's value. */
class ResumeUnavailable extends Error {
  constructor(
    readonly reason: string,
    readonly fix?: string,
  ) {
    super(reason);
  }
}

async function uriFromSecret(secretArn: string, secrets: SecretsClient): Promise<string> {
  let value: string | undefined;
  try {
    value = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (e) {
    const err = e as Error;
    throw new ResumeUnavailable(`cannot read the secret: ${err.name}: ${err.message}`, 'check the task role may call secretsmanager:GetSecretValue on this secret');
  }
  const uri = mongoUriFromSecretString(value);
  if (uri === undefined) {
    throw new ResumeUnavailable(
      'the secret does not hold a MongoDB connection string (still the placeholder the deploy created?)',
      'aws secretsmanager put-secret-value --secret-id <arn> --secret-string "mongodb+srv://…", then restart the service',
    );
  }
  return uri;
}

async function connectionOf(source: Exclude<ResumeSource, { kind: 'none' }>, secrets: () => SecretsClient): Promise<{ uri: string; database: string }> {
  if (source.kind === 'mongodb') return source;
  const uri = await uriFromSecret(source.secretArn, secrets());
  try {
    const config = parseStoreUrl(uri, 'MONGODB_SECRET_ARN', source.database);
    if (config.kind !== 'mongodb') throw new Error('not a MongoDB URI');
    return config;
  } catch {
    // parseStoreUrl's messages do not echo a mongodb:// value, but say nothing about it at all here.
    throw new ResumeUnavailable('the secret holds a MongoDB connection string that does not parse', 'put a valid mongodb:// or mongodb+srv:// URI in the secret');
  }
}

/** Last stored 1m open time per market (symbol → open time), per market type. */
export type ResumePoints = Map<MarketType, Map<string, number>>;

const emptyPoints = (marketTypes: readonly MarketType[]): ResumePoints => new Map(marketTypes.map((t) => [t, new Map<string, number>()]));

/**
 * The last stored 1m open time of every market of the given types (one connection, one index
 * lookup per market), or empty maps after one error log line when the source cannot be read.
 * Every requested type has an entry. Never throws.
 */
export async function readResumePoints(source: ResumeSource, marketTypes: readonly MarketType[], options: ResumeReadOptions): Promise<ResumePoints> {
  const { logger } = options;
  if (source.kind === 'none') {
    logger.warn('no store configured (MONGODB_SECRET_ARN, MONGODB_URI or KLINE_STORE): starting without resume');
    return emptyPoints(marketTypes);
  }
  const where = source.kind === 'secret' ? { secretArn: source.secretArn } : { setting: 'MONGODB_URI / KLINE_STORE' };
  let store: MongoKlineStore | undefined;
  try {
    const { uri, database } = await connectionOf(source, () => options.secrets ?? new SecretsManagerClient({}));
    try {
      store = new MongoKlineStore({ uri, database, clientOptions: { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000, maxPoolSize: 1 } });
    } catch (e) {
      // The driver's parse messages may quote parts of the URI: name the error only.
      throw new ResumeUnavailable(`the MongoDB connection string is not usable (${(e as Error).name})`);
    }
    // The task checks the schema and warns; only the schema step (deploy, `store migrate`) changes it.
    for (const d of await store.checkSchema({ retentionDays: options.retentionDays })) logger.warn(`store schema: ${d.message}`, { ...where, kind: d.kind, collection: d.collection });
    const last = await lastOpenTimesByType(store, '1m', marketTypes);
    logger.info('resuming from store', { ...where, database, markets: Object.fromEntries([...last].map(([t, m]) => [t, m.size])) });
    return last;
  } catch (e) {
    const reason = e instanceof ResumeUnavailable ? e.reason : `the store did not answer: ${(e as Error).name}: ${(e as Error).message}`;
    const fix = e instanceof ResumeUnavailable ? e.fix : undefined;
    logger.error('cannot resume from the store: capturing from now on without resume (minutes missed before this start are not backfilled)', {
      ...where,
      reason,
      ...(fix ? { fix } : {}),
    });
    return emptyPoints(marketTypes);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/**
 * `startCapture`'s `resumeFrom` for the selected types: the first start of each venue takes its
 * share of one read covering every type (made on the first call); a venue started again after a
 * failure reads its own type afresh, since the other venues kept storing meanwhile.
 */
export function resumeReader(marketTypes: readonly MarketType[], read: (types: readonly MarketType[]) => Promise<ResumePoints>): (marketType: MarketType) => Promise<Map<string, number>> {
  let first: Promise<ResumePoints> | undefined;
  const started = new Set<MarketType>();
  return async (marketType) => {
    if (started.has(marketType)) return (await read([marketType])).get(marketType) ?? new Map();
    started.add(marketType);
    first ??= read(marketTypes);
    return (await first).get(marketType) ?? new Map();
  };
}
