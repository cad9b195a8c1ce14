import { Match, Template } from 'aws-cdk-lib/assertions';
import { actionsOf, buildStack, logicalId, resourcesOfType, statementsOfRole } from './helpers';

// Synth takes seconds, so the read-only assertions share a few stacks, each built fresh once:
// the defaults, one with every tunable changed, and one per alternative resource layout.
let template: Template;
let custom: Template;
const CUSTOM_CONTEXT = {
  writerMaxConcurrency: 3,
  reportSchedule: 'rate(6 hours)',
  reportPeriodHours: 6,
  klineRetentionDays: 7,
  marketsQuoteAssets: ['usdt', 'fdusd'],
  marketsSymbols: 'BTCEUR',
  binanceStreamUrl: 'wss://stream.binance.com:9443/',
  binanceRestUrl: 'https://api.binance.com',
  noKlinesAlarmMinutes: 7,
  completenessThreshold: 98.5,
  alarmEmail: 'oncall@example.com',
  // Referenced, not created: an existing secret and an existing (domain) SES identity.
  mongoSecretName: 'prod/kline-mongodb',
  sesIdentity: 'example.com',
  createSesIdentity: false,
  containerInsights: false,
};
beforeAll(() => {
  template = buildStack().template;
  custom = buildStack(CUSTOM_CONTEXT).template;
});

function roleOf(prefix: string): string {
  return logicalId(template, 'AWS::IAM::Role', prefix);
}

describe('queue and writer', () => {
  it('delivers to the writer with partial batch responses, a batching window and bounded concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'QueueKlines'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: Match.anyValue(),
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('takes the writer concurrency bound from context', () => {
    const t = custom;
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 3 } });
  });

  it('moves a message to the dead-letter queue after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'QueueDeadLetters'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  it('keeps a message invisible for at least six writer timeouts plus the batching window', () => {
    const queue = template.findResources('AWS::SQS::Queue')[logicalId(template, 'AWS::SQS::Queue', 'QueueKlines')];
    const writer = template.findResources('AWS::Lambda::Function')[logicalId(template, 'AWS::Lambda::Function', 'WriterFunction')];
    const mapping = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')[0][1];
    const timeout = writer.Properties.Timeout as number;
    const window = (mapping.Properties as { MaximumBatchingWindowInSeconds: number }).MaximumBatchingWindowInSeconds;
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout + window);
  });

  it('encrypts both queues and refuses non-TLS access to them', () => {
    for (const [, queue] of resourcesOfType(template, 'AWS::SQS::Queue')) expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
    const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(2);
    for (const [, policy] of policies) {
      expect(policy.Properties?.PolicyDocument).toMatchObject({
        Statement: [expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
      });
    }
  });
});

describe('functions', () => {
  it('runs every function on Node.js 22, ARM64, with a log group of the configured retention', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(5); // writer, resampler, reporter, exporter, auditor
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(JSON.stringify(fn.Properties)).toMatch(/"LoggingConfig":\{"LogFormat":"JSON","LogGroup":\{"Ref":"[A-Za-z0-9]+Logs[0-9A-F]{8}"\}/);
    }
    for (const [, logGroup] of resourcesOfType(template, 'AWS::Logs::LogGroup')) expect(logGroup.Properties?.RetentionInDays).toBe(30);
  });

  it('schedules the resampler every 5 minutes, one minute past the boundary, and the reporter daily by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(1/5 * * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'ScheduledResamplerFunction'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(15 0 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'ScheduledReporterFunction'), 'Arn'] } })],
    });
  });

  it('uses the report schedule and period from context', () => {
    const t = custom;
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ REPORT_PERIOD_HOURS: '6' }) } });
  });

  it('gives the reporter its sender and recipients', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ REPORT_SENDER: 'reports@example.com', REPORT_RECIPIENTS: 'ops@example.org,team@example.net', REPORT_PERIOD_HOURS: '24' }),
      },
    });
  });

  it('passes the 1m retention to every function and the task only when it is set', () => {
    const withRetention = custom;
    for (const [, fn] of resourcesOfType(withRetention, 'AWS::Lambda::Function')) {
      expect((fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables.KLINE_1M_RETENTION_DAYS).toBe('7');
    }
    withRetention.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'KLINE_1M_RETENTION_DAYS', Value: '7' }]) })],
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('KLINE_1M_RETENTION_DAYS');
  });
});

