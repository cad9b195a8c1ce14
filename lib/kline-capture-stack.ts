import { Stack, StackProps } from 'aws-cdk-lib';
import { AuditFunction } from './audit-function';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AppConfig } from './config';
import { HistoryTask, historyImage } from './history-task';
import { IngestService, ingestImage } from './ingest-service';
import type { StoreAccess } from './kline-function';
import { KlineQueue } from './kline-queue';
import { MongoSecret } from './mongo-secret';
import { Monitoring } from './monitoring';
import { DEFAULT_LAMBDA_ENTRIES, LambdaEntries } from './paths';
import { ReportEmail } from './report-email';
import { ScheduledFunctions } from './scheduled-functions';
import { SchemaStep } from './schema-step';
import { EgressNetwork } from './static-egress';
import { KlineExport } from './export-bucket';
import { WriterFunction } from './writer-function';

export interface KlineCaptureStackProps extends StackProps {
  /** Validated configuration (see `readAppConfig`). */
  readonly config: AppConfig;
  /** Handler entry files. @default lambda/writer.ts, lambda/resampler.ts, lambda/reporter.ts */
  readonly lambdaEntries?: LambdaEntries;
  /** The ingest task's image. @default built from ingest-task/Dockerfile (repository root as context) */
  readonly ingestImage?: ecs.ContainerImage;
  /** The history job's image. @default ingest-task/Dockerfile's `history` target (repository root as context) */
  readonly historyImage?: ecs.ContainerImage;
}

/**
 * The whole capture system: ingest task → queue → writer → MongoDB, the scheduled resampler and
 * reporter, the report's SES identity, the MongoDB secret, the network and the monitoring.
 * The stack only composes; each construct owns its resources, grants and environment.
 */
export class KlineCaptureStack extends Stack {
  readonly network: EgressNetwork;
  readonly mongoSecret: MongoSecret;
  readonly queue: KlineQueue;
  readonly ingest: IngestService;
  /** The history bootstrap, a one-off task the user starts (output HistoryRunTaskCommand). */
  readonly history: HistoryTask;
  readonly writer: WriterFunction;
  readonly scheduled: ScheduledFunctions;
  readonly audit: AuditFunction;
  readonly email: ReportEmail;
  readonly monitoring: Monitoring;
  /** The daily Parquet export to S3 with its Glue table, unless `s3Export` is false. */
  readonly export: KlineExport | undefined;
  /** The deploy-time schema step, when an admin credential secret is configured. */
  readonly schema: SchemaStep | undefined;

  constructor(scope: Construct, id: string, props: KlineCaptureStackProps) {
    super(scope, id, props);
    const { config } = props;
    const entries = props.lambdaEntries ?? DEFAULT_LAMBDA_ENTRIES;
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.network = new EgressNetwork(this, 'Network', { staticEgress: config.staticEgress, logRetention });
    this.mongoSecret = new MongoSecret(this, 'MongoSecret', { source: config.mongoSecret });
    const store: StoreAccess = {
      secret: this.mongoSecret.secret,
      database: config.mongoDatabase,
      klineRetentionDays: config.klineRetentionDays,
    };

    if (config.mongoAdminSecret !== undefined) {
      const admin = config.mongoAdminSecret;
      this.schema = new SchemaStep(this, 'SchemaStep', {
        entry: entries.schema ?? DEFAULT_LAMBDA_ENTRIES.schema!,
        adminSecret:
          admin.kind === 'name'
            ? secretsmanager.Secret.fromSecretNameV2(this, 'MongoAdminSecret', admin.name)
            : secretsmanager.Secret.fromSecretCompleteArn(this, 'MongoAdminSecret', admin.arn),
        database: config.mongoDatabase,
        klineRetentionDays: config.klineRetentionDays,
        logRetention,
        placement: this.network.functionPlacement,
      });
    }

    this.queue = new KlineQueue(this, 'Queue', {
      consumerTimeout: WriterFunction.TIMEOUT,
      consumerBatchingWindow: WriterFunction.BATCHING_WINDOW,
      maxReceiveCount: 5,
    });

    this.ingest = new IngestService(this, 'Ingest', {
      vpc: this.network.vpc,
      subnets: this.network.taskSubnets,
      assignPublicIp: this.network.taskNeedsPublicIp,
      image: props.ingestImage ?? ingestImage(),
      queue: this.queue.queue,
      store,
      binance: { streamUrl: config.binanceStreamUrl, restUrl: config.binanceRestUrl },
      markets: config.markets,
      marketTypes: config.marketTypes,
      logRetention,
      containerInsights: config.containerInsights,
    });

    this.history = new HistoryTask(this, 'History', {
      cluster: this.ingest.cluster,
      subnets: this.network.taskSubnets,
      assignPublicIp: this.network.taskNeedsPublicIp,
      securityGroup: this.ingest.securityGroup,
      image: props.historyImage ?? historyImage(),
      store,
      binance: { restUrl: config.binanceRestUrl, dumpsUrl: config.binanceDumpsUrl },
      marketTypes: config.marketTypes,
      logGroup: this.ingest.logGroup,
    });

    this.writer = new WriterFunction(this, 'Writer', {
      entry: entries.writer,
      queue: this.queue.queue,
      store,
      logRetention,
      maxConcurrency: config.writerMaxConcurrency,
      placement: this.network.functionPlacement,
    });

    this.email = new ReportEmail(this, 'ReportEmail', {
      sender: config.reportSender,
      identity: config.sesIdentity,
      createIdentity: config.createSesIdentity,
      recipients: config.reportRecipients,
    });

    this.scheduled = new ScheduledFunctions(this, 'Scheduled', {
      entries,
      store,
      logRetention,
      reportSchedule: config.reportSchedule,
      reportPeriodHours: config.reportPeriodHours,
      email: this.email,
      recipients: config.reportRecipients,
      placement: this.network.functionPlacement,
    });

    this.audit = new AuditFunction(this, 'Audit', {
      entry: entries.auditor ?? DEFAULT_LAMBDA_ENTRIES.auditor!,
      store,
      logRetention,
      marketTypes: config.marketTypes,
      dumpsUrl: config.binanceDumpsUrl,
      restUrl: config.binanceRestUrl,
      placement: this.network.functionPlacement,
    });

    if (config.s3Export) {
      const entry = entries.exporter ?? DEFAULT_LAMBDA_ENTRIES.exporter!;
      this.export = new KlineExport(this, 'Export', { entry, store, marketTypes: config.marketTypes, logRetention, placement: this.network.functionPlacement });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      queue: this.queue.queue,
      deadLetterQueue: this.queue.deadLetterQueue,
      writer: this.writer.function.function,
      resampler: this.scheduled.resampler.function,
      reporter: this.scheduled.reporter.function,
      exporter: this.export?.exporter.function,
      ingestService: this.ingest.service,
      marketTypes: config.marketTypes,
      noKlinesMinutes: config.noKlinesAlarmMinutes,
      completenessThreshold: config.completenessThreshold,
      alarmEmail: config.alarmEmail,
    });

    // Nothing that reads or writes the store starts before the schema step has applied its schema.
    if (this.schema) for (const user of [this.ingest, this.writer, this.scheduled, this.audit, ...(this.export ? [this.export] : [])]) user.node.addDependency(this.schema.resource);
  }
}
