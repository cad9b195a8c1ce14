import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface ReportEmailProps {
  /** The report's From address. */
  readonly sender: string;
  /** The SES identity that authorises the sender: the sender address itself, or its domain. */
  readonly identity: string;
  /** Create the identity in SES (false: it exists already, verified outside this stack). */
  readonly createIdentity: boolean;
  /**
   * The report's recipients. While the account is in the SES sandbox, SES also checks the sending
   * permission against each recipient's verified identity (address or domain), so the grant names them too.
   */
  readonly recipients: readonly string[];
}

/**
 * The SES identity that sends the quality report, and the one permission the reporter needs:
 * `ses:SendRawEmail` on that identity, only with the configured From address.
 */
export class ReportEmail extends Construct {
  readonly identityArn: string;
  readonly sender: string;
  private readonly recipientIdentityArns: string[];

  constructor(scope: Construct, id: string, props: ReportEmailProps) {
    super(scope, id);
    this.sender = props.sender;
    const isDomain = !props.identity.includes('@');
    if (props.createIdentity) {
      const identity = new ses.EmailIdentity(this, 'Identity', {
        identity: isDomain ? ses.Identity.domain(props.identity) : ses.Identity.email(props.identity),
      });
      // A verified identity (a clicked link, published DKIM records) survives a changed setting or a deleted stack.
      identity.applyRemovalPolicy(RemovalPolicy.RETAIN);
      new CfnOutput(this, 'IdentityToVerify', {
        description: isDomain
          ? 'SES domain identity: publish its DKIM CNAME records (SES console) to verify it'
          : 'SES e-mail identity: click the link AWS sends to this address to verify it',
        value: identity.emailIdentityName,
      });
    }
    const stack = Stack.of(this);
    const identityArn = (name: string) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name });
    this.identityArn = identityArn(props.identity);
    // A sandbox recipient may be verified as an address or through its domain.
    const recipientIdentities = props.recipients.flatMap((r) => [r.toLowerCase(), r.slice(r.indexOf('@') + 1).toLowerCase()]);
    this.recipientIdentityArns = [...new Set(recipientIdentities)].filter((name) => name !== props.identity.toLowerCase()).map(identityArn);
  }

  /** Allow `grantee` to send raw e-mail from the configured sender through this identity only. */
  grantSend(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendRawEmail'],
      resourceArns: [this.identityArn, ...this.recipientIdentityArns],
      conditions: { StringEquals: { 'ses:FromAddress': this.sender } },
    });
  }
}