describe('least privilege', () => {
  it('lets the writer consume only the kline queue, read only the secret and write only its own log group', () => {
    const statements = statementsOfRole(template, roleOf('WriterRole'));
    const byResource = Object.fromEntries(statements.map((s) => [JSON.stringify(s.Resource), actionsOf(s).sort()]));
    expect(byResource).toEqual({
      [JSON.stringify({ 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'QueueKlines'), 'Arn'] })]: expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
      [JSON.stringify({ Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'MongoSecret') })]: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      [JSON.stringify({ 'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'WriterLogs'), 'Arn'] })]: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    });
  });

  it('attaches no managed policy to the function roles (no AWS-wide log or VPC permissions)', () => {
    for (const prefix of ['WriterRole', 'ScheduledResamplerRole', 'ScheduledReporterRole']) {
      const role = template.findResources('AWS::IAM::Role')[roleOf(prefix)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets the reporter send raw e-mail only through its identity and only from the configured sender', () => {
    const ses = statementsOfRole(template, roleOf('ScheduledReporterRole')).filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(actionsOf(ses[0])).toEqual(['ses:SendRawEmail']);
    expect(ses[0].Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'reports@example.com' } });
    const resources = JSON.stringify(ses[0].Resource);
    expect(resources).toContain(':identity/reports@example.com');
    expect(resources).not.toMatch(/"\*"|identity\/\*/);
  });

  it('gives the task send on the queue and read on the secret, and nothing else', () => {
    const statements = statementsOfRole(template, roleOf('IngestTaskTaskRole'));
    const actions = statements.flatMap(actionsOf).sort();
    expect(actions).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    for (const s of statements) expect(s.Resource).not.toBe('*');
  });

  it('grants read of the MongoDB secret to the five functions and the two tasks only', () => {
    const secretRef = JSON.stringify({ Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'MongoSecret') });
    const readers = resourcesOfType(template, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties).includes(`"Resource":${secretRef}`))
      .map(([, p]) => JSON.stringify((p.Properties as { Roles: unknown }).Roles).match(/"Ref":"([A-Za-z]+)Role/)?.[1])
      .sort();
    expect(readers).toEqual(['AuditAuditor', 'ExportExporter', 'HistoryTaskTask', 'IngestTaskTask', 'ScheduledReporter', 'ScheduledResampler', 'Writer']);
  });

  it('uses Resource "*" only for ecr:GetAuthorizationToken', () => {
    const wildcards = resourcesOfType(template, 'AWS::IAM::Policy')
      .flatMap(([, p]) => (p.Properties as { PolicyDocument: { Statement: Array<{ Resource: unknown; Action: string | string[] }> } }).PolicyDocument.Statement)
      .filter((s) => JSON.stringify(s.Resource).includes('"*"'));
    // Once per task execution role (ingest, history).
    expect(wildcards.map((s) => s.Action)).toEqual(['ecr:GetAuthorizationToken', 'ecr:GetAuthorizationToken']);
  });
});

describe('the MongoDB URI stays secret', () => {
  it('creates the secret with a generated placeholder, never a value in the template', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 32 }),
      SecretString: Match.absent(),
    });
  });

  it('puts no connection string anywhere in the template; environments carry only the secret ARN', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/mongodb(\+srv)?:\/\//);
    expect(json).not.toMatch(/MONGODB_URI/);
    const secretRef = { Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'MongoSecret') };
    for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      expect((fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables).toMatchObject({
        MONGODB_SECRET_ARN: secretRef,
        MONGODB_DATABASE: 'klines',
      });
    }
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'MONGODB_SECRET_ARN', Value: secretRef }]), Secrets: Match.absent() })],
    });
  });

  it('references an existing secret by name instead of creating one, granting read on that name only', () => {
    const t = custom;
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const json = JSON.stringify(t.toJSON());
    expect(json).toContain(':secret:prod/kline-mongodb-??????');
    expect(json).not.toMatch(/mongodb(\+srv)?:\/\//);
  });
});

