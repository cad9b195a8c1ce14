import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { FUNCTION_MAX_POOL_SIZE } from './connection-budget';
import { LAMBDA_METRICS_SERVICE, METRICS_NAMESPACE } from './names';
import { REPO_ROOT } from './paths';

/** Where a function runs when static egress is on: private subnets behind the NAT's Elastic IP. */
export interface FunctionPlacement {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
}

/** What every kline-capture function needs to reach the store. */
export interface StoreAccess {
  readonly secret: secretsmanager.ISecret;
  readonly database: string;
  /** Days of 1m klines kept (TTL index); undefined keeps them forever. */
  readonly klineRetentionDays?: number;
}

export interface KlineFunctionProps {
  /** The handler's TypeScript entry file; it exports `handler`. */
  readonly entry: string;
  /** Short name of the function (role description, logs). */
  readonly name: string;
  readonly description: string;
  readonly store: StoreAccess;
  readonly timeout: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** /tmp size. @default 512 MiB (Lambda's default) */
  readonly ephemeralStorageSize?: Size;
  /** Files (relative to the repository root) copied beside the bundle's index.js, e.g. a WebAssembly module a package reads from its own folder. */
  readonly copyFiles?: readonly string[];
  readonly logRetention: logs.RetentionDays;
  /** Extra environment variables (never secrets). */
  readonly environment?: Record<string, string>;
  /** @default - outside any VPC (egress from AWS's shared Lambda addresses) */
  readonly placement?: FunctionPlacement;
}

/**
 * A Node.js 22 ARM64 function bundled locally with esbuild (no Docker), with its own log group,
 * its own role (log writes to its log group only, read of the MongoDB secret only) and the
 * store settings as environment variables. The MongoDB URI itself never appears: only the secret ARN.
 */
export class KlineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: KlineFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });

    // An explicit role instead of the default one: the default attaches the AWS-managed
    // AWSLambdaBasicExecutionRole (logs on every log group); this one writes to its own log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.name} function of ${Stack.of(this).stackName}`,
    });
    this.logGroup.grantWrite(this.role);
    props.store.secret.grantRead(this.role);

    if (props.placement) {
      const vpcAccess = iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole');
      this.role.addManagedPolicy(vpcAccess);
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'Static egress only: Lambda needs ec2:CreateNetworkInterface/DescribeNetworkInterfaces/DeleteNetworkInterface/' +
          'AssignPrivateIpAddresses/UnassignPrivateIpAddresses to attach to the VPC; the Describe actions support no ' +
          'resource-level permission, and this AWS-maintained policy grants exactly that set plus log writes.',
      });
    }

    const environment: Record<string, string> = {
      MONGODB_SECRET_ARN: props.store.secret.secretArn,
      MONGODB_DATABASE: props.store.database,
      POWERTOOLS_SERVICE_NAME: LAMBDA_METRICS_SERVICE,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
      // The pool size the connection budget (lib/connection-budget.ts) counts per container.
      MONGODB_MAX_POOL_SIZE: String(FUNCTION_MAX_POOL_SIZE),
      ...(props.store.klineRetentionDays !== undefined ? { KLINE_1M_RETENTION_DAYS: String(props.store.klineRetentionDays) } : {}),
      ...props.environment,
    };

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      ...(props.ephemeralStorageSize ? { ephemeralStorageSize: props.ephemeralStorageSize } : {}),
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // The Node.js 22 runtime ships AWS SDK v3; the handlers use it from there.
        // better-sqlite3 is a native module esbuild cannot bundle; only a KLINE_STORE=sqlite: run (the
        // moto end-to-end test, which provides it like the runtime provides the SDK) ever loads it.
        externalModules: ['@aws-sdk/*', 'better-sqlite3'],
        ...(props.copyFiles?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => props.copyFiles!.map((f) => `cp "${path.join(inputDir, f)}" "${outputDir}/"`),
              },
            }
          : {}),
      },
      ...(props.placement
        ? { vpc: props.placement.vpc, vpcSubnets: props.placement.vpcSubnets, securityGroups: props.placement.securityGroups }
        : {}),
    });

    // cdk-nag L1 asks for the newest runtime (nodejs24.x). The project supports Node.js up to 22
    // (package.json "engines": ">=20 <23"), so the functions run the newest runtime in that range.
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Runtime pinned to nodejs22.x to match package.json engines (>=20 <23) the code is tested on; upgrade both together.',
    });
  }
}
