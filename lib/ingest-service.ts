import { CfnOutput, Duration, IgnoreMode, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { AssetImageProps } from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StoreAccess } from './kline-function';
import { INGEST_SERVICE_NAME, METRICS_NAMESPACE } from './names';
import { REPO_ROOT } from './paths';

/**
 * The ingest image's build context, as an allow-list (Docker ignore syntax, the same list as
 * ingest-task/Dockerfile.dockerignore): only what the Dockerfile copies. Everything else (README,
 * cdk.json, bin/, lambda/, lib/, sim/, test/, docs/) is outside the context, so editing it neither
 * changes the asset hash nor rebuilds the image nor restarts the task.
 */
export const INGEST_IMAGE_CONTEXT: readonly string[] = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!core/**',
  '!ingest-task/**',
  '**/*.db',
  '**/*.db-wal',
  '**/*.db-shm',
  '**/node_modules',
];

/** How the ingest image asset is built from the repository root. */
export const INGEST_IMAGE_OPTIONS = {
  file: 'ingest-task/Dockerfile',
  exclude: [...INGEST_IMAGE_CONTEXT],
  ignoreMode: IgnoreMode.DOCKER,
  platform: Platform.LINUX_ARM64,
} satisfies AssetImageProps;

/** The ingest image: built from `ingest-task/Dockerfile` with the repository root as context, for ARM64. */
export function ingestImage(repoRoot: string = REPO_ROOT): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(repoRoot, INGEST_IMAGE_OPTIONS);
}

export interface IngestServiceProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** true when the subnets have no NAT: the task then needs a public IP to reach Binance. */
  readonly assignPublicIp: boolean;
  readonly image: ecs.ContainerImage;
  readonly queue: sqs.IQueue;
  readonly store: StoreAccess;
  /** Binance endpoints and market filter, passed as environment variables. */
  readonly binance: { readonly streamUrl: string; readonly restUrl: string };
  readonly markets: { readonly quoteAssets: readonly string[]; readonly symbols: readonly string[] };
  /** Binance market types the task captures (MARKET_TYPES). @default ['spot'] */
  readonly marketTypes?: readonly string[];
  readonly logRetention: logs.RetentionDays;
  /** ECS Container Insights on the cluster. @default true */
  readonly containerInsights?: boolean;
}

/**
 * The ingest service: one ARM64 Fargate task that holds Binance's combined streams and sends
 * closed klines to the queue. It accepts no inbound connection (its security group has no inbound
 * rule). ECS restarts it when it stops; a deployment starts the new task before stopping the old
 * one (min 100 %, max 200 %), and a stopping task gets a minute to flush what it holds.
 */
export class IngestService extends Construct {
  /** Time a stopping task gets between SIGTERM and SIGKILL to flush its buffers to SQS (Fargate's maximum, 120 s). */
  static readonly STOP_TIMEOUT = Duration.seconds(60);
  /** The task's own flush deadline (STOP_TIMEOUT_SECONDS): below STOP_TIMEOUT, so it logs and exits before SIGKILL. */
  static readonly FLUSH_DEADLINE = Duration.seconds(55);

  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IngestServiceProps) {
    super(scope, id);

    const containerInsights = props.containerInsights ?? true;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: containerInsights ? ecs.ContainerInsights.ENABLED : ecs.ContainerInsights.DISABLED,
    });
    if (!containerInsights) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-ECS4',
        reason:
          'Turned off by the operator (context containerInsights=false) to save its custom-metric cost; the service still ' +
          'reports CPU/memory in AWS/ECS and the KlinesForwarded alarm detects a stopped task.',
      });
    }

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });

    const environment: Record<string, string> = {
      SINK: 'sqs',
      SQS_QUEUE_URL: props.queue.queueUrl,
      BINANCE_STREAM_URL: props.binance.streamUrl,
      BINANCE_REST_URL: props.binance.restUrl,
      MONGODB_SECRET_ARN: props.store.secret.secretArn,
      MONGODB_DATABASE: props.store.database,
      POWERTOOLS_SERVICE_NAME: INGEST_SERVICE_NAME,
      METRICS_NAMESPACE,
      STOP_TIMEOUT_SECONDS: String(IngestService.FLUSH_DEADLINE.toSeconds()),
      MARKET_TYPES: (props.marketTypes ?? ['spot']).join(','),
      AWS_REGION: Stack.of(this).region,
      ...(props.markets.quoteAssets.length > 0 ? { MARKETS_QUOTE_ASSETS: props.markets.quoteAssets.join(',') } : {}),
      ...(props.markets.symbols.length > 0 ? { MARKETS_SYMBOLS: props.markets.symbols.join(',') } : {}),
      ...(props.store.klineRetentionDays !== undefined ? { KLINE_1M_RETENTION_DAYS: String(props.store.klineRetentionDays) } : {}),
    };

    this.taskDefinition.addContainer('Ingest', {
      image: props.image,
      essential: true,
      environment,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'ingest' }),
      stopTimeout: IngestService.STOP_TIMEOUT,
      // An init process as PID 1 forwards SIGTERM to node and reaps children.
      linuxParameters: new ecs.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true }),
      readonlyRootFilesystem: false,
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only non-secret settings (queue URL, Binance endpoints, market filter, database name, ' +
        'secret ARN); the MongoDB URI is read from Secrets Manager at run time and is never an environment value.',
    });

    // The execution role pulls the image: ECR repository actions are scoped to the CDK asset
    // repository, but ecr:GetAuthorizationToken has no resource-level permission and needs "*".
    const executionRole = this.taskDefinition.obtainExecutionRole();
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ecr:GetAuthorizationToken uses Resource "*": that action supports no resource-level permission ' +
        '(IAM Service Authorization Reference, Amazon ECR); the image pull actions are scoped to the asset repository.',
    });

    // Send on this queue, read this secret: nothing else.
    props.queue.grantSendMessages(this.taskDefinition.taskRole);
    props.store.secret.grantRead(this.taskDefinition.taskRole);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'kline-capture ingest task: outbound only (Binance, SQS, Secrets Manager, MongoDB), no inbound rule',
      allowAllOutbound: true,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      assignPublicIp: props.assignPublicIp,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });

    new CfnOutput(this, 'RestartCommand', {
      description: 'Restart the ingest task (e.g. after changing the MongoDB secret)',
      value: `aws ecs update-service --force-new-deployment --cluster ${this.cluster.clusterName} --service ${this.service.serviceName}`,
    });
    new CfnOutput(this, 'LogGroupName', { description: 'Ingest task logs', value: this.logGroup.logGroupName });
  }
}