describe('ingest service', () => {
  it('runs one ARM64 Fargate task with a public IP and no NAT gateway by default', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      RequiresCompatibilities: ['FARGATE'],
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
  });

  it('starts the new task before stopping the old one and rolls back a failing deployment', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
    });
  });

  it('gives a stopping task 60 s to flush, with an init process forwarding SIGTERM', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ StopTimeout: 60, LinuxParameters: Match.objectLike({ InitProcessEnabled: true }) })],
    });
  });

  it("sets the task's own flush deadline (STOP_TIMEOUT_SECONDS) a few seconds below the SIGKILL, not the code's 25 s default", () => {
    const task = resourcesOfType(template, 'AWS::ECS::TaskDefinition')[0][1];
    const [container] = (task.Properties as { ContainerDefinitions: Array<{ StopTimeout: number; Environment: Array<{ Name: string; Value: string }> }> }).ContainerDefinitions;
    const flush = Number(container.Environment.find((e) => e.Name === 'STOP_TIMEOUT_SECONDS')?.Value);
    expect(flush).toBeGreaterThanOrEqual(container.StopTimeout - 10);
    expect(flush).toBeLessThan(container.StopTimeout);
  });

  it('accepts no inbound connection: the task security group has no ingress rule', () => {
    const sgId = logicalId(template, 'AWS::EC2::SecurityGroup', 'IngestSecurityGroup');
    const sg = template.findResources('AWS::EC2::SecurityGroup')[sgId];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    const ingressRules = resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.Properties).includes(sgId));
    expect(ingressRules).toHaveLength(0);
  });

  it('configures the task for SQS, the Binance endpoints and the market filter from context', () => {
    const t = custom;
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'SINK', Value: 'sqs' },
            { Name: 'SQS_QUEUE_URL', Value: { Ref: logicalId(t, 'AWS::SQS::Queue', 'QueueKlines') } },
            { Name: 'BINANCE_STREAM_URL', Value: 'wss://stream.binance.com:9443' },
            { Name: 'BINANCE_REST_URL', Value: 'https://api.binance.com' },
            { Name: 'MARKETS_QUOTE_ASSETS', Value: 'USDT,FDUSD' },
            { Name: 'MARKETS_SYMBOLS', Value: 'BTCEUR' },
          ]),
        }),
      ],
    });
  });

  it('logs to a log group and enables Container Insights', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }) })],
    });
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  it('turns Container Insights off when the context says so', () => {
    custom.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }] });
  });
});

describe('static egress', () => {
  it('routes the task and the Lambdas through one NAT gateway with an Elastic IP, and outputs that IP', () => {
    // Act
    const { template: t } = buildStack({ staticEgress: true });
    // Assess
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    t.resourceCountIs('AWS::EC2::EIP', 1);
    t.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: { 'Fn::GetAtt': [logicalId(t, 'AWS::EC2::EIP', 'NetworkEgressIp'), 'AllocationId'] } });
    t.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    for (const [, fn] of resourcesOfType(t, 'AWS::Lambda::Function')) {
      expect(JSON.stringify(fn.Properties?.VpcConfig)).toMatch(/NetworkVpcPrivateSubnet1/);
    }
    expect(JSON.stringify(t.findOutputs('*'))).toContain('NetworkEgressIp');
    // The history task runs in the same private subnets, through the NAT.
    const command = historyCommand(t);
    expect(command).toContain('assignPublicIp=DISABLED');
    expect(command).toMatch(/subnets=\[<NetworkVpcPrivateSubnet1Subnet\w+>,<NetworkVpcPrivateSubnet2Subnet\w+>\]/);
  });
});

