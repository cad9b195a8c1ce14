import { CfnOutput } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionPlacement } from './kline-function';

export interface EgressNetworkProps {
  /**
   * false (default): public subnets only, no NAT gateway; the task gets a public IP and the
   * Lambdas run outside the VPC, so Atlas must accept 0.0.0.0/0 (with strong credentials).
   * true: one NAT gateway with an Elastic IP; the task and the Lambdas run in private subnets and
   * reach the internet (Binance, Atlas) from that one address, which Atlas can allow-list.
   */
  readonly staticEgress: boolean;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The VPC and the choice of how the system reaches the internet. No subnet accepts inbound
 * connections: nothing here serves requests. Rejected packets are kept in a flow log.
 */
export class EgressNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** Subnets of the ingest task. */
  readonly taskSubnets: ec2.SubnetSelection;
  /** Whether the task needs a public IP to reach the internet (no NAT). */
  readonly taskNeedsPublicIp: boolean;
  /** Where the Lambdas run; undefined = outside the VPC. */
  readonly functionPlacement: FunctionPlacement | undefined;
  /** The Elastic IP every outbound connection leaves from (static egress only). */
  readonly egressIp: ec2.CfnEIP | undefined;

  constructor(scope: Construct, id: string, props: EgressNetworkProps) {
    super(scope, id);

    let natGatewayProvider: ec2.NatProvider | undefined;
    if (props.staticEgress) {
      this.egressIp = new ec2.CfnEIP(this, 'EgressIp', { domain: 'vpc' });
      natGatewayProvider = ec2.NatProvider.gateway({ eipAllocationIds: [this.egressIp.attrAllocationId] });
    }

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.staticEgress ? 1 : 0,
      natGatewayProvider,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        ...(props.staticEgress ? [{ name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 }] : []),
      ],
    });

    this.vpc.addFlowLog('RejectedTraffic', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention })),
    });

    if (props.staticEgress && this.egressIp) {
      this.taskSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
      this.taskNeedsPublicIp = false;
      const functionsSecurityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
        vpc: this.vpc,
        description: 'kline-capture Lambdas: outbound only, no inbound rule',
        allowAllOutbound: true,
      });
      this.functionPlacement = {
        vpc: this.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [functionsSecurityGroup],
      };
      new CfnOutput(this, 'EgressIpAddress', {
        description: 'Add this address to the MongoDB Atlas IP access list (Network Access)',
        value: this.egressIp.attrPublicIp,
      });
    } else {
      this.taskSubnets = { subnetType: ec2.SubnetType.PUBLIC };
      this.taskNeedsPublicIp = true;
      this.functionPlacement = undefined;
    }
  }
}
