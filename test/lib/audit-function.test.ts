import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AuditFunction } from '../../lib/audit-function';
import { readAppConfig } from '../../lib/config';
import { buildStack, logicalId } from './helpers';

describe('the daily audit in the stack', () => {
  let template: Template;

  beforeAll(() => {
    ({ template } = buildStack({ marketTypes: 'spot,usdm,coinm', binanceDumpsUrl: 'https://dumps-mirror.example.com' }));
  }, 300_000);

  it('runs the auditor daily at 03:00 UTC, retried by EventBridge', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'AuditAuditorFunction'), 'Arn'] }, RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }) })],
    });
    expect(AuditFunction.SCHEDULE).toBe('cron(0 3 * * ? *)');
  });

  it('audits every captured market type from the configured dump site, two days back, 8 at once, REST capped at 500 requests, with one vCPU and the longest timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1769,
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({ BINANCE_DUMPS_URL: 'https://dumps-mirror.example.com', AUDIT_MARKET_TYPES: 'spot,usdm,coinm', AUDIT_LAG_DAYS: '2', AUDIT_CONCURRENCY: '8', AUDIT_REST_MAX_REQUESTS: '500', BINANCE_REST_URL: 'https://data-api.binance.vision' }),
      },
    });
  });
});

describe('binanceDumpsUrl setting', () => {
  const context = (ctx: Record<string, unknown>): Record<string, unknown> => ({ reportRecipients: 'a@example.com', reportSender: 'r@example.com', ...ctx });
  const read = (ctx: Record<string, unknown>) => readAppConfig((key) => context(ctx)[key]);

  it('defaults to data.binance.vision and refuses what is not an http(s) URL, naming the setting', () => {
    expect(read({}).binanceDumpsUrl).toBe('https://data.binance.vision');
    expect(() => read({ binanceDumpsUrl: 'ftp://data.binance.vision' })).toThrow(/binanceDumpsUrl/);
  });
});