/** The HistoryRunTaskCommand output with every Ref/GetAtt shown as `<LogicalId>`. */
function historyCommand(t: Template): string {
  const outputs = Object.entries(t.findOutputs('*')).filter(([id]) => id.startsWith('HistoryRunTaskCommand'));
  expect(outputs).toHaveLength(1);
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[])[0]}>`;
    throw new Error(`unexpected ${JSON.stringify(v)}`);
  };
  return render(outputs[0][1].Value);
}

describe('history task', () => {
  const historyTask = (t: Template) => {
    const found = resourcesOfType(t, 'AWS::ECS::TaskDefinition').filter(([id]) => id.startsWith('HistoryTask'));
    expect(found).toHaveLength(1);
    return found[0];
  };
  type Container = { Name: string; Image: unknown; Command?: unknown; Environment: Array<{ Name: string; Value: unknown }>; LogConfiguration: { Options: Record<string, unknown> } };
  const containerOf = (t: Template) => (historyTask(t)[1].Properties as { ContainerDefinitions: Container[] }).ContainerDefinitions;

  it('is a task definition of its own, 1 vCPU and 2 GB on ARM64, that no service runs', () => {
    const [id, task] = historyTask(template);
    expect(task.Properties).toMatchObject({ Cpu: '1024', Memory: '2048', RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' }, RequiresCompatibilities: ['FARGATE'] });
    const services = resourcesOfType(template, 'AWS::ECS::Service');
    expect(services).toHaveLength(1);
    expect(JSON.stringify(services[0][1].Properties)).not.toContain(id);
  });

  it("runs the image's own command (cli.js history) with the secret's ARN, never a connection string, and the dump site", () => {
    const [container] = containerOf(custom);
    expect(container.Name).toBe('History');
    expect(container.Command).toBeUndefined();
    const env = Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));
    expect(env).toEqual({
      MONGODB_SECRET_ARN: expect.anything(),
      MONGODB_DATABASE: 'klines',
      BINANCE_REST_URL: 'https://api.binance.com',
      BINANCE_DUMPS_URL: 'https://data.binance.vision',
      AWS_REGION: expect.anything(),
    });
    expect(JSON.stringify(env.MONGODB_SECRET_ARN)).toContain('prod/kline-mongodb');
    expect(JSON.stringify(container)).not.toMatch(/mongodb(\+srv)?:/);
  });

  it("logs to the ingest's log group under the stream prefix history", () => {
    const [container] = containerOf(template);
    expect(container.LogConfiguration.Options).toMatchObject({ 'awslogs-group': { Ref: logicalId(template, 'AWS::Logs::LogGroup', 'IngestLogs') }, 'awslogs-stream-prefix': 'history' });
  });

  it('may read the MongoDB secret and nothing else', () => {
    const actions = statementsOfRole(template, roleOf('HistoryTaskTaskRole')).flatMap(actionsOf).sort();
    expect(actions).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });

  it('outputs the run-task command: its cluster, task definition, the public subnets, the ingest security group, all captured market types', () => {
    const { template: t } = buildStack({ marketTypes: 'spot,usdm' });
    const command = historyCommand(t);
    const cluster = logicalId(t, 'AWS::ECS::Cluster', 'IngestCluster');
    const task = historyTask(t)[0];
    const sg = logicalId(t, 'AWS::EC2::SecurityGroup', 'IngestSecurityGroup');
    expect(command).toMatch(
      new RegExp(
        `^aws ecs run-task --launch-type FARGATE --cluster <${cluster}> --task-definition <${task}> ` +
          `--network-configuration 'awsvpcConfiguration=\\{subnets=\\[<NetworkVpcPublicSubnet1Subnet\\w+>,<NetworkVpcPublicSubnet2Subnet\\w+>\\],securityGroups=\\[<${sg}>\\],assignPublicIp=ENABLED\\}' ` +
          `--overrides '(.*)'$`,
      ),
    );
    const overrides = JSON.parse(/--overrides '(.*)'$/.exec(command)![1]) as unknown;
    expect(overrides).toEqual({ containerOverrides: [{ name: 'History', command: ['history', '--market-type', 'spot,usdm', '--concurrency', '8'] }] });
  });
});

describe('SES identity', () => {
  it('creates an e-mail identity for the sender by default', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'reports@example.com' });
  });

  it('references an existing domain identity without creating one, scoping the grant to the domain', () => {
    const t = custom;
    t.resourceCountIs('AWS::SES::EmailIdentity', 0);
    const ses = resourcesOfType(t, 'AWS::IAM::Policy').flatMap(([, p]) => JSON.stringify(p.Properties)).filter((s) => s.includes('ses:SendRawEmail'));
    expect(ses).toHaveLength(1);
    expect(ses[0]).toContain(':identity/example.com"');
    expect(ses[0]).not.toContain(':identity/reports@example.com');
  });
});

describe('monitoring', () => {
  it('alarms when the dead-letter queue holds a message', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'QueueDeadLetters'), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when no kline is forwarded for the configured number of minutes, counting silence as breaching', () => {
    const t = custom;
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      // The metric the task emits (count since its previous line), with the task's and the market type's dimensions, summed per minute.
      Namespace: 'KlineCapture',
      MetricName: 'KlinesForwarded',
      Dimensions: [
        { Name: 'MarketType', Value: 'spot' },
        { Name: 'Service', Value: 'ingest-task' },
      ],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 7,
      DatapointsToAlarm: 7,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('has one "no klines forwarded" alarm and one dashboard widget per selected market type, none for the task total', () => {
    const forwardedAlarms = (t: Template) =>
      Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'KlinesForwarded' } })).map(
        (r) => (r.Properties.Dimensions as Array<{ Name: string; Value: string }>).find((d) => d.Name === 'MarketType')?.Value ?? 'total',
      );
    expect(forwardedAlarms(template).sort()).toEqual(['spot']);
    const all = buildStack({ marketTypes: ['spot', 'usdm', 'coinm'] }).template;
    expect(forwardedAlarms(all).sort()).toEqual(['coinm', 'spot', 'usdm']);
    const dashboard = JSON.stringify(Object.values(all.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const type of ['spot', 'usdm', 'coinm']) expect(dashboard).toContain(`Ingest: ${type} klines forwarded per minute`);
  });

  it('alarms when the functions cannot reach the store, which the writer reports only as a metric', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'KlineCapture',
      MetricName: 'StoreUnavailable',
      Dimensions: [{ Name: 'service', Value: 'kline-capture' }],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on writer errors and on completeness below the configured threshold', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(template, 'AWS::Lambda::Function', 'WriterFunction') } }],
    });
    const t = custom;
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'KlineCapture',
      MetricName: 'CompletenessPercent',
      Dimensions: [{ Name: 'service', Value: 'kline-capture' }],
      Threshold: 98.5,
      ComparisonOperator: 'LessThanThreshold',
    });
  });

  it('sends no notification without alarmEmail, and e-mails every alarm through SNS with it', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    const t = custom;
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const topicRef = { Ref: logicalId(t, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') };
    const alarms = resourcesOfType(t, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    for (const [, alarm] of alarms) expect(alarm.Properties?.AlarmActions).toEqual([topicRef]);
  });

  it("lets this account's CloudWatch alarms publish to the topic, which enforceSSL's Deny-only policy would otherwise stop", () => {
    // Act
    const policies = resourcesOfType(custom, 'AWS::SNS::TopicPolicy');
    // Assess
    expect(policies).toHaveLength(1);
    const statements = (policies[0][1].Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } }).PolicyDocument.Statement;
    const allow = statements.filter((s) => s.Effect === 'Allow');
    expect(allow).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: logicalId(custom, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
        },
      }),
    ]);
    expect(statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('aws:SecureTransport'))).toBe(true);
  });

  it('builds one dashboard named after the stack and region (dashboard names are account-wide)', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: { 'Fn::Join': ['', ['KlineCaptureTest-', { Ref: 'AWS::Region' }]] } });
  });
});

describe('schema step at deploy', () => {
  it('runs applySchema through a custom resource with the admin secret, before anything uses the store', () => {
    // Act
    const { template: t } = buildStack({ mongoSecretName: 'prod/kline-mongodb', mongoAdminSecretName: 'prod/kline-mongodb-admin', klineRetentionDays: 30 });
    // Assess
    const fn = logicalId(t, 'AWS::Lambda::Function', 'SchemaStepSchemaFunction');
    t.hasResourceProperties('Custom::KlineCaptureSchema', {
      ServiceToken: { 'Fn::GetAtt': [fn, 'Arn'] },
      Database: 'klines',
      RetentionDays: '30',
      SchemaVersion: Match.anyValue(),
    });
    const schemaRole = logicalId(t, 'AWS::IAM::Role', 'SchemaStepSchemaRole');
    const readsAdmin = (role: string) => JSON.stringify(statementsOfRole(t, role)).includes('prod/kline-mongodb-admin');
    expect(readsAdmin(schemaRole)).toBe(true);
    expect(readsAdmin(logicalId(t, 'AWS::IAM::Role', 'WriterRole'))).toBe(false);
    const custom = logicalId(t, 'Custom::KlineCaptureSchema', 'SchemaStepApply');
    const writer = t.findResources('AWS::Lambda::Function')[logicalId(t, 'AWS::Lambda::Function', 'WriterFunction')];
    expect(writer.DependsOn).toEqual(expect.arrayContaining([custom]));
  });

  it('has no schema step without an admin secret (run `store migrate` yourself)', () => {
    template.resourceCountIs('Custom::KlineCaptureSchema', 0);
  });
});
