import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { KlineParquetFile } from '../../core/export/parquet';
import { bucketKey } from '../../core/export/to-bucket';
import type { Kline } from '../../core/kline';
import { AppConfigError, readAppConfig } from '../../lib/config';
import { KlineExport } from '../../lib/export-bucket';
import { actionsOf, BASE_CONTEXT, buildStack, logicalId, resourcesOfType, statementsOfRole } from './helpers';

type Column = { Name: string; Type: string };
type TableInput = {
  Name: string;
  Parameters: Record<string, unknown>;
  PartitionKeys: Column[];
  StorageDescriptor: { Columns: Column[]; Location: unknown; InputFormat: string; SerdeInfo: { SerializationLibrary: string } };
};

/** A CloudFormation Fn::Join with the bucket's Ref as a placeholder, as text. */
function joined(value: unknown, bucketId: string): string {
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p) === JSON.stringify({ Ref: bucketId }) ? 'BUCKET' : JSON.stringify(p))).join(join[0]);
}

describe('S3 export (lib/export-bucket.ts)', () => {
  const { template } = buildStack();
  const bucketId = logicalId(template, 'AWS::S3::Bucket', 'ExportBucket');
  const table = resourcesOfType(template, 'AWS::Glue::Table')[0][1].Properties!.TableInput as TableInput;

  it('keeps the data: an encrypted, private, SSL-only bucket retained on stack delete, klines to Standard-IA after 30 days', () => {
    const [, bucket] = resourcesOfType(template, 'AWS::S3::Bucket').find(([id]) => id === bucketId)!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'klines/', Status: 'Enabled', Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: KlineExport.INFREQUENT_ACCESS_AFTER_DAYS }] }),
          Match.objectLike({ Prefix: 'athena-results/', ExpirationInDays: 7 }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('runs the exporter daily with the bucket, prefix and market types, and lets it read and write objects under klines/ only', () => {
    const fnId = logicalId(template, 'AWS::Lambda::Function', 'ExportExporterFunction');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: KlineExport.SCHEDULE,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      EphemeralStorage: { Size: 2048 },
      Environment: { Variables: Match.objectLike({ EXPORT_BUCKET: { Ref: bucketId }, EXPORT_PREFIX: 'klines/', EXPORT_MARKET_TYPES: 'spot', MONGODB_SECRET_ARN: Match.anyValue() }) },
    });
    const roleId = logicalId(template, 'AWS::IAM::Role', 'ExportExporterRole');
    const s3Statements = statementsOfRole(template, roleId).filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3Statements.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    const objects = s3Statements.find((s) => actionsOf(s).includes('s3:PutObject'))!;
    expect(joined(objects.Resource, bucketId)).toBe(`{"Fn::GetAtt":["${bucketId}","Arn"]}/klines/*`);
  });

  it('gives the Glue table the hive keys the exporter writes, projected, so Athena needs no crawler or MSCK REPAIR', () => {
    expect(table.PartitionKeys).toEqual([
      { Name: 'market_type', Type: 'string' },
      { Name: 'interval', Type: 'string' },
      { Name: 'date', Type: 'string' },
    ]);
    expect(table.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.market_type.type': 'enum',
      'projection.interval.type': 'enum',
      'projection.date.type': 'date',
      'projection.date.format': 'yyyy-MM-dd',
    });
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toMatch(/ParquetHiveSerDe$/);
    // The template with one partition's values filled in is the folder of the object the exporter writes for it.
    const template_ = joined(table.Parameters['storage.location.template'], bucketId);
    for (const [marketType, interval, date] of [['spot', '1m', '2026-12-01'], ['usdm', '1M', '2017-07-14'], ['coinm', '4h', '2025-02-28']] as const) {
      const folder = template_.replace('${market_type}', marketType).replace('${interval}', interval).replace('${date}', date);
      const key = bucketKey('klines/', marketType, interval, date);
      expect(`${folder}klines.parquet`).toBe(`s3://BUCKET/${key}`);
      expect((table.Parameters['projection.market_type.values'] as string).split(',')).toContain(marketType);
      expect((table.Parameters['projection.interval.values'] as string).split(',')).toContain(interval);
    }
    expect(joined(table.StorageDescriptor.Location, bucketId)).toBe('s3://BUCKET/klines/');
  });

  it('gives Athena a workgroup whose encrypted results go to the bucket, so a query runs without setup', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' }, OutputLocation: Match.anyValue() },
      },
    });
    const [, wg] = resourcesOfType(template, 'AWS::Athena::WorkGroup')[0];
    const output = (wg.Properties as { WorkGroupConfiguration: { ResultConfiguration: { OutputLocation: unknown } } }).WorkGroupConfiguration.ResultConfiguration.OutputLocation;
    expect(joined(output, bucketId)).toBe('s3://BUCKET/athena-results/');
  });

  it('is left out with "s3Export": false, and the setting accepts only true or false', () => {
    const { template: off } = buildStack({ s3Export: false });
    for (const type of ['AWS::S3::Bucket', 'AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup']) expect([type, resourcesOfType(off, type)]).toEqual([type, []]);
    expect(Object.keys(off.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('ExportExporter'))).toEqual([]);
    const ctx: Record<string, unknown> = { ...BASE_CONTEXT, s3Export: 'maybe' };
    expect(() => readAppConfig((k) => ctx[k])).toThrow(new AppConfigError('s3Export', 'expected true or false, got "maybe"'));
  });

  it('alarms when an export run fails, e-mailed with the other alarms, and has no such alarm without the export', () => {
    // Prepare
    const errorAlarms = (t: typeof template) => Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors' } }));
    const exporterRef = { Ref: logicalId(template, 'AWS::Lambda::Function', 'ExportExporter') };
    // Act
    const onExporter = errorAlarms(template).filter((a) => JSON.stringify(a.Properties.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: exporterRef }]));
    const { template: mailed } = buildStack({ alarmEmail: 'oncall@example.com' });
    const { template: off } = buildStack({ s3Export: false });
    // Assess: one failed run (any error in an hour) is enough; it goes to the alarm topic
    expect(onExporter).toHaveLength(1);
    expect(onExporter[0].Properties).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 3600, Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    const mailedExporter = { Ref: logicalId(mailed, 'AWS::Lambda::Function', 'ExportExporter') };
    const topicRef = { Ref: logicalId(mailed, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') };
    mailed.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: mailedExporter }], AlarmActions: [topicRef], OKActions: [topicRef] });
    expect(errorAlarms(off)).toHaveLength(errorAlarms(template).length - 1);
  });

  it('exports the market types configured', () => {
    const { template: all } = buildStack({ marketTypes: ['spot', 'usdm', 'coinm'] });
    all.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ EXPORT_MARKET_TYPES: 'spot,usdm,coinm' }) } });
  });

  const python = spawnSync('python3', ['-c', 'import pyarrow'], { encoding: 'utf8' });
  if (python.status !== 0 && process.env.REQUIRE_AWS_TOOLS === '1') throw new Error('python3 with pyarrow is required (pip install pyarrow)');
  (python.status === 0 ? it : it.skip)("has the columns of the exporter's Parquet files, in order, with the types pyarrow reads", async () => {
    // Prepare: a file written by the exporter's writer, with a resampled bar (source_count set) and a 1m kline (null)
    const dir = mkdtempSync(join(tmpdir(), 'glue-schema-'));
    try {
      const path = join(dir, 'klines.parquet');
      const k: Kline = {
        marketType: 'spot', symbol: 'BTCUSDT', interval: '5m', openTime: Date.UTC(2026, 11, 1), closeTime: Date.UTC(2026, 11, 1, 0, 5) - 1,
        open: '1.5', high: '2', low: '1', close: '1.25', volume: '10', quoteVolume: '12.5', trades: 3, takerBuyBaseVolume: '1', takerBuyQuoteVolume: '1.5', sourceCount: 5,
      };
      const file = new KlineParquetFile(path);
      await file.write([k, { ...k, interval: '1m', sourceCount: undefined }]);
      await file.close();
      // Act: the file's schema as pyarrow reads it, in Athena's type names
      const script = String.raw`
import json, sys, pyarrow as pa, pyarrow.parquet as pq
def athena(t):
    if pa.types.is_string(t) or pa.types.is_large_string(t): return 'string'
    if pa.types.is_timestamp(t): return 'timestamp'
    if pa.types.is_decimal(t): return f'decimal({t.precision},{t.scale})'
    if pa.types.is_int64(t): return 'bigint'
    if pa.types.is_int32(t): return 'int'
    return 'unmapped:' + str(t)
print(json.dumps([{'Name': f.name, 'Type': athena(f.type)} for f in pq.read_schema(sys.argv[1])]))`;
      const columns = JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as Column[];
      // Assess
      expect(table.StorageDescriptor.Columns).toEqual(columns);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
