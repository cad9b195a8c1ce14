import { Aws, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { MarketType } from '../core/market';
import { INGEST_DIMENSIONS, INGEST_METRIC, ingestMarketTypeDimensions, LAMBDA_DIMENSIONS, METRIC, METRICS_NAMESPACE } from './names';

export interface MonitoringProps {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly writer: lambda.IFunction;
  readonly resampler: lambda.IFunction;
  readonly reporter: lambda.IFunction;
  /** The daily S3 exporter, when the stack has one (`s3Export`). */
  readonly exporter?: lambda.IFunction;
  readonly ingestService: ecs.FargateService;
  /** The market types the ingest captures: one "no klines forwarded" alarm and graph line each. */
  readonly marketTypes: readonly MarketType[];
  /** Alarm when no kline is forwarded for this many consecutive minutes. */
  readonly noKlinesMinutes: number;
  /** Alarm when a report's completeness percentage is below this. */
  readonly completenessThreshold: number;
  /** @default - no notification; alarms show in the console only */
  readonly alarmEmail?: string;
}

/**
 * What tells the operator that minutes are being lost: alarms (dead letters, ingest silence,
 * writer errors, resampler/reporter errors, completeness below threshold), an optional SNS e-mail for
 * them, and one dashboard with the pipeline from stream to report.
 */
export class Monitoring extends Construct {
  readonly alarms: {
    readonly deadLetters: cloudwatch.Alarm;
    readonly writerErrors: cloudwatch.Alarm;
    readonly resamplerErrors: cloudwatch.Alarm;
    readonly reporterErrors: cloudwatch.Alarm;
    /** Only with an exporter. */
    readonly exporterErrors?: cloudwatch.Alarm;
    readonly completeness: cloudwatch.Alarm;
    readonly storeUnavailable: cloudwatch.Alarm;
  };
  /**
   * One "no klines forwarded" alarm per captured market type, reading [Service, MarketType]. No
   * alarm on the task's total: with one type it would fire with that type's alarm every time, and
   * with several it stays quiet while any type flows, so it would only ever repeat these.
   */
  readonly noKlinesForwarded: ReadonlyMap<MarketType, cloudwatch.Alarm>;
  readonly topic: sns.Topic | undefined;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    if (!Number.isInteger(props.noKlinesMinutes) || props.noKlinesMinutes < 1) {
      throw new Error(`Monitoring: noKlinesMinutes must be a positive whole number, got ${props.noKlinesMinutes}`);
    }

    // The task emits KlinesForwarded as a count since its previous EMF line (one line a minute), so
    // the Sum per minute is the klines forwarded in that minute, whatever the line's timing jitter.
    const klinesForwarded = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: INGEST_METRIC.klinesForwarded,
      dimensionsMap: { ...INGEST_DIMENSIONS },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(1),
    });
    if (props.marketTypes.length === 0) throw new Error('Monitoring: marketTypes must name at least one market type');
    const forwardedByType = new Map(
      props.marketTypes.map((t) => [t, klinesForwarded.with({ dimensionsMap: { ...ingestMarketTypeDimensions(t) } })] as const),
    );
    const completeness = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC.completenessPercent,
      dimensionsMap: { ...LAMBDA_DIMENSIONS },
      statistic: cloudwatch.Stats.MINIMUM,
      period: Duration.days(1),
    });
    const lambdaMetric = (name: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { ...LAMBDA_DIMENSIONS }, statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) });
    // The writer answers a store outage with batch item failures, not an error: only this metric shows it.
    const storeUnavailable = lambdaMetric(METRIC.storeUnavailable);
    const reportSendFailures = lambdaMetric(METRIC.reportSendFailures);
    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM });

    const errorsAlarm = (id: string, fn: lambda.IFunction, what: string) =>
      fn.metricErrors({ period: Duration.minutes(5) }).createAlarm(this, id, {
        alarmDescription: `The ${what} failed in 2 of the last 3 five-minute periods. See its log group.`,
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    this.alarms = {
      deadLetters: deadLetters.createAlarm(this, 'DeadLettersAlarm', {
        alarmDescription:
          'Messages reached the dead-letter queue: klines the writer could not store. Fix the cause, then redrive (docs/deploy.md).',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      writerErrors: errorsAlarm('WriterErrorsAlarm', props.writer, 'writer'),
      resamplerErrors: errorsAlarm('ResamplerErrorsAlarm', props.resampler, 'resampler'),
      reporterErrors: fnAlarmOnce(this, props.reporter, 'ReporterErrorsAlarm', 'The reporter failed: the quality report was not sent. See its log group.'),
      ...(props.exporter
        ? {
            exporterErrors: fnAlarmOnce(
              this,
              props.exporter,
              'ExporterErrorsAlarm',
              "An S3 export run failed (Lambda retries a scheduled run up to twice; objects already written are kept). " +
                'See its log group, then invoke the exporter for the days still missing (docs/export.md).',
            ),
          }
        : {}),
      completeness: completeness.createAlarm(this, 'CompletenessAlarm', {
        alarmDescription: `A quality report found less than ${props.completenessThreshold} % of the expected 1m klines. See the report e-mail for the gaps.`,
        threshold: props.completenessThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      storeUnavailable: storeUnavailable.createAlarm(this, 'StoreUnavailableAlarm', {
        alarmDescription:
          'The functions could not reach MongoDB in 2 of the last 3 five-minute periods; klines wait in the queue ' +
          '(and reach the dead-letter queue after 5 receives). Check Atlas, the secret and the network access list.',
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };

    this.noKlinesForwarded = new Map(
      [...forwardedByType].map(([type, metric]) => [
        type,
        metric.createAlarm(this, `NoKlinesForwarded${type[0].toUpperCase()}${type.slice(1)}Alarm`, {
          alarmDescription: `The ingest task forwarded no ${type} kline for ${props.noKlinesMinutes} minutes: ${type} capture has stopped.`,
          threshold: 1,
          evaluationPeriods: props.noKlinesMinutes,
          datapointsToAlarm: props.noKlinesMinutes,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          // No data point means nothing of this type was forwarded (or the task is not running): that
          // is the alarm. While klines flow every minute has a Sum ≥ 1, so the alarm stays OK.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      ]),
    );

    if (props.alarmEmail !== undefined) {
      // No SSE: the topic carries only alarm state changes, and CloudWatch cannot publish to a topic
      // encrypted with the AWS-managed aws/sns key (a customer-managed key would cost $1/month).
      this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'kline-capture alarms', enforceSSL: true });
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      // enforceSSL gives the topic a policy holding only a Deny, which replaces SNS's default
      // owner-allow policy: CloudWatch then gets "no resource-based policy allows the SNS:Publish
      // action". Allow this account's alarms, and no one else's, to publish.
      const stack = Stack.of(this);
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisAccountsCloudWatchAlarms',
          effect: iam.Effect.ALLOW,
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
          },
        }),
      );
      const action = new actions.SnsAction(this.topic);
      for (const alarm of this.allAlarms()) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    this.dashboard = this.buildDashboard(props, klinesForwarded, forwardedByType, completeness, deadLetters, [storeUnavailable, reportSendFailures]);
    const region = Stack.of(this).region;
    new CfnOutput(this, 'DashboardUrl', {
      description: 'CloudWatch dashboard of the capture pipeline',
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`,
    });
  }

  /** Every alarm of the stack's monitoring, the per-type ones included. */
  allAlarms(): cloudwatch.Alarm[] {
    return [...Object.values(this.alarms).filter((a): a is cloudwatch.Alarm => a !== undefined), ...this.noKlinesForwarded.values()];
  }

  private buildDashboard(
    props: MonitoringProps,
    klinesForwarded: cloudwatch.Metric,
    forwardedByType: ReadonlyMap<MarketType, cloudwatch.Metric>,
    completeness: cloudwatch.Metric,
    deadLetters: cloudwatch.Metric,
    failures: cloudwatch.IMetric[],
  ): cloudwatch.Dashboard {
    // Dashboard names are account-wide (not per region): stack name plus region keeps them apart.
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-${Aws.REGION}`,
      defaultInterval: Duration.hours(6),
    });
    const fiveMin = { period: Duration.minutes(5) };
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.allAlarms(), width: 24, height: 3 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Ingest: klines forwarded per minute, per market type',
        left: [klinesForwarded.with({ label: 'All klines forwarded to SQS' }), ...[...forwardedByType].map(([t, m]) => m.with({ label: `${t} klines forwarded to SQS` }))],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest task: CPU and memory %',
        left: [props.ingestService.metricCpuUtilization(fiveMin), props.ingestService.metricMemoryUtilization(fiveMin)],
        width: 12,
      }),
    );
    // One widget per market type: its klines per minute against its alarm's threshold.
    dashboard.addWidgets(
      ...[...this.noKlinesForwarded].map(
        ([type, alarm]) => new cloudwatch.AlarmWidget({ title: `Ingest: ${type} klines forwarded per minute`, alarm, width: Math.floor(24 / this.noKlinesForwarded.size) }),
      ),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue: waiting messages and oldest age (s)',
        left: [props.queue.metricApproximateNumberOfMessagesVisible(fiveMin)],
        right: [props.queue.metricApproximateAgeOfOldestMessage(fiveMin)],
        width: 12,
      }),
      new cloudwatch.GraphWidget({ title: 'Dead-letter queue: messages', left: [deadLetters], width: 12 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Writer: invocations, errors, throttles',
        left: [props.writer.metricInvocations(fiveMin), props.writer.metricErrors(fiveMin), props.writer.metricThrottles(fiveMin)],
        right: [props.writer.metricDuration({ ...fiveMin, statistic: cloudwatch.Stats.p(99) })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Resampler and reporter: invocations and errors',
        left: [
          props.resampler.metricInvocations(fiveMin),
          props.resampler.metricErrors(fiveMin),
          props.reporter.metricInvocations(fiveMin),
          props.reporter.metricErrors(fiveMin),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({ title: 'Completeness % (last report)', metrics: [completeness], width: 12 }),
      new cloudwatch.GraphWidget({ title: 'Completeness % per report', left: [completeness], leftYAxis: { min: 0, max: 100 }, width: 12 }),
    );
    dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Store unavailable and report send failures', left: failures, width: 24 }));
    return dashboard;
  }
}

/** A failed run of a rarely scheduled function (reporter, exporter) is worth one alarm: any error counts. */
function fnAlarmOnce(scope: Construct, fn: lambda.IFunction, id: string, alarmDescription: string): cloudwatch.Alarm {
  return fn.metricErrors({ period: Duration.hours(1) }).createAlarm(scope, id, {
    alarmDescription,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
