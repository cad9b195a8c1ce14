import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { Kline } from '../../core/kline';
import { MongoKlineStore } from '../../core/store/mongo';
import { createLogger, type Logger } from '../../core/logger';
import type { MarketType } from '../../core/market';
import { readResumePoints, resumeReader, type ResumePoints } from '../../ingest-task/capture/resume-store';

const ALL_TYPES: readonly MarketType[] = ['spot', 'usdm', 'coinm'];
const sizes = (points: ResumePoints): Record<string, number> => Object.fromEntries([...points].map(([t, m]) => [t, m.size]));

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kline-capture/mongodb-AbCdEf';
/** Unreachable on purpose: port 1 refuses at once; the password must never reach a log line. */
const UNREACHABLE = 'mongodb://capture:S3cretPassw0rd@127.0.0.1:1/klines?directConnection=true';

function capture(): { logger: Logger; text: () => string } {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => raw.push(l) });
  return { logger, text: () => raw.join('\n') };
}

function errorsIn(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.level === 'error');
}

const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());
afterAll(() => secrets.restore());

describe('readResumePoints from a Secrets Manager secret', () => {
  it('starts without resume and logs one error naming the secret when it still holds the deploy placeholder', async () => {
    const placeholder = 'x7#Qp9!vLr2$Zk8wNm4&';
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: placeholder });
    const log = capture();

    const points = await readResumePoints({ kind: 'secret', secretArn: ARN, database: 'klines' }, ALL_TYPES, { logger: log.logger, secrets: new SecretsManagerClient({ region: 'eu-west-1' }) });

    expect(sizes(points)).toEqual({ spot: 0, usdm: 0, coinm: 0 });
    const errors = errorsIn(log.text());
    expect(errors).toHaveLength(1);
    expect(errors[0].secretArn).toBe(ARN);
    expect(String(errors[0].reason)).toContain('does not hold a MongoDB connection string');
    expect(String(errors[0].fix)).toContain('put-secret-value');
    expect(log.text()).not.toContain(placeholder);
  });

  it('starts without resume when the secret cannot be read (access denied), naming the secret and the permission', async () => {
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' }));
    const log = capture();

    const points = await readResumePoints({ kind: 'secret', secretArn: ARN, database: undefined }, ALL_TYPES, { logger: log.logger, secrets: new SecretsManagerClient({ region: 'eu-west-1' }) });

    expect(sizes(points)).toEqual({ spot: 0, usdm: 0, coinm: 0 });
    const errors = errorsIn(log.text());
    expect(errors).toHaveLength(1);
    expect(errors[0].secretArn).toBe(ARN);
    expect(String(errors[0].reason)).toContain('AccessDeniedException');
  });

  it('starts without resume when the URI in the secret (JSON form) points at an unreachable store, without logging the password', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: JSON.stringify({ uri: UNREACHABLE }) });
    const log = capture();

    const points = await readResumePoints({ kind: 'secret', secretArn: ARN, database: undefined }, ALL_TYPES, { logger: log.logger, secrets: new SecretsManagerClient({ region: 'eu-west-1' }), serverSelectionTimeoutMS: 300 });

    expect(sizes(points)).toEqual({ spot: 0, usdm: 0, coinm: 0 });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const errors = errorsIn(log.text());
    expect(errors).toHaveLength(1);
    expect(errors[0].secretArn).toBe(ARN);
    expect(String(errors[0].reason)).toContain('did not answer');
    expect(log.text()).not.toContain('S3cretPassw0rd');
  });

  it('starts without resume when the secret holds a mongodb:// text the driver cannot use', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'mongodb://capture:pw@h1:27017,h2:notaport/klines' });
    const log = capture();

    const points = await readResumePoints({ kind: 'secret', secretArn: ARN, database: undefined }, ALL_TYPES, { logger: log.logger, secrets: new SecretsManagerClient({ region: 'eu-west-1' }), serverSelectionTimeoutMS: 300 });

    expect(sizes(points)).toEqual({ spot: 0, usdm: 0, coinm: 0 });
    expect(errorsIn(log.text())).toHaveLength(1);
    expect(log.text()).not.toContain('capture:pw');
  });
});

