/**
 * Every command that takes a store finds it the same way (bin/commands/store-source.ts):
 * `--store`, else the Secrets Manager secret MONGODB_SECRET_ARN names, else KLINE_STORE. The
 * store opener is a stub that records the config it is given and answers as an unreachable
 * MongoDB would, so the config each command derived is visible without a server. The secret's
 * value (the URI and its password) never appears in what a command prints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { CliIo } from '../../bin/cli';
import type { SecretsClient } from '../../bin/commands/store-source';
import type { Env, StoreConfig } from '../../core/config';
import { StoreUnavailableError } from '../../core/errors';
import type { KlineStore } from '../../core/store/port';
import { Collect } from './collect';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kline-capture/mongodb-AbCdEf';
const PASSWORD = 'S3cr3t-pw';
const URI = `mongodb+srv://capture:${PASSWORD}@cluster0.example.net/?retryWrites=true`;

interface Deps {
  env: Env;
  secrets: () => SecretsClient;
  open: (config: StoreConfig) => Promise<KlineStore>;
  dir: string;
}

interface Command {
  /** The least arguments the command needs (its store aside). */
  args: (dir: string) => string[];
  run: (argv: string[], io: CliIo, deps: Deps) => Promise<number>;
}

const COMMANDS: [string, Command][] = [
  [
    'report',
    {
      args: (dir) => ['--from', '2026-01-01', '--to', '2026-01-02', '--out', dir],
      run: async (argv, io, d) => (await import('../../bin/commands/report')).run(argv, io, { env: d.env, secrets: d.secrets, openStore: d.open }),
    },
  ],
  [
    'export',
    {
      args: (dir) => ['--interval', '1m', '--from', '2026-01-01', '--to', '2026-01-02', '--out', dir],
      run: async (argv, io, d) => (await import('../../bin/commands/export')).run(argv, io, { env: d.env, secrets: d.secrets, openStore: d.open }),
    },
  ],
  [
    'audit',
    {
      args: (dir) => ['--date', '2026-01-01', '--no-rest', '--out', dir],
      run: async (argv, io, d) => (await import('../../bin/commands/audit')).run(argv, io, { env: d.env, secrets: d.secrets, openStore: d.open }),
    },
  ],
  [
    'store',
    {
      args: () => ['check'],
      run: async (argv, io, d) => (await import('../../bin/commands/store')).run(argv, io, { env: d.env, secrets: d.secrets, createStore: d.open }),
    },
  ],
  [
    'import',
    {
      args: (dir) => [join(dir, 'BTCUSDT-1m-2026-01-01.csv')],
      run: async (argv, io, d) => (await import('../../bin/commands/import')).run(argv, io, { env: d.env, secrets: d.secrets, openStore: d.open }),
    },
  ],
  [
    'history',
    {
      args: (dir) => ['--symbols', 'BTCUSDT', '--from', '2026-01-01', '--to', '2026-01-02', '--state', join(dir, 'state.json')],
      run: async (argv, io, d) =>
        (await import('../../bin/commands/history')).run(argv, io, {
          env: d.env,
          secrets: d.secrets,
          openStore: d.open,
          signal: new AbortController().signal,
          rest: { firstOpenTime: async () => undefined, klines: async function* () {} },
        }),
    },
  ],
];

/** A Secrets Manager client answering GetSecretValue with `answer`, recording the ids asked for. */
function secretsAnswering(answer: () => Promise<{ SecretString?: string }>): { client: () => SecretsClient; asked: string[] } {
  const asked: string[] = [];
  const send = async (command: GetSecretValueCommand) => {
    asked.push(String(command.input.SecretId));
    return answer();
  };
  return { client: () => ({ send }) as unknown as SecretsClient, asked };
}

describe.each(COMMANDS)('cli %s: the store from --store, else MONGODB_SECRET_ARN, else KLINE_STORE', (name, command) => {
  let dir: string;
  let opened: StoreConfig[];
  const open = async (config: StoreConfig): Promise<KlineStore> => {
    opened.push(config);
    throw new StoreUnavailableError(config.kind === 'mongodb' ? `MongoDB database "${config.database}" is unavailable: connect ECONNREFUSED` : 'unavailable');
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `cli-secret-${name}-`));
    opened = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(env: Env, secrets: () => SecretsClient, extra: string[] = []) {
    const stdout = new Collect();
    const stderr = new Collect();
    const code = await command.run([...command.args(dir), ...extra], { stdout, stderr }, { env, secrets, open, dir });
    return { code, out: stdout.text + stderr.text, stderr: stderr.text };
  }

  it('reads the URI from the secret, in MONGODB_DATABASE, over KLINE_STORE, and never prints it', async () => {
    // Arrange
    const secrets = secretsAnswering(async () => ({ SecretString: JSON.stringify({ uri: URI }) }));
    // Act
    const run = await cli({ MONGODB_SECRET_ARN: ARN, MONGODB_DATABASE: 'prod', KLINE_STORE: `sqlite:${join(dir, 'k.db')}` }, secrets.client);
    // Assess
    expect(secrets.asked).toEqual([ARN]);
    expect(opened).toEqual([{ kind: 'mongodb', uri: URI, database: 'prod' }]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/MongoDB database "prod" is unavailable/);
    expect(run.out).not.toContain(PASSWORD);
  });

  it('refuses a secret still holding the placeholder: exit 1, naming the setting and the secret, never the value', async () => {
    const secrets = secretsAnswering(async () => ({ SecretString: 'Xy7placeholderZ' }));
    const run = await cli({ MONGODB_SECRET_ARN: ARN }, secrets.client);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^${name}: MONGODB_SECRET_ARN: the secret ${ARN} does not hold a MongoDB connection string \\(put one with: aws secretsmanager put-secret-value`, 'm'));
    expect(run.out).not.toContain('Xy7placeholderZ');
    expect(opened).toEqual([]);
  });

  it('names the secret it cannot read, and the error Secrets Manager gave', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' });
    const secrets = secretsAnswering(async () => Promise.reject(denied));
    const run = await cli({ MONGODB_SECRET_ARN: ARN }, secrets.client);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^${name}: MONGODB_SECRET_ARN: cannot read the secret ${ARN}: AccessDeniedException: User is not authorized`, 'm'));
    expect(opened).toEqual([]);
  });

  it('takes --store over the secret, without asking Secrets Manager', async () => {
    const secrets = secretsAnswering(async () => ({ SecretString: URI }));
    const store = `sqlite:${join(dir, 'flag.db')}`;
    const run = await cli({ MONGODB_SECRET_ARN: ARN }, secrets.client, ['--store', store]);
    expect(secrets.asked).toEqual([]);
    expect(opened).toEqual([{ kind: 'sqlite', path: join(dir, 'flag.db') }]);
    expect(run.code).toBe(1);
  });

  it('without a secret, a bad KLINE_STORE is a bad setting (exit 2) found before anything is opened', async () => {
    const secrets = secretsAnswering(async () => ({ SecretString: URI }));
    const run = await cli({ MONGODB_SECRET_ARN: '', KLINE_STORE: 'postgres://x' }, secrets.client);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^${name}: KLINE_STORE: `, 'm'));
    expect(secrets.asked).toEqual([]);
    expect(opened).toEqual([]);
  });
});
