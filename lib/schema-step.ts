import { CustomResource, Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FunctionPlacement, KlineFunction } from './kline-function';

export interface SchemaStepProps {
  readonly entry: string;
  /** The secret holding the URI of a MongoDB user with dbAdmin + readWrite on the database. */
  readonly adminSecret: secretsmanager.ISecret;
  readonly database: string;
  /** Days of 1m klines kept; undefined removes the TTL. */
  readonly klineRetentionDays: number | undefined;
  readonly logRetention: logs.RetentionDays;
  readonly placement?: FunctionPlacement;
}

/**
 * The schema step at deploy (docs/data-model.md: "schema changes are an explicit step"): a custom
 * resource whose function runs `applySchema` with the admin credential whenever the database, the
 * 1m retention or the schema version changes. Only this function may read the admin secret; the
 * runtime functions keep their readWrite-only credential.
 */
export class SchemaStep extends Construct {
  /** Bump when the schema (collections, indexes, views) changes, so the next deploy applies it. */
  static readonly SCHEMA_VERSION = '1';

  readonly function: KlineFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SchemaStepProps) {
    super(scope, id);
    this.function = new KlineFunction(this, 'Schema', {
      entry: props.entry,
      name: 'schema',
      description: 'Deploy-time schema step: applies collections, indexes and the 1m retention with the admin credential',
      store: { secret: props.adminSecret, database: props.database },
      timeout: Duration.minutes(10),
      memorySize: 512,
      logRetention: props.logRetention,
      placement: props.placement,
      environment: { MONGODB_ADMIN_SECRET_ARN: props.adminSecret.secretArn },
    });
    this.resource = new CustomResource(this, 'Apply', {
      serviceToken: this.function.function.functionArn,
      resourceType: 'Custom::KlineCaptureSchema',
      properties: {
        Database: props.database,
        RetentionDays: props.klineRetentionDays === undefined ? 'none' : String(props.klineRetentionDays),
        SchemaVersion: SchemaStep.SCHEMA_VERSION,
      },
    });
  }
}
