import { CfnOutput, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { MarketType } from '../core/market';
import { FunctionPlacement, KlineFunction, StoreAccess } from './kline-function';

/**
 * The Parquet columns the exporter writes (core/export/parquet.ts), as Glue/Athena types, in
 * file order. test/lib/export-bucket.test.ts compares them with a real file's schema.
 */
export const KLINE_TABLE_COLUMNS: ReadonlyArray<{ name: string; type: string }> = [
  { name: 'symbol', type: 'string' },
  { name: 'open_time', type: 'timestamp' },
  { name: 'open', type: 'decimal(38,8)' },
  { name: 'high', type: 'decimal(38,8)' },
  { name: 'low', type: 'decimal(38,8)' },
  { name: 'close', type: 'decimal(38,8)' },
  { name: 'volume', type: 'decimal(38,8)' },
  { name: 'close_time', type: 'timestamp' },
  { name: 'quote_volume', type: 'decimal(38,8)' },
  { name: 'count', type: 'bigint' },
  { name: 'taker_buy_volume', type: 'decimal(38,8)' },
  { name: 'taker_buy_quote_volume', type: 'decimal(38,8)' },
  { name: 'source_count', type: 'int' },
];

/** Hive partition keys of the objects (`market_type=spot/interval=1m/date=2026-12-01/klines.parquet`). */
export const KLINE_PARTITION_KEYS = ['market_type', 'interval', 'date'] as const;

/** The Parquet writer's WebAssembly module, relative to the repository root. */
export const PARQUET_WASM = 'node_modules/parquet-wasm/node/parquet_wasm_bg.wasm';

/** Every market type and every Binance interval, so files exported by the CLI for any of them are queryable too. */
const PROJECTED_MARKET_TYPES = ['spot', 'usdm', 'coinm'];
const PROJECTED_INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'];
/** Binance's first klines (2017-07-14) fall after this day. */
const FIRST_DAY = '2017-07-01';

export interface KlineExportProps {
  readonly entry: string;
  readonly store: StoreAccess;
  readonly marketTypes: readonly MarketType[];
  readonly logRetention: logs.RetentionDays;
  readonly placement?: FunctionPlacement;
}

/** A Glue database name from a stack name: lowercase letters, digits and underscores. */
export function glueDatabaseName(stackName: string): string {
  return stackName.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
}

/**
 * The archive tier (DESIGN.md "Two tiers"): an S3 bucket with every day's klines as Parquet, a
 * daily exporter Lambda writing the previous UTC day into it, a Glue table over the hive keys
 * with partition projection (no crawler, no MSCK REPAIR), and an Athena workgroup whose results
 * go to the same bucket, so a query runs right after the deploy.
 *
 * The bucket holds data, so it is retained when the stack is deleted. Klines move to S3
 * Standard-IA after `INFREQUENT_ACCESS_AFTER_DAYS` (still instantly readable by Athena);
 * Athena's query results expire after `RESULTS_EXPIRE_AFTER_DAYS`.
 */
export class KlineExport extends Construct {
  /** 00:45 UTC: the last 1h bar of the day is built at 00:01, a retry has 15 minutes. */
  static readonly SCHEDULE = 'cron(45 0 * * ? *)';
  static readonly PREFIX = 'klines/';
  static readonly RESULTS_PREFIX = 'athena-results/';
  static readonly INFREQUENT_ACCESS_AFTER_DAYS = 30;
  static readonly RESULTS_EXPIRE_AFTER_DAYS = 7;
  static readonly TABLE = 'klines';

  readonly bucket: s3.Bucket;
  readonly exporter: KlineFunction;
  readonly rule: events.Rule;
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: KlineExportProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'klines-to-infrequent-access',
          prefix: KlineExport.PREFIX,
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(KlineExport.INFREQUENT_ACCESS_AFTER_DAYS) }],
        },
        { id: 'athena-results-expire', prefix: KlineExport.RESULTS_PREFIX, expiration: Duration.days(KlineExport.RESULTS_EXPIRE_AFTER_DAYS) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the exporter role writes this bucket and reads go through Athena, whose query history and CloudTrail ' +
        'management events record who queried; server access logs would need a second bucket for no added audit value.',
    });

    this.exporter = new KlineFunction(this, 'Exporter', {
      entry: props.entry,
      name: 'exporter',
      description: "Exports the previous UTC day's klines to S3 as Parquet (Glue table klines)",
      store: props.store,
      // One file per market type, interval and day, each written to /tmp, uploaded and removed.
      timeout: Duration.minutes(15),
      memorySize: 2048,
      ephemeralStorageSize: Size.gibibytes(2),
      // parquet-wasm (core/export/parquet.ts) reads its WebAssembly module from beside its code: after bundling, beside index.js.
      copyFiles: [PARQUET_WASM],
      logRetention: props.logRetention,
      placement: props.placement,
      environment: {
        EXPORT_BUCKET: this.bucket.bucketName,
        EXPORT_PREFIX: KlineExport.PREFIX,
        EXPORT_MARKET_TYPES: props.marketTypes.join(','),
      },
    });
    // HeadObject answers 404 for a missing key only with s3:ListBucket; without it, 403.
    this.exporter.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    this.exporter.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [this.bucket.arnForObjects(`${KlineExport.PREFIX}*`)] }));
    Validations.of(this.exporter.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${KlineExport.PREFIX}*]`,
      reason:
        'The exporter creates one object per market type, interval and day under this prefix, so the keys cannot be listed in advance; ' +
        'the grant is limited to reading and writing objects under the prefix (no delete, no other prefix).',
    });

    this.rule = new events.Rule(this, 'Schedule', {
      description: "Export the previous UTC day's klines to S3",
      schedule: events.Schedule.expression(KlineExport.SCHEDULE),
      targets: [new targets.LambdaFunction(this.exporter.function, { retryAttempts: 2, maxEventAge: Duration.hours(2) })],
    });

    const databaseName = glueDatabaseName(stack.stackName);
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: databaseName, description: `Klines exported by ${stack.stackName} (Parquet in s3://${this.bucket.bucketName}/${KlineExport.PREFIX})` },
    });
    const location = `s3://${this.bucket.bucketName}/${KlineExport.PREFIX}`;
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName,
      tableInput: {
        name: KlineExport.TABLE,
        description: 'Binance klines, one Parquet file per market type, interval and UTC day; prices and volumes exact (decimal(38,8))',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'parquet',
          EXTERNAL: 'TRUE',
          // Partition projection: Athena computes the partitions from these, no crawler or MSCK REPAIR.
          'projection.enabled': 'true',
          'projection.market_type.type': 'enum',
          'projection.market_type.values': PROJECTED_MARKET_TYPES.join(','),
          'projection.interval.type': 'enum',
          'projection.interval.values': PROJECTED_INTERVALS.join(','),
          'projection.date.type': 'date',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.range': `${FIRST_DAY},NOW`,
          'projection.date.interval': '1',
          'projection.date.interval.unit': 'DAYS',
          'storage.location.template': `${location}market_type=\${market_type}/interval=\${interval}/date=\${date}/`,
        },
        partitionKeys: KLINE_PARTITION_KEYS.map((name) => ({ name, type: 'string' })),
        storageDescriptor: {
          location,
          columns: KLINE_TABLE_COLUMNS.map((c) => ({ ...c })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', parameters: { 'serialization.format': '1' } },
        },
      },
    });
    this.table.node.addDependency(this.database);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${stack.stackName}-klines`,
      description: `Queries of ${databaseName}.${KlineExport.TABLE}; results in s3://${this.bucket.bucketName}/${KlineExport.RESULTS_PREFIX}`,
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/${KlineExport.RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    new CfnOutput(this, 'BucketName', { description: 'S3 bucket of the Parquet exports (retained when the stack is deleted)', value: this.bucket.bucketName });
    new CfnOutput(this, 'AthenaWorkGroup', { description: `Athena workgroup: query ${databaseName}.${KlineExport.TABLE} with it`, value: this.workGroup.ref });
    new CfnOutput(this, 'ExporterFunctionName', {
      description: 'Exporter function: aws lambda invoke --function-name <this> --payload \'{"date":"2026-12-01"}\' out.json',
      value: this.exporter.function.functionName,
    });
  }
}
