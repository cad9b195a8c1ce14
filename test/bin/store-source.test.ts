import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { cliStoreSource, resolveStoreSource, type SecretsClient } from '../../bin/commands/store-source';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kline-capture/mongodb-AbCdEf';

/** A Secrets Manager client answering GetSecretValue with `value`, recording the ids asked for. */
function secretsHolding(value: string | undefined): { client: () => SecretsClient; asked: string[] } {
  const asked: string[] = [];
  const send = async (command: GetSecretValueCommand) => {
    asked.push(String(command.input.SecretId));
    return { SecretString: value };
  };
  return { client: () => ({ send }) as unknown as SecretsClient, asked };
}

/** Both steps, as a command takes them: the source from the arguments, then its config. */
function resolve(flag: string | undefined, env: Record<string, string>, secrets?: () => SecretsClient) {
  return resolveStoreSource(cliStoreSource(flag, env), secrets);
}

describe('the CLI store: --store, else the secret MONGODB_SECRET_ARN names, else KLINE_STORE', () => {
  it('takes --store first, without reading the secret', async () => {
    const secrets = secretsHolding('mongodb://a/x');
    await expect(resolve('sqlite:/tmp/k.db', { MONGODB_SECRET_ARN: ARN }, secrets.client)).resolves.toEqual({ kind: 'sqlite', path: '/tmp/k.db' });
    expect(secrets.asked).toEqual([]);
  });

  it("reads the URI from the secret, in the database MONGODB_DATABASE names, over KLINE_STORE", async () => {
    const secrets = secretsHolding(JSON.stringify({ uri: 'mongodb+srv://u:p@cluster0.example.net/' }));
    const config = await resolve(undefined, { MONGODB_SECRET_ARN: ARN, MONGODB_DATABASE: 'prod', KLINE_STORE: 'sqlite:/tmp/k.db' }, secrets.client);
    expect(config).toEqual({ kind: 'mongodb', uri: 'mongodb+srv://u:p@cluster0.example.net/', database: 'prod' });
    expect(secrets.asked).toEqual([ARN]);
  });

  it('uses KLINE_STORE / MONGODB_URI when no secret is named', async () => {
    await expect(resolve(undefined, { MONGODB_SECRET_ARN: '', MONGODB_URI: 'mongodb://h/db1' })).resolves.toEqual({ kind: 'mongodb', uri: 'mongodb://h/db1', database: 'db1' });
  });

  it('refuses a secret holding no MongoDB URI, naming the setting and never the value', async () => {
    const run = resolve(undefined, { MONGODB_SECRET_ARN: ARN }, secretsHolding('Xy7placeholderZ').client);
    await expect(run).rejects.toThrow(/^MONGODB_SECRET_ARN: the secret .* does not hold a MongoDB connection string/);
    await expect(run).rejects.not.toThrow(/Xy7placeholderZ/);
  });

  it('refuses an unparsable URI in the secret without echoing it', async () => {
    const run = resolve(undefined, { MONGODB_SECRET_ARN: ARN }, secretsHolding('mongodb://us:pw0rd@/').client);
    await expect(run).rejects.toThrow(/^MONGODB_SECRET_ARN: /);
    await expect(run).rejects.not.toThrow(/pw0rd/);
  });
});
