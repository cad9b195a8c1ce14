import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FunctionPlacement, KlineFunction, StoreAccess } from './kline-function';

export interface WriterFunctionProps {
  readonly entry: string;
  readonly queue: sqs.IQueue;
  readonly store: StoreAccess;
  readonly logRetention: logs.RetentionDays;
  /**
   * Upper bound of concurrent invocations the queue may drive (SQS event source maximum
   * concurrency, 2–1000). Each warm container holds a MongoDB connection pool, so this bounds the
   * connections the writer opens on the Atlas cluster.
   */
  readonly maxConcurrency: number;
  readonly placement?: FunctionPlacement;
}

/**
 * The SQS-triggered writer: decodes ingest batches and upserts them into the store. Partial batch
 * responses are on, so one bad message is retried (and dead-lettered) alone, never with its batch.
 */
export class WriterFunction extends Construct {
  static readonly TIMEOUT = Duration.seconds(30);
  static readonly BATCH_SIZE = 10;
  static readonly BATCHING_WINDOW = Duration.seconds(5);

  readonly function: KlineFunction;

  constructor(scope: Construct, id: string, props: WriterFunctionProps) {
    super(scope, id);
    if (!Number.isInteger(props.maxConcurrency) || props.maxConcurrency < 2 || props.maxConcurrency > 1000) {
      throw new Error(`WriterFunction: maxConcurrency must be a whole number from 2 to 1000 (the SQS event source limits), got ${props.maxConcurrency}`);
    }
    this.function = new KlineFunction(this, 'Writer', {
      entry: props.entry,
      name: 'writer',
      description: 'Writes closed 1m klines from the ingest queue to MongoDB (idempotent upserts)',
      store: props.store,
      timeout: WriterFunction.TIMEOUT,
      memorySize: 512,
      logRetention: props.logRetention,
      placement: props.placement,
    });
    // Grants the function receive/delete/change-visibility on this queue only.
    this.function.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: WriterFunction.BATCH_SIZE,
        maxBatchingWindow: WriterFunction.BATCHING_WINDOW,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}
