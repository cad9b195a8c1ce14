/**
 * `store migrate [--store URL] [--retention-days N | --no-retention]`: the schema step. Creates
 * missing collections (zstd where the server allows), indexes and numeric views, drops round 1's
 * read index, and sets, changes or removes the 1m TTL; prints each change as it is made, then
 * what still differs (nothing, normally). Idempotent: a second run prints "nothing to change".
 * Without a retention flag an existing TTL is left as it is.
 * `store check [--store URL] [--retention-days N | --no-retention]`: prints the differences only.
 * Needs a credential allowed to change the schema (docs/deploy.md, "MongoDB roles").
 * The store: `--store`, else the secret MONGODB_SECRET_ARN names, else KLINE_STORE (store-source.ts).
 * Exit codes: 0 done (check: no difference), 1 the store (or its secret) failed (check: differences),
 * 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import type { Env, StoreConfig } from '../../core/config';
import { ConfigError } from '../../core/errors';
import type { SchemaOptions } from '../../core/store/port';
import type { KlineStore } from '../../core/store/port';
import type { CliIo } from '../cli';
import { cliStoreSource, commandStoreConfig, type CliStoreSource, type SecretsClient } from './store-source';

export const USAGE =
  'usage: npm run cli -- store migrate [--store URL] [--retention-days N | --no-retention]\n' +
  '       npm run cli -- store check   [--store URL] [--retention-days N | --no-retention]\n' +
  '  migrate applies the schema (collections, indexes, views, 1m TTL); without a retention flag an existing TTL is kept\n';

export interface StoreDeps {
  /** Opens the store without touching its schema. Default: the adapter the config names. */
  createStore?: (config: StoreConfig) => Promise<KlineStore>;
  env?: Env;
  /** Secrets Manager, for MONGODB_SECRET_ARN (default: a client for AWS_REGION). */
  secrets?: () => SecretsClient;
}

interface StoreArgs {
  action: 'migrate' | 'check';
  store: CliStoreSource;
  retentionDays: number | null | undefined;
}

function parseStoreArgs(argv: string[], env: Env): StoreArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { store: { type: 'string' }, 'retention-days': { type: 'string' }, 'no-retention': { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [action, extra] = positionals;
  if (action !== 'migrate' && action !== 'check') throw new Error(action === undefined ? 'say migrate or check' : `unknown action "${action}" (expected migrate or check)`);
  if (extra !== undefined) throw new Error(`unexpected argument "${extra}"`);
  if (values['retention-days'] !== undefined && values['no-retention']) throw new Error('--retention-days and --no-retention exclude each other');
  let retentionDays: number | null | undefined = values['no-retention'] ? null : undefined;
  if (values['retention-days'] !== undefined) {
    const text = values['retention-days'];
    if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`--retention-days "${text}" is not a positive whole number of days`);
    retentionDays = Number(text);
  }
  const store = cliStoreSource(values.store, env);
  return { action, store, retentionDays };
}

/** The adapter alone: `openStore` would check (or, for a new SQLite file, apply) the schema first. */
async function createStore(config: StoreConfig): Promise<KlineStore> {
  const { createStore: create } = await import('../../core/store/index');
  return create(config, { setting: '--store', serverSelectionTimeoutMS: 10_000 });
}

function where(config: StoreConfig): string {
  return config.kind === 'sqlite' ? `sqlite:${config.path}` : `MongoDB database "${config.database}"`;
}

export async function run(argv: string[], io: CliIo, deps: StoreDeps = {}): Promise<number> {
  let args: StoreArgs;
  try {
    args = parseStoreArgs(argv, deps.env ?? process.env);
  } catch (err) {
    io.stderr.write(`store: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = await commandStoreConfig('store', args.store, io.stderr, deps.secrets);
  if (config === undefined) return 1;
  let store: KlineStore;
  try {
    store = await (deps.createStore ?? createStore)(config);
  } catch (err) {
    io.stderr.write(`store: cannot open the store: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
  const options: SchemaOptions = { retentionDays: args.retentionDays };
  try {
    if (args.action === 'migrate') {
      io.stdout.write(`migrating ${where(config)}\n`);
      const changes = await store.applySchema({ ...options, progress: (line) => io.stdout.write(`  ${line}\n`) });
      io.stdout.write(changes.length === 0 ? 'nothing to change: the schema is up to date\n' : `${changes.length} change${changes.length === 1 ? '' : 's'} made\n`);
    }
    const differences = await store.checkSchema(options);
    for (const d of differences) io.stdout.write(`differs: ${d.message}\n`);
    if (args.action === 'check') {
      io.stdout.write(differences.length === 0 ? `${where(config)}: the schema is up to date\n` : `${differences.length} difference${differences.length === 1 ? '' : 's'}\n`);
      return differences.length === 0 ? 0 : 1;
    }
    return 0;
  } catch (err) {
    io.stderr.write(`store: ${args.action} failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await store.close().catch(() => undefined);
  }
}
