/**
 * Where a CLI command's store is, in this order (every command that takes `--store`):
 * 1. `--store URL`, when given;
 * 2. `MONGODB_SECRET_ARN` (with `MONGODB_DATABASE`): the Secrets Manager secret the stack gives its
 *    tasks, read when the command opens its store. In AWS the history task's definition sets it, so
 *    any command run as that task finds its store without the connection string appearing in the
 *    command, the task's overrides or a log line;
 * 3. `KLINE_STORE` / `MONGODB_URI`, else the default SQLite file (`readStoreConfig`).
 *
 * Two steps, so that a bad `--store` or `KLINE_STORE` is a bad argument found while parsing
 * (exit 2) and the secret is read only once the arguments are known to be good.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseStoreUrl, readStoreConfig, type Env, type StoreConfig } from '../../core/config';
import { ConfigError } from '../../core/errors';
import { mongoUriFromSecretString } from '../../core/mongo-uri';

/** The one call made to Secrets Manager (tests pass a client of their own). */
export type SecretsClient = Pick<SecretsManagerClient, 'send'>;

/**
 * The SDK, loaded only when a secret is read: loading it cost ~60 ms of CPU at the start of every
 * command that takes `--store`, most of which never read a secret (bench/RESULTS.md
 * `export-vs-polars, round 4`).
 */
function secretsSdk(): typeof import('@aws-sdk/client-secrets-manager') {
  return require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
}

/** The store as the arguments and environment name it: a checked config, or a secret still to read. */
export type CliStoreSource =
  | { kind: 'config'; config: StoreConfig }
  | { kind: 'secret'; secretArn: string; database: string | undefined };

/** Step 1, synchronous: checks `--store` or KLINE_STORE / MONGODB_URI (ConfigError naming the setting); reads nothing. */
export function cliStoreSource(flag: string | undefined, env: Env): CliStoreSource {
  if (flag !== undefined) return { kind: 'config', config: parseStoreUrl(flag, '--store') };
  const secretArn = env.MONGODB_SECRET_ARN;
  if (secretArn === undefined || secretArn === '') return { kind: 'config', config: readStoreConfig(env) };
  return { kind: 'secret', secretArn, database: env.MONGODB_DATABASE };
}

/**
 * Step 2: the store's config, reading the secret if one is named. A secret that cannot be read, or
 * holds no MongoDB connection string (the deploy's placeholder), is a ConfigError naming
 * MONGODB_SECRET_ARN and the secret, never its value.
 */
export async function resolveStoreSource(source: CliStoreSource, secrets?: () => SecretsClient): Promise<StoreConfig> {
  if (source.kind === 'config') return source.config;
  const { secretArn } = source;
  let value: string | undefined;
  try {
    const sdk = secretsSdk();
    value = (await (secrets?.() ?? new sdk.SecretsManagerClient({})).send(new sdk.GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (e) {
    throw new ConfigError('MONGODB_SECRET_ARN', `cannot read the secret ${secretArn}: ${(e as Error).name}: ${(e as Error).message}`);
  }
  const uri = mongoUriFromSecretString(value);
  if (uri === undefined) {
    throw new ConfigError(
      'MONGODB_SECRET_ARN',
      `the secret ${secretArn} does not hold a MongoDB connection string (put one with: aws secretsmanager put-secret-value --secret-id <arn> --secret-string "mongodb+srv://…")`,
    );
  }
  return parseStoreUrl(uri, 'MONGODB_SECRET_ARN', source.database);
}

/**
 * Step 2 as every command does it: the config, or undefined after writing `<command>: <why>` to
 * stderr; the command then exits 1 (the store could not be reached, as when it does not answer).
 */
export async function commandStoreConfig(command: string, source: CliStoreSource, stderr: NodeJS.WritableStream, secrets?: () => SecretsClient): Promise<StoreConfig | undefined> {
  try {
    return await resolveStoreSource(source, secrets);
  } catch (err) {
    stderr.write(`${command}: ${(err as Error).message}\n`);
    return undefined;
  }
}
