import { AppConfigError, binanceRegionProblem, checkDeployRegion, ContextKey, cronProblem, DEFAULTS, placeholderWarnings, readAppConfig, unknownContextKeys } from '../../lib/config';
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

  it('parses a JSON list given as text, as `-c \'reportRecipients=["a@b.com","c@d.com"]\'` passes it', () => {
    expect(read({ reportRecipients: '["a@b.com","c@d.com"]' }).reportRecipients).toEqual(['a@b.com', 'c@d.com']);
    expect(read({ marketsSymbols: ' ["btcusdt"] ' }).markets.symbols).toEqual(['BTCUSDT']);
  });

  it.each(['cron(15 0 * * ? *)', 'cron(0/15 * * * ? *)', 'cron(0 6 ? * MON-FRI *)', 'cron(0 12 L * ? *)', 'cron(0 8 ? * 2#1 *)', 'cron(5,35 1-3 1W JAN,JUL ? 2026-2030)', 'rate(6 hours)'])(
    'accepts the EventBridge schedule %s',
    (schedule) => {
      expect(read({ reportSchedule: schedule }).reportSchedule).toBe(schedule);
    },
  );

  it('captures spot by default and the market types the context lists, as a list or text', () => {
    expect(read({}).marketTypes).toEqual(['spot']);
    expect(read({ marketTypes: 'spot,usdm' }).marketTypes).toEqual(['spot', 'usdm']);
    expect(read({ marketTypes: ['COINM', 'coinm'] }).marketTypes).toEqual(['coinm']);
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
    ['reportSchedule', 'cron(75 0 * * ? *)'],
    ['reportSchedule', 'cron(0 24 * * ? *)'],
    ['reportSchedule', 'cron(0 6 * * * *)'],
    ['reportSchedule', 'cron(0 6 ? * ? *)'],
    ['reportSchedule', 'cron(0 6 32 * ? *)'],
    ['reportSchedule', 'cron(0 6 ? 13 MON *)'],
    ['reportSchedule', 'cron(0 6 ? * 8 *)'],
    ['reportSchedule', 'cron(0 ? * * MON *)'],
    ['reportSchedule', 'cron(0 6 * * ? 1969)'],
    ['reportSchedule', 'cron(0/0 6 * * ? *)'],
    ['reportRecipients', '["a@b.com", "c@d.com"'],
    ['reportRecipients', '["a@b.com", 3]'],
    ['reportPeriodHours', 0],
    ['reportPeriodHours', '24h'],
    ['marketsQuoteAssets', ['US DT']],
    ['marketsSymbols', { BTCUSDT: true }],
    ['marketTypes', ['spot', 'margin']],
    ['marketTypes', 'futures'],
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
    ['writerMaxConcurrency', 91],
    ['atlasTier', 'M5'],
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

  it("fails the synth when the region is only in the selected AWS profile (~/.aws/config)", () => {
    expect(checkDeployRegion({ CDK_DEFAULT_REGION: 'us-east-2' }, global, 'us-east-2')).toMatchObject({ severity: 'error' });
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

describe('cronProblem', () => {
  it('names the field that is out of range', () => {
    expect(cronProblem('75 0 * * * *')).toMatch(/^minutes field "75": 75 is outside 0-59/);
    expect(cronProblem('0 6 * * * *')).toMatch(/exactly one of day-of-month and day-of-week must be "\?"/);
    expect(cronProblem('0 6 * *')).toMatch(/4 fields/);
  });
});

describe('unknownContextKeys', () => {
  it('refuses a misspelt key and suggests the one meant', () => {
    expect(unknownContextKeys({ reportSender: 'a@b.com', reportRecipent: 'x@y.com' })).toEqual([
      expect.stringMatching(/^Unknown context "reportRecipent": .*Did you mean "reportRecipients"\?$/),
    ]);
  });

  it("lets CDK's own keys through (feature flags, aws:cdk:*, lookups, acknowledged notices) and every key of cdk.json", () => {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    const context = {
      ...cdkJson.context,
      '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
      'aws:cdk:bundling-stacks': ['**'],
      'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
      'acknowledged-issue-numbers': [32775],
    };
    expect(unknownContextKeys(context)).toEqual([]);
  });
});

describe('connection budget (atlasTier)', () => {
  it('fits the defaults on the free tier, and a writer concurrency up to what an M0 node accepts', () => {
    expect(read({}).atlasTier).toBe('M0');
    // (500 − 10 reserved − 10 other clients × 5) / 5 connections per writer container = 88.
    expect(read({ writerMaxConcurrency: 88 }).writerMaxConcurrency).toBe(88);
    // Without the exporter's 2 clients: 90.
    expect(read({ writerMaxConcurrency: 90, s3Export: false }).writerMaxConcurrency).toBe(90);
  });

  it('refuses more writer containers than the tier accepts, with the arithmetic and the largest value that fits', () => {
    expect(() => read({ writerMaxConcurrency: 89 })).toThrow(
      /^Invalid context "writerMaxConcurrency": 89 writer containers can open 495 connections per node .*auditor \(a scheduled run and an on-demand run\): 10.*exporter \(a scheduled run and an on-demand run\): 10.*over the 500 an Atlas M0 node accepts .*at most 88/,
    );
    expect(() => read({ writerMaxConcurrency: 91, s3Export: false })).toThrow(/91 writer containers can open 495 connections per node .*auditor.*at most 90/);
  });

  it('allows more on a larger tier', () => {
    expect(read({ writerMaxConcurrency: 250, atlasTier: 'm10' })).toMatchObject({ writerMaxConcurrency: 250, atlasTier: 'M10' });
    expect(() => read({ writerMaxConcurrency: 300, atlasTier: 'M10' })).toThrow(/at most 288/);
  });
});
