/**
 * A sink for local runs: hands batches to a function in the same process (the local pipeline
 * plugs the writer in here). With `onBodies` the batch is encoded exactly as it would travel
 * through SQS, so the local run exercises the codec too.
 */
import { encodeBatch, type IngestBatch } from '../../core/codec';
import { BufferedSink, type BufferedSinkOptions } from './sink';

export type InProcessSinkOptions = BufferedSinkOptions &
  ({ onBatch: (batch: IngestBatch) => Promise<void>; onBodies?: never } | { onBodies: (bodies: string[]) => Promise<void>; onBatch?: never });

export class InProcessSink extends BufferedSink {
  constructor(private readonly options: InProcessSinkOptions) {
    super(options);
  }

  protected async deliver(batch: IngestBatch): Promise<void> {
    if (this.options.onBatch) await this.options.onBatch(batch);
    else await this.options.onBodies(encodeBatch(batch));
  }
}

export function createInProcessSink(options: InProcessSinkOptions): InProcessSink {
  return new InProcessSink(options);
}
