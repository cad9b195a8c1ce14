import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  closeStore,
  getStore,
  mongoUriFromSecretString,
  resolveStoreConfig,
  storeOptions,
  withDefaultPoolSize,
} from '../../lambda/shared/store';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kline-capture/mongodb-AbCdEf';
const secrets = mockClient(SecretsManagerClient);

afterEach(async () => {
  secrets.reset();
  await closeStore();
});

describe('resolveStoreConfig', () => {
  it('reads the MongoDB URI from the secret and caps the pool size', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: 'mongodb+srv://user:p%40ss@cluster0.example.mongodb.net/?retryWrites=true' });

    // Act
    const config = await resolveStoreConfig({ MONGODB_SECRET_ARN: ARN, MONGODB_DATABASE: 'capture' });

    // Assess
    expect(config).toStrictEqual({
      kind: 'mongodb',
      uri: 'mongodb+srv://user:p%40ss@cluster0.example.mongodb.net/?retryWrites=true&maxPoolSize=3',
      database: 'capture',
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('takes the URI from a JSON secret too', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ uri: 'mongodb://db.internal:27017/klines' }) });
    const config = await resolveStoreConfig({ MONGODB_SECRET_ARN: ARN, MONGODB_MAX_POOL_SIZE: '5' });
    expect(config).toStrictEqual({ kind: 'mongodb', uri: 'mongodb://db.internal:27017/klines?maxPoolSize=5', database: 'klines' });
  });

  it('names the setting, and never echoes the value, when the secret holds no connection string', async () => {
    // Prepare: what `new Secret()` generates before anyone puts the URI in.
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'x7Gq!generated-placeholder' });

    // Act
    const outcome = resolveStoreConfig({ MONGODB_SECRET_ARN: ARN });

    // Assess
    await expect(outcome).rejects.toThrow(/^MONGODB_SECRET_ARN: the secret does not hold a MongoDB connection string/);
    await expect(outcome).rejects.not.toThrow(/placeholder/);
  });

  it('opens a KLINE_STORE SQLite file beside the secret only after reading a MongoDB URI from the secret (the moto end-to-end test)', async () => {
    // Prepare
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: 'mongodb+srv://u:p@cluster0.example.mongodb.net/' });

    // Act
    const config = await resolveStoreConfig({ MONGODB_SECRET_ARN: ARN, KLINE_STORE: 'sqlite:/tmp/e2e.db' });

    // Assess
    expect(config).toStrictEqual({ kind: 'sqlite', path: '/tmp/e2e.db' });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/KLINE_STORE=sqlite:.* replaces the MongoDB store of MONGODB_SECRET_ARN/)]);
    warn.mockRestore();
  });

  it('still fails on a placeholder secret with a KLINE_STORE SQLite file, and never lets a MongoDB KLINE_STORE override the secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'x7Gq!generated-placeholder' });
    await expect(resolveStoreConfig({ MONGODB_SECRET_ARN: ARN, KLINE_STORE: 'sqlite:/tmp/e2e.db' })).rejects.toThrow(/^MONGODB_SECRET_ARN: /);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'mongodb://from-secret.example:27017/klines' });
    const config = await resolveStoreConfig({ MONGODB_SECRET_ARN: ARN, KLINE_STORE: 'mongodb://elsewhere.example:27017/other' });
    expect(config).toMatchObject({ kind: 'mongodb', uri: expect.stringMatching(/^mongodb:\/\/from-secret\.example/) });
  });

  it('falls back to KLINE_STORE without a secret', async () => {
    expect(await resolveStoreConfig({ KLINE_STORE: 'sqlite::memory:' })).toStrictEqual({ kind: 'sqlite', path: ':memory:' });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('getStore', () => {
  it('opens the store once per container and reuses it', async () => {
    const env = { KLINE_STORE: 'sqlite::memory:' };
    const [a, b] = await Promise.all([getStore(env), getStore(env)]);
    expect(a).toBe(b);
    expect(await getStore(env)).toBe(a);
  });

  it('forgets a failed open, so the next invocation tries again', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));

    // Act
    const failed = getStore({ MONGODB_SECRET_ARN: ARN });
    await expect(failed).rejects.toThrow(/AccessDenied/);
    const next = await getStore({ KLINE_STORE: 'sqlite::memory:' });

    // Assess
    expect(await next.countByMarket('spot', '1m', { from: 0, to: 1 })).toStrictEqual(new Map());
  });
});

describe('getStore with MongoDB', () => {
  it('names the secret, not the URI, when the driver cannot use the connection string', async () => {
    // Prepare: a URI that parses as a URL but carries an option the driver rejects.
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'mongodb://user:s3cret@db.internal/klines?maxPoolSize=lots' });

    // Act
    const outcome = getStore({ MONGODB_SECRET_ARN: ARN });

    // Assess
    await expect(outcome).rejects.toThrow(/^MONGODB_SECRET_ARN: is not a usable MongoDB connection string/);
    await expect(outcome).rejects.not.toThrow(/s3cret/);
  });
});

describe('helpers', () => {
  it.each([
    ['mongodb://h:27017', 'mongodb://h:27017/?maxPoolSize=2'],
    ['mongodb://h:27017/db', 'mongodb://h:27017/db?maxPoolSize=2'],
    ['mongodb://h1,h2/db?replicaSet=rs', 'mongodb://h1,h2/db?replicaSet=rs&maxPoolSize=2'],
    ['mongodb://h/db?', 'mongodb://h/db?maxPoolSize=2'],
    ['mongodb://h/db?maxPoolSize=10', 'mongodb://h/db?maxPoolSize=10'],
  ])('withDefaultPoolSize(%s)', (uri, expected) => {
    expect(withDefaultPoolSize(uri, 2)).toBe(expected);
  });

  it('accepts only MongoDB URIs from a secret', () => {
    expect(mongoUriFromSecretString(' mongodb://h/db \n')).toBe('mongodb://h/db');
    expect(mongoUriFromSecretString('{"MONGODB_URI":"mongodb+srv://c.example.net"}')).toBe('mongodb+srv://c.example.net');
    expect(mongoUriFromSecretString('{"uri": 42}')).toBeUndefined();
    expect(mongoUriFromSecretString('{not json')).toBeUndefined();
    expect(mongoUriFromSecretString(undefined)).toBeUndefined();
  });

  it('passes the 1m retention to the store and names a bad value', () => {
    expect(storeOptions({ KLINE_1M_RETENTION_DAYS: '7' }).retentionDays).toBe(7);
    expect(storeOptions({}).retentionDays).toBeUndefined();
    expect(() => storeOptions({ KLINE_1M_RETENTION_DAYS: '0' })).toThrow(/KLINE_1M_RETENTION_DAYS/);
  });

  it('passes the MongoDB time limit to the store and names a bad value', () => {
    expect(storeOptions({ MONGODB_MAX_TIME_MS: '5000' }).maxTimeMS).toBe(5000);
    expect(storeOptions({}).maxTimeMS).toBeUndefined();
    expect(() => storeOptions({ MONGODB_MAX_TIME_MS: '-1' })).toThrow(/^MONGODB_MAX_TIME_MS: expected a positive integer/);
  });
});