describe('readResumePoints from a configured URI', () => {
  it('warns and starts without resume when no store is configured', async () => {
    const log = capture();
    const points = await readResumePoints({ kind: 'none' }, ALL_TYPES, { logger: log.logger });
    expect(sizes(points)).toEqual({ spot: 0, usdm: 0, coinm: 0 });
    expect(log.text()).toContain('"level":"warn"');
  });

  it('logs one error and starts without resume when MONGODB_URI is unreachable', async () => {
    const log = capture();
    const points = await readResumePoints({ kind: 'mongodb', uri: UNREACHABLE, database: 'klines' }, ALL_TYPES, { logger: log.logger, serverSelectionTimeoutMS: 300 });
    expect(sizes(points)).toEqual({ spot: 0, usdm: 0, coinm: 0 });
    const errors = errorsIn(log.text());
    expect(errors).toHaveLength(1);
    expect(errors[0].secretArn).toBeUndefined();
    expect(log.text()).not.toContain('S3cretPassw0rd');
  });
});

const MONGODB_URI = process.env.MONGODB_URI;
const withMongo = MONGODB_URI ? describe : describe.skip;
if (!MONGODB_URI) console.log('resume-store.test: MONGODB_URI not set, skipping the test that resumes from a real MongoDB');

withMongo('readResumePoints from a real MongoDB through the secret', () => {
  it('returns the last stored 1m open time per market', async () => {
    const database = `resume_test_${process.pid}_${Date.now()}`;
    const store = new MongoKlineStore({ uri: MONGODB_URI!, database });
    await store.applySchema();
    const T0 = Date.UTC(2026, 0, 5);
    const k = (symbol: string, minute: number, marketType: MarketType = 'spot'): Kline => ({ marketType, symbol, interval: '1m', openTime: T0 + minute * 60_000, closeTime: T0 + minute * 60_000 + 59_999, open: '1', high: '1', low: '1', close: '1', volume: '0', quoteVolume: '0', trades: 0, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0' });
    try {
      await store.upsert('1m', [k('AAAUSDT', 0), k('AAAUSDT', 4), k('BBBBTC', 2), k('AAAUSDT', 7, 'usdm')]);
      await store.recordMarketStatus([
        { marketType: 'spot', symbol: 'AAAUSDT', status: 'TRADING', at: T0 },
        { marketType: 'spot', symbol: 'BBBBTC', status: 'TRADING', at: T0 },
        { marketType: 'usdm', symbol: 'AAAUSDT', status: 'TRADING', at: T0 },
      ]);
      secrets.on(GetSecretValueCommand).resolves({ SecretString: MONGODB_URI });
      const log = capture();

      const points = await readResumePoints({ kind: 'secret', secretArn: ARN, database }, ALL_TYPES, { logger: log.logger, secrets: new SecretsManagerClient({ region: 'eu-west-1' }) });

      expect(points.get('spot')).toEqual(new Map([['AAAUSDT', T0 + 4 * 60_000], ['BBBBTC', T0 + 2 * 60_000]]));
      expect(points.get('usdm')).toEqual(new Map([['AAAUSDT', T0 + 7 * 60_000]]));
      expect(points.get('coinm')).toEqual(new Map());
      expect(errorsIn(log.text())).toHaveLength(0);
    } finally {
      await store.close();
    }
  });
});

describe('resumeReader', () => {
  it('serves every venue\'s first start from one read of all types, and a restarted venue from a fresh read of its own', async () => {
    // Prepare: a store whose usdm point moves on between the first read and a venue restart
    const reads: (readonly MarketType[])[] = [];
    let usdmLast = 100;
    const read = async (types: readonly MarketType[]): Promise<ResumePoints> => {
      reads.push(types);
      return new Map(types.map((t) => [t, new Map([[`${t.toUpperCase()}SYM`, t === 'usdm' ? usdmLast : 1]])]));
    };
    const resumeFrom = resumeReader(ALL_TYPES, read);

    // Act: the three venues start at once; later usdm fails and starts again
    const first = await Promise.all(ALL_TYPES.map((t) => resumeFrom(t)));
    usdmLast = 160;
    const restarted = await resumeFrom('usdm');

    // Assess
    expect(first).toEqual([new Map([['SPOTSYM', 1]]), new Map([['USDMSYM', 100]]), new Map([['COINMSYM', 1]])]);
    expect(restarted).toEqual(new Map([['USDMSYM', 160]]));
    expect(reads).toEqual([ALL_TYPES, ['usdm']]);
  });
});
