import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { MarketType } from '../core/market';
import { FunctionPlacement, KlineFunction, StoreAccess } from './kline-function';

export interface AuditFunctionProps {
  /** lambda/auditor.ts (or a test's stand-in). */
  readonly entry: string;
  readonly store: StoreAccess;
  readonly logRetention: logs.RetentionDays;
  /** The captured market types: every one is audited. */
  readonly marketTypes: readonly MarketType[];
  /** Binance's dump file site (BINANCE_DUMPS_URL). */
  readonly dumpsUrl: string;
  /** Binance spot REST (BINANCE_REST_URL), asked about minutes missing in ours and the dump. */
  readonly restUrl: string;
  readonly placement?: FunctionPlacement;
}

/**
 * The daily audit against Binance's dumps (lambda/auditor.ts): at 03:00 UTC it audits the day
 * before yesterday (Binance publishes a day's files the next day; the extra day is margin),
 * repairs minutes we lack from the dump and keeps the result in the store for the next daily
 * report. Sized from bench/audit-zips.ts (docs/deploy.md, "Daily audit"): ≈ 2,600 small zips for
 * all three market types, 8 at once.
 */
export class AuditFunction extends Construct {
  /** 03:00 UTC every day. */
  static readonly SCHEDULE = 'cron(0 3 * * ? *)';
  /** Days between the audited day and the run (AUDIT_LAG_DAYS). */
  static readonly LAG_DAYS = 2;
  /** Markets and downloads one run handles at once: they share the run's one MongoClient (pool of 3). */
  static readonly CONCURRENCY = 8;
  /**
   * Auditor invocations that may hold a MongoClient at once, for the connection budget
   * (lib/connection-budget.ts): the scheduled run (or its retry, which follows a failed run rather
   * than overlapping it) and an on-demand run.
   */
  static readonly MAX_CONCURRENT_RUNS = 2;
  /** REST requests a run may make (AUDIT_REST_MAX_REQUESTS): ≤ 1,000 spot weight, spread by the client's weight gate. */
  static readonly REST_MAX_REQUESTS = 500;

  readonly auditor: KlineFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AuditFunctionProps) {
    super(scope, id);

    this.auditor = new KlineFunction(this, 'Auditor', {
      entry: props.entry,
      name: 'auditor',
      description: "Audits a day of 1m klines against Binance's daily dumps and repairs missing minutes",
      store: props.store,
      // Lambda's maximum: a day of every market takes a few minutes (docs/deploy.md); a slow site
      // or a store outage fails the run, and EventBridge retries it.
      timeout: Duration.minutes(15),
      // Unzip and parse are CPU-bound: 1,769 MB is one full vCPU.
      memorySize: 1769,
      logRetention: props.logRetention,
      placement: props.placement,
      environment: {
        BINANCE_DUMPS_URL: props.dumpsUrl,
        AUDIT_MARKET_TYPES: props.marketTypes.join(','),
        AUDIT_LAG_DAYS: String(AuditFunction.LAG_DAYS),
        AUDIT_CONCURRENCY: String(AuditFunction.CONCURRENCY),
        AUDIT_REST_MAX_REQUESTS: String(AuditFunction.REST_MAX_REQUESTS),
        BINANCE_REST_URL: props.restUrl,
      },
    });
    new CfnOutput(this, 'AuditorFunctionName', {
      description: 'Auditor function: aws lambda invoke --function-name <this> --payload \'{"date":"YYYY-MM-DD"}\' out.json',
      value: this.auditor.function.functionName,
    });
    this.rule = new events.Rule(this, 'AuditSchedule', {
      description: "Audit the day before yesterday against Binance's daily dumps",
      schedule: events.Schedule.expression(AuditFunction.SCHEDULE),
      targets: [new targets.LambdaFunction(this.auditor.function, { retryAttempts: 2, maxEventAge: Duration.hours(6) })],
    });
  }
}
