import { App, Stack } from 'aws-cdk-lib';
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
