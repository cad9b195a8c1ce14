import { CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { MongoSecretSource } from './config';

export interface MongoSecretProps {
  readonly source: MongoSecretSource;
}

/**
 * The Secrets Manager secret whose SecretString is the MongoDB connection string.
 * Either created by the stack with a random placeholder value (the operator then puts the URI
 * with `aws secretsmanager put-secret-value`), or an existing secret referenced by name or ARN.
 * The URI never appears in the template, an environment variable or the image: consumers get the
 * ARN and read the value at run time, and only the consumers granted here may read it.
 */
export class MongoSecret extends Construct {
  readonly secret: secretsmanager.ISecret;
  /** True when the stack owns the secret (and the operator must fill it after the first deploy). */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: MongoSecretProps) {
    super(scope, id);
    const source = props.source;
    this.created = source.kind === 'create';
    if (source.kind === 'name') {
      this.secret = secretsmanager.Secret.fromSecretNameV2(this, 'Existing', source.name);
    } else if (source.kind === 'arn') {
      this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Existing', source.arn);
    } else {
      const secret = new secretsmanager.Secret(this, 'Uri', {
        secretName: `${Stack.of(this).stackName}/mongodb-uri`,
        description:
          'MongoDB connection string (the mongodb+srv URI with user and password) used by kline-capture. ' +
          'Created with a random placeholder; set it with aws secretsmanager put-secret-value.',
        // A random placeholder, so no value of ours is ever written into the template.
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
        // Holds the operator's URI: never deleted with the stack or a changed setting. Its fixed name
        // means a later deploy that would create it again fails instead of making a new, empty one.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Holds a MongoDB Atlas connection string: the Atlas database user password is rotated in Atlas and the new URI ' +
          'is put here by the operator (docs/deploy.md); Secrets Manager has no rotation function for Atlas users.',
      });
      this.secret = secret;
    }
    new CfnOutput(this, 'SecretArn', {
      description: 'Secrets Manager secret holding the MongoDB URI (set it with aws secretsmanager put-secret-value)',
      value: this.secret.secretArn,
    });
  }

  grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }
}
