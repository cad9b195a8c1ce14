import './quiet';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { handler, PHYSICAL_ID, retentionOf, schemaHandler } from '../../lambda/schema';

/** A stand-in for CloudFormation's pre-signed response URL: records each PUT body. */
async function responseUrl(): Promise<{ url: string; bodies: Array<Record<string, unknown>>; close: () => Promise<void> }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      bodies.push({ method: req.method, ...(JSON.parse(text) as Record<string, unknown>) });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

function event(type: 'Create' | 'Update' | 'Delete', url: string, retention: string): CloudFormationCustomResourceEvent {
  return {
    RequestType: type,
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:schema',
    ResponseURL: url,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/KlineCapture/1',
    RequestId: 'req-1',
    LogicalResourceId: 'SchemaStepApply',
    ResourceType: 'Custom::KlineCaptureSchema',
    ResourceProperties: { ServiceToken: 'x', Database: 'klines', RetentionDays: retention, SchemaVersion: '1' },
    ...(type === 'Create' ? {} : { PhysicalResourceId: PHYSICAL_ID, OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
}

describe('schema step custom resource', () => {
  const saved = { ...process.env };
  const secrets = mockClient(SecretsManagerClient);
  let cfn: Awaited<ReturnType<typeof responseUrl>>;

  beforeEach(async () => {
    cfn = await responseUrl();
    process.env.MONGODB_ADMIN_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin-AbCdEf';
    process.env.MONGODB_DATABASE = 'klines';
    process.env.AWS_REGION = 'eu-west-1';
    secrets.reset();
  });
  afterEach(async () => {
    process.env = { ...saved };
    jest.restoreAllMocks();
    await cfn.close();
  });

  it('applies the schema with the admin secret and the retention asked for, and answers SUCCESS', async () => {
    // Prepare: the admin secret names a MongoDB; the store it opens is a real SQLite store
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'mongodb+srv://admin:pw@cluster0.example.net/' });
    const store = new SqliteKlineStore(':memory:');
    const applied = jest.spyOn(store, 'applySchema');
    const opened = jest.fn().mockResolvedValue(store);

    // Act
    await schemaHandler(opened)(event('Create', cfn.url, '30'));

    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: process.env.MONGODB_ADMIN_SECRET_ARN });
    expect(opened.mock.calls[0][0]).toMatchObject({ kind: 'mongodb', database: 'klines' });
    expect(applied).toHaveBeenCalledWith({ retentionDays: 30 });
    expect(cfn.bodies).toEqual([expect.objectContaining({ method: 'PUT', Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID, RequestId: 'req-1' })]);
    expect(Number((cfn.bodies[0].Data as Record<string, string>).Changes)).toBeGreaterThan(0);
  });

  it('answers FAILED naming the cause when the store cannot be reached, so the deploy rolls back', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'mongodb://admin:s3cret@127.0.0.1:1/klines?serverSelectionTimeoutMS=300&directConnection=true' });
    await handler(event('Update', cfn.url, 'none'));
    expect(cfn.bodies).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/^schema step failed: .*unavailable/) })]);
    expect(JSON.stringify(cfn.bodies)).not.toContain('s3cret');
  }, 20_000);

  it('answers FAILED naming the missing admin secret setting', async () => {
    delete process.env.MONGODB_ADMIN_SECRET_ARN;
    await handler(event('Create', cfn.url, 'none'));
    expect(cfn.bodies).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: expect.stringContaining('MONGODB_ADMIN_SECRET_ARN') })]);
  });

  it('changes nothing on Delete (data is never dropped) and answers SUCCESS', async () => {
    await handler(event('Delete', cfn.url, '30'));
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(cfn.bodies).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('reads the retention property: days, or "none" to remove the TTL, and refuses anything else', () => {
    expect(retentionOf('7')).toBe(7);
    expect(retentionOf('none')).toBeNull();
    expect(() => retentionOf('-1')).toThrow(/RetentionDays/);
  });
});
