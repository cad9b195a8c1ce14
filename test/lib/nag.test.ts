import { App, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import { buildStack, nagFindings } from './helpers';

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['defaults', {}],
    ['static egress, alarm e-mail, referenced secret, domain identity, no Container Insights', {
      staticEgress: true,
      alarmEmail: 'oncall@example.com',
      mongoSecretName: 'prod/kline-mongodb',
      mongoAdminSecretName: 'prod/kline-mongodb-admin',
      sesIdentity: 'example.com',
      createSesIdentity: false,
      containerInsights: false,
    }],
  ])('reports no unacknowledged error or warning with %s', (_name, context) => {
    // Prepare
    const { stack } = buildStack(context);
    // Act
    const findings = nagFindings(stack);
    // Assess
    expect(findings).toEqual([]);
  });

  it('reports what is not acknowledged, so the zero above means something', () => {
    // Prepare: the same kinds of resource the stack acknowledges, without the acknowledgements
    const stack = new Stack(new App(), 'Bare');
    new secretsmanager.Secret(stack, 'Secret');
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    );
    // Act
    const findings = nagFindings(stack);
    // Assess
    expect(findings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^error AwsSolutions-SMG4 Bare\/Secret/), expect.stringMatching(/^error AwsSolutions-IAM5\[Resource::\*\] Bare\/Role/)]),
    );
  });
});

/** Every cdk-nag acknowledgement under `root`: where it sits, which finding, why. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  const found: Array<{ path: string; id: string; reason: string }> = [];
  const visit = (c: IConstruct) => {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        const id = key.replace(/^annotation::/i, '');
        if (id.startsWith('AwsSolutions-')) found.push({ path: c.node.path, id, reason });
      }
    }
    c.node.children.forEach(visit);
  };
  visit(root);
  return found;
}

describe('cdk-nag acknowledgements', () => {
  it('sit on the resource they excuse, name one finding each, and give a reason; none on the stack', () => {
    // Prepare: the configuration with the most acknowledgements
    const { stack } = buildStack({ staticEgress: true, containerInsights: false });
    // Act
    const acks = acknowledgements(stack);
    // Assess
    expect(acks.map((a) => `${a.path.slice(stack.node.path.length + 1)} ${a.id}`).sort()).toEqual([
      'Audit/Auditor/Function AwsSolutions-L1',
      'Audit/Auditor/Role AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'Export/Bucket AwsSolutions-S1',
      'Export/Exporter/Function AwsSolutions-L1',
      'Export/Exporter/Role AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'Export/Exporter/Role AwsSolutions-IAM5[Resource::<ExportBucketFD42BCED.Arn>/klines/*]',
      'History/Task AwsSolutions-ECS2',
      'History/Task/ExecutionRole AwsSolutions-IAM5[Resource::*]',
      'Ingest/Cluster AwsSolutions-ECS4',
      'Ingest/Task AwsSolutions-ECS2',
      'Ingest/Task/ExecutionRole AwsSolutions-IAM5[Resource::*]',
      'MongoSecret/Uri AwsSolutions-SMG4',
      'Scheduled/Reporter/Function AwsSolutions-L1',
      'Scheduled/Reporter/Role AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'Scheduled/Resampler/Function AwsSolutions-L1',
      'Scheduled/Resampler/Role AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'Writer/Writer/Function AwsSolutions-L1',
      'Writer/Writer/Role AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    ]);
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(60);
  });

  it('acknowledges neither the VPC policy nor Container Insights in the default configuration', () => {
    const { stack } = buildStack();
    const ids = acknowledgements(stack).map((a) => a.id);
    expect(ids.filter((id) => id.startsWith('AwsSolutions-IAM4') || id === 'AwsSolutions-ECS4')).toEqual([]);
  });
});
