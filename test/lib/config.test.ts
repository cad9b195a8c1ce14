import { AppConfigError, binanceRegionProblem, checkDeployRegion, ContextKey, DEFAULTS, placeholderWarnings, readAppConfig } from '../../lib/config';
import * as fs from 'node:fs';
import * as path from 'node:path';

const BASE: Partial<Record<ContextKey, unknown>> = { reportSender: 'reports@example.com', reportRecipients: ['ops@example.org'] };

function read(context: Partial<Record<ContextKey, unknown>>) {
  const ctx = { ...BASE, ...context };
  return readAppConfig((key) => ctx[key]);
}

describe('readAppConfig defaults', () => {
  it('fills every optional setting with its documented default', () => {
    // Act
    const config = read({});
    // Assess
    expect(config).toMatchObject({
      reportSchedule: DEFAULTS.reportSchedule,
      logRetentionDays: 30,
      klineRetentionDays: undefined,
      alarmEmail: undefined,
      staticEgress: false,
      mongoSecret: { kind: 'create' },
      mongoDatabase: 'klines',
      binanceStreamUrl: 'wss://data-stream.binance.vision',
      binanceRestUrl: 'https://data-api.binance.vision',
      markets: { quoteAssets: [], symbols: [] },
      sesIdentity: 'reports@example.com',
      createSesIdentity: true,
    });
  });

  it('accepts the defaults written in cdk.json', () => {
    // Prepare
    const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    // Act
    const config = readAppConfig((key) => cdkJson.context[key]);
    // Assess
    expect(config.reportSender).toBe(cdkJson.context.reportSender);
    expect(config.klineRetentionDays).toBeUndefined();
  });
});

describe('readAppConfig accepts strings from `cdk -c key=value`', () => {
  it('parses lists, numbers and booleans given as strings', () => {
    const config = read({
      reportRecipients: 'a@example.org, b@example.org',
      marketsQuoteAssets: 'usdt,btc',
      marketsSymbols: '',
      logRetentionDays: '90',
      klineRetentionDays: '3',
      staticEgress: 'true',
      completenessThreshold: '99.5',
      alarmEmail: 'alarms@example.com',
    });
    expect(config.reportRecipients).toEqual(['a@example.org', 'b@example.org']);
    expect(config.markets).toEqual({ quoteAssets: ['USDT', 'BTC'], symbols: [] });
    expect(config.logRetentionDays).toBe(90);
    expect(config.klineRetentionDays).toBe(3);
    expect(config.staticEgress).toBe(true);
    expect(config.completenessThreshold).toBe(99.5);
    expect(config.alarmEmail).toBe('alarms@example.com');
  });

  it('references an existing secret by name or by full ARN', () => {
    expect(read({ mongoSecretName: 'prod/mongodb-uri' }).mongoSecret).toEqual({ kind: 'name', name: 'prod/mongodb-uri' });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/mongodb-uri-AbCdEf';
    expect(read({ mongoSecretName: arn }).mongoSecret).toEqual({ kind: 'arn', arn });
  });

  it('accepts the sender domain as SES identity', () => {
    expect(read({ sesIdentity: 'example.com', createSesIdentity: false })).toMatchObject({ sesIdentity: 'example.com', createSesIdentity: false });
  });

  it.each(['rate(1 day)', 'rate(6 hours)', 'cron(0 6 * * ? *)', 'cron(15 0 ? * MON *)'])('accepts the schedule %s', (schedule) => {
    expect(read({ reportSchedule: schedule }).reportSchedule).toBe(schedule);
  });
});

