import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface KlineQueueProps {
  /** The consumer's function timeout; the visibility timeout is derived from it. */
  readonly consumerTimeout: Duration;
  /** The event source's batching window, added to the visibility timeout as AWS advises. */
  readonly consumerBatchingWindow: Duration;
  /**
   * Receives before a message moves to the dead-letter queue. A few, so a store outage of a
   * few minutes is ridden out, while a corrupt message stops being retried quickly.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * The ingest→writer queue and its dead-letter queue. Both are encrypted with SQS-managed keys and
 * refuse non-TLS requests. The visibility timeout is six times the consumer's timeout plus its
 * batching window (AWS's advice for Lambda event sources), so a message in flight is never
 * delivered twice while an invocation may still be working on it.
 */
export class KlineQueue extends Construct {
  static readonly VISIBILITY_FACTOR = 6;

  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: KlineQueueProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) throw new Error(`KlineQueue: maxReceiveCount must be a positive integer, got ${maxReceiveCount}`);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to inspect and redrive after an outage.
      retentionPeriod: Duration.days(14),
    });

    this.queue = new sqs.Queue(this, 'Klines', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(
        props.consumerTimeout.toSeconds() * KlineQueue.VISIBILITY_FACTOR + props.consumerBatchingWindow.toSeconds(),
      ),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    new CfnOutput(this, 'DeadLetterQueueArn', {
      description: 'Dead-letter queue; after fixing the cause: aws sqs start-message-move-task --source-arn <this>',
      value: this.deadLetterQueue.queueArn,
    });
  }
}
