/**
 * The production sink: klines packed into SQS messages by the core codec (many klines per
 * message), sent with SendMessageBatch (≤ 10 entries and ≤ 256 KiB per call). Entries SQS
 * reports as failed are retried on their own; a call that throws is retried whole. The
 * buffer is bounded (see BufferedSink), so a slow or unavailable queue makes producers wait
 * instead of growing memory.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeBatch, MAX_BODY_BYTES, type IngestBatch } from '../../core/codec';
import { backoffDelay } from '../../core/binance/backoff';
import { BufferedSink, type BufferedSinkOptions } from './sink';

export const MAX_ENTRIES_PER_CALL = 10;
/** SendMessageBatch's total payload limit. */
export const MAX_CALL_BYTES = 262_144;

export interface SqsSinkOptions extends BufferedSinkOptions {
  client: SQSClient;
  queueUrl: string;
  /** Largest message body (default and maximum: 256 KiB). */
  maxBodyBytes?: number;
}

/** Group bodies into SendMessageBatch calls: ≤ 10 entries and ≤ `maxCallBytes` each. Pure. */
export function groupIntoCalls(bodies: readonly string[], maxCallBytes = MAX_CALL_BYTES): string[][] {
  const calls: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (current.length > 0 && (current.length === MAX_ENTRIES_PER_CALL || bytes + size > maxCallBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

export class SqsSink extends BufferedSink {
  /** SendMessageBatch calls made (for tests and metrics). */
  calls = 0;
  failedEntries = 0;

  constructor(private readonly options: SqsSinkOptions) {
    super({ concurrency: 4, ...options });
    if (!options.queueUrl) throw new Error('SqsSink needs a queueUrl');
  }

  protected async deliver(batch: IngestBatch): Promise<void> {
    const bodies = encodeBatch(batch, Math.min(this.options.maxBodyBytes ?? MAX_BODY_BYTES, MAX_BODY_BYTES));
    for (const call of groupIntoCalls(bodies)) await this.sendCall(call);
  }

  /**
   * One call, retried until every entry is accepted: failed entries alone, a thrown call whole.
   * Retrying here (not the whole delivery) means calls that already succeeded are not re-sent.
   */
  private async sendCall(bodies: string[]): Promise<void> {
    let entries: SendMessageBatchRequestEntry[] = bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody }));
    for (let attempt = 0; ; attempt++) {
      this.calls++;
      try {
        const out = await this.options.client.send(new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        if (failed.size === 0) return;
        this.failedEntries += failed.size;
        this.logger.warn('SQS refused some entries; retrying them', { failed: out.Failed?.map((f) => ({ id: f.Id, code: f.Code, senderFault: f.SenderFault })) });
        entries = entries.filter((e) => failed.has(e.Id));
      } catch (e) {
        this.stats.failedAttempts++;
        this.logger.warn('SendMessageBatch failed; retrying', { error: e, attempt, entries: entries.length });
      }
      await new Promise((r) => setTimeout(r, backoffDelay(attempt, this.options.retryBackoff ?? { baseMs: 100, capMs: 10_000 })));
    }
  }
}