describe('readAppConfig rejects bad context with a message naming the key', () => {
  it.each<[ContextKey, unknown]>([
    ['reportSender', undefined],
    ['reportSender', 'not-an-address'],
    ['reportSender', 42],
    ['reportRecipients', []],
    ['reportRecipients', ['ok@example.org', 'broken@']],
    ['reportRecipients', [1, 2]],
    ['reportSchedule', 'daily'],
    ['reportSchedule', 'cron(0 6 * * *)'],
    ['reportSchedule', 'rate(1 days)'],
    ['reportPeriodHours', 0],
    ['reportPeriodHours', '24h'],
    ['marketsQuoteAssets', ['US DT']],
    ['marketsSymbols', { BTCUSDT: true }],
    ['logRetentionDays', 10],
    ['logRetentionDays', 'forever'],
    ['klineRetentionDays', -1],
    ['klineRetentionDays', 1.5],
    ['alarmEmail', 'alarms'],
    ['staticEgress', 'yes'],
    ['containerInsights', 1],
    ['mongoSecretName', 'mongodb+srv://user:pw@cluster0.example.net/klines'],
    ['mongoSecretName', 'arn:aws:s3:::bucket'],
    ['mongoDatabase', 'kl.ines'],
    ['mongoDatabase', 'x'.repeat(64)],
    ['binanceStreamUrl', 'https://data-stream.binance.vision'],
    ['binanceRestUrl', 'not a url'],
    ['completenessThreshold', 0],
    ['completenessThreshold', 101],
    ['noKlinesAlarmMinutes', 0],
    ['writerMaxConcurrency', 1],
    ['sesIdentity', 'other.org'],
  ])('%s = %j', (key, value) => {
    // Act
    const act = () => read({ [key]: value });
    // Assess
    expect(act).toThrow(AppConfigError);
    expect(act).toThrow(new RegExp(`^Invalid context "${key}": `));
  });

  it('never echoes a connection string put where a secret name belongs', () => {
    expect(() => read({ mongoSecretName: 'mongodb+srv://user:hunter2@cluster0.example.net/' })).toThrow(/^(?!.*hunter2)/);
  });

  it('names reportSender when the sender is missing', () => {
    expect(() => readAppConfig(() => undefined)).toThrow(/reportSender/);
  });
});

describe('binanceRegionProblem', () => {
  const global = { binanceRestUrl: DEFAULTS.binanceRestUrl, binanceStreamUrl: DEFAULTS.binanceStreamUrl };

  it('refuses us-* regions for Binance global endpoints (HTTP 451) and suggests one that works', () => {
    expect(binanceRegionProblem('us-east-1', global)).toMatch(/us-east-1.*451.*eu-west-1/);
    expect(binanceRegionProblem('us-west-2', { binanceRestUrl: 'https://api.binance.com', binanceStreamUrl: 'wss://stream.binance.com:9443' })).toMatch(/451/);
  });

  it('accepts non-US regions, Binance.US endpoints from US regions, and an unknown region', () => {
    expect(binanceRegionProblem('eu-west-1', global)).toBeUndefined();
    expect(binanceRegionProblem('ap-northeast-1', global)).toBeUndefined();
    expect(binanceRegionProblem('us-east-1', { binanceRestUrl: 'https://api.binance.us', binanceStreamUrl: 'wss://stream.binance.us:9443' })).toBeUndefined();
    expect(binanceRegionProblem(undefined, global)).toBeUndefined();
  });
});

describe('checkDeployRegion', () => {
  const global = { binanceRestUrl: DEFAULTS.binanceRestUrl, binanceStreamUrl: DEFAULTS.binanceStreamUrl };

  it('fails the synth when the user named a US region', () => {
    expect(checkDeployRegion({ AWS_REGION: 'us-east-2', CDK_DEFAULT_REGION: 'us-east-2' }, global)).toMatchObject({ severity: 'error' });
    expect(checkDeployRegion({ AWS_DEFAULT_REGION: 'us-west-1' }, global)).toMatchObject({ severity: 'error' });
  });

  it("only warns on the CLI's us-east-1 fallback, so an offline synth still works", () => {
    expect(checkDeployRegion({ CDK_DEFAULT_REGION: 'us-east-1' }, global)).toMatchObject({ severity: 'warning', message: expect.stringContaining('451') });
  });

  it('lets a named non-US region override a US default', () => {
    expect(checkDeployRegion({ AWS_REGION: 'eu-central-1', CDK_DEFAULT_REGION: 'us-east-1' }, global)).toBeUndefined();
  });
});

describe('placeholderWarnings', () => {
  it("names each setting still holding a reserved example address, as cdk.json's defaults do", () => {
    const warnings = placeholderWarnings({ reportSender: 'reports@example.com', reportRecipients: ['me@mycorp.io', 'you@mail.example.org'], alarmEmail: undefined });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^Context "reportSender" is the placeholder reports@example\.com/);
    expect(warnings[1]).toMatch(/^Context "reportRecipients" is the placeholder you@mail\.example\.org/);
  });

  it('is silent for real addresses', () => {
    expect(placeholderWarnings({ reportSender: 'reports@mycorp.io', reportRecipients: ['ops@examples.com'], alarmEmail: 'a@mycorp.io' })).toEqual([]);
  });
});
