/**
 * Where a CLI command's store is, in this order:
 * 1. `--store URL`, when given;
 * 2. `MONGODB_SECRET_ARN` (with `MONGODB_DATABASE`): the Secrets Manager secret the stack gives its
 *    tasks, read at start. In AWS the history task's definition sets it, so the connection string
 *    never appears in the command, the task's overrides or a log line;
 * 3. `KLINE_STORE` / `MONGODB_URI`, else the default SQLite file (`readStoreConfig`).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseStoreUrl, readStoreConfig, type Env, type StoreConfig } from '../../core/config';
import { ConfigError } from '../../core/errors';
import { mongoUriFromSecretString } from '../../core/mongo-uri';

/** The one call made to Secrets Manager (tests pass a client of their own). */
export type SecretsClient = Pick<SecretsManagerClient, 'send'>;

export async function resolveCliStore(flag: string | undefined, env: Env, secrets?: () => SecretsClient): Promise<StoreConfig> {
  if (flag !== undefined) return parseStoreUrl(flag, '--store');
  const secretArn = env.MONGODB_SECRET_ARN;
  if (secretArn === undefined || secretArn === '') return readStoreConfig(env);
  let value: string | undefined;
  try {
    value = (await (secrets?.() ?? new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
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
  return parseStoreUrl(uri, 'MONGODB_SECRET_ARN', env.MONGODB_DATABASE);
}
