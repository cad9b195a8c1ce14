import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { AssetImageProps } from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { INGEST_IMAGE_CONTEXT, INGEST_IMAGE_OPTIONS } from './ingest-service';
import type { StoreAccess } from './kline-function';
import { REPO_ROOT } from './paths';

/**
 * The history image's build context: the ingest's, plus the CLI (bin/cli.ts and its commands).
 * The ingest image's context leaves bin/ out, so editing the CLI rebuilds only this image.
 */
export const HISTORY_IMAGE_CONTEXT: readonly string[] = (() => {
  const last = INGEST_IMAGE_CONTEXT.indexOf('!ingest-task/**');
  return [...INGEST_IMAGE_CONTEXT.slice(0, last + 1), '!bin/cli.ts', '!bin/commands/**', ...INGEST_IMAGE_CONTEXT.slice(last + 1)];
})();

/** ingest-task/Dockerfile's `history` target: `node cli.js <command>` (default `history`), ARM64. */
export const HISTORY_IMAGE_OPTIONS = {
  ...INGEST_IMAGE_OPTIONS,
  exclude: [...HISTORY_IMAGE_CONTEXT],
  target: 'history',
} satisfies AssetImageProps;

export function historyImage(repoRoot: string = REPO_ROOT): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(repoRoot, HISTORY_IMAGE_OPTIONS);
}

/** The container's name in the task definition (the `run-task` override names it). */
export const HISTORY_CONTAINER = 'History';

export interface HistoryTaskProps {
  readonly cluster: ecs.ICluster;
  readonly subnets: ec2.SubnetSelection;
  readonly assignPublicIp: boolean;
  /** Outbound only: the ingest's group serves (Binance, Secrets Manager, MongoDB). */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly image: ecs.ContainerImage;
  readonly store: StoreAccess;
  readonly binance: { readonly restUrl: string; readonly dumpsUrl: string };
  /** The market types the stack captures: the default `--market-type` of the output command. */
  readonly marketTypes: readonly string[];
  /** The ingest's log group: the job's lines go to streams `history/…`. */
  readonly logGroup: logs.ILogGroup;
}

/**
 * The history bootstrap (`cli.js history`) as a one-off Fargate task the user starts with the
 * `HistoryRunTaskCommand` output: a task definition of its own size (1 vCPU, 2 GB: checksums,
 * unzip and parsing are CPU-bound; the store's write rate bounds it anyway), in the ingest's
 * cluster, subnets and security group, reading the same MongoDB secret. Nothing runs it on a
 * schedule and no service keeps it alive: the job ends when the range is in.
 */
export class HistoryTask extends Construct {
  static readonly CPU = 1024;
  static readonly MEMORY_MIB = 2048;

  readonly taskDefinition: ecs.FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: HistoryTaskProps) {
    super(scope, id);
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: HistoryTask.CPU,
      memoryLimitMiB: HistoryTask.MEMORY_MIB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.taskDefinition.addContainer(HISTORY_CONTAINER, {
      image: props.image,
      essential: true,
      // The connection string is read from the secret at start: never in the command or the overrides.
      environment: {
        MONGODB_SECRET_ARN: props.store.secret.secretArn,
        MONGODB_DATABASE: props.store.database,
        BINANCE_REST_URL: props.binance.restUrl,
        BINANCE_DUMPS_URL: props.binance.dumpsUrl,
        AWS_REGION: Stack.of(this).region,
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'history' }),
    });
    props.store.secret.grantRead(this.taskDefinition.taskRole);
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only non-secret settings (Binance endpoints, database name, secret ARN); the MongoDB URI ' +
        'is read from Secrets Manager at run time and is never an environment value.',
    });
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ecr:GetAuthorizationToken uses Resource "*": that action supports no resource-level permission ' +
        '(IAM Service Authorization Reference, Amazon ECR); the image pull actions are scoped to the asset repository.',
    });

    const subnetIds = props.cluster.vpc.selectSubnets(props.subnets).subnetIds;
    const overrides = JSON.stringify({ containerOverrides: [{ name: HISTORY_CONTAINER, command: ['history', '--market-type', props.marketTypes.join(','), '--concurrency', '8'] }] });
    new CfnOutput(this, 'RunTaskCommand', {
      description: 'Start the history bootstrap (all markets of the captured types from their first day); add --symbols/--from/--to to the command to narrow it',
      value: [
        'aws ecs run-task --launch-type FARGATE',
        `--cluster ${props.cluster.clusterName}`,
        `--task-definition ${this.taskDefinition.taskDefinitionArn}`,
        `--network-configuration 'awsvpcConfiguration={subnets=[${subnetIds.join(',')}],securityGroups=[${props.securityGroup.securityGroupId}],assignPublicIp=${props.assignPublicIp ? 'ENABLED' : 'DISABLED'}}'`,
        `--overrides '${overrides}'`,
      ].join(' '),
    });
  }
}
