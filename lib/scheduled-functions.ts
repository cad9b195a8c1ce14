import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FunctionPlacement, KlineFunction, StoreAccess } from './kline-function';
import type { ReportEmail } from './report-email';

export interface ScheduledFunctionsProps {
  readonly entries: { readonly resampler: string; readonly reporter: string };
  readonly store: StoreAccess;
  readonly logRetention: logs.RetentionDays;
  /** EventBridge schedule expression of the reporter (`cron(...)` or `rate(...)`). */
  readonly reportSchedule: string;
  /** Whole UTC hours each scheduled report covers (REPORT_PERIOD_HOURS). */
  readonly reportPeriodHours: number;
  readonly email: ReportEmail;
  readonly recipients: readonly string[];
  readonly placement?: FunctionPlacement;
}

/**
 * The resampler, every 5 minutes one minute past the boundary (so the last 1m kline of a window,
 * which closes on the boundary and arrives seconds later, is in before the window is built), and the
 * reporter on the configured schedule (daily by default). The reporter may send from the configured
 * identity only.
 */
export class ScheduledFunctions extends Construct {
  /** Minutes 1, 6, 11, … of every hour, UTC. */
  static readonly RESAMPLE_SCHEDULE = 'cron(1/5 * * * ? *)';

  readonly resampler: KlineFunction;
  readonly reporter: KlineFunction;
  readonly resampleRule: events.Rule;
  readonly reportRule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledFunctionsProps) {
    super(scope, id);

    this.resampler = new KlineFunction(this, 'Resampler', {
      entry: props.entries.resampler,
      name: 'resampler',
      description: 'Builds closed 5m/15m/30m/1h klines from 1m klines, re-computing recent windows',
      store: props.store,
      // Less than the 5-minute period, so two runs never overlap; work per run is bounded in code.
      timeout: Duration.minutes(4),
      memorySize: 1024,
      logRetention: props.logRetention,
      placement: props.placement,
    });
    this.resampleRule = new events.Rule(this, 'ResampleSchedule', {
      description: 'Run the resampler every 5 minutes, 1 minute past the boundary',
      schedule: events.Schedule.expression(ScheduledFunctions.RESAMPLE_SCHEDULE),
      targets: [new targets.LambdaFunction(this.resampler.function, { retryAttempts: 2, maxEventAge: Duration.minutes(4) })],
    });

    this.reporter = new KlineFunction(this, 'Reporter', {
      entry: props.entries.reporter,
      name: 'reporter',
      description: 'Computes the data-quality report and e-mails it through SES',
      store: props.store,
      timeout: Duration.minutes(10),
      memorySize: 1024,
      logRetention: props.logRetention,
      placement: props.placement,
      environment: {
        REPORT_SENDER: props.email.sender,
        REPORT_RECIPIENTS: props.recipients.join(','),
        REPORT_PERIOD_HOURS: String(props.reportPeriodHours),
      },
    });
    props.email.grantSend(this.reporter.role);
    new CfnOutput(this, 'ReporterFunctionName', {
      description: 'Reporter function: aws lambda invoke --function-name <this> --payload \'{"from":"...","to":"..."}\' out.json',
      value: this.reporter.function.functionName,
    });
    this.reportRule = new events.Rule(this, 'ReportSchedule', {
      description: 'Send the data-quality report',
      schedule: events.Schedule.expression(props.reportSchedule),
      targets: [new targets.LambdaFunction(this.reporter.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
  }
}
