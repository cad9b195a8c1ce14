/**
 * Writer Lambda (SQS event source with ReportBatchItemFailures): stores the klines and market
 * status events the ingest task sent, and reports exactly the messages that were not stored.
 *
 * The whole batch is decoded and written first (one bulk upsert for all messages, see
 * `core/write-batch.ts`); then Powertools' BatchProcessor turns each failed message into a
 * `batchItemFailures` entry, or throws FullBatchFailureError when every message failed so the
 * whole batch is retried. A corrupt message fails on every delivery and reaches the DLQ after the
 * queue's maxReceiveCount; it is logged with its messageId and reason each time.
 *
 * Env: MONGODB_SECRET_ARN (AWS) or KLINE_STORE / MONGODB_URI (local), MONGODB_DATABASE,
 * MONGODB_MAX_POOL_SIZE, KLINE_1M_RETENTION_DAYS, POWERTOOLS_LOG_LEVEL.
 */
import { processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeBatch } from '../core/codec';
import { CodecError } from '../core/errors';
import { METRIC } from '../core/metric-names';
import type { KlineStore } from '../core/store/port';
import { writeDecodedBatches, type DecodedMessage, type WriteBatchResult } from '../core/write-batch';
import { flushMetrics, logger, metrics, sqsProcessor } from './shared/powertools';
import { discardStore, getStore } from './shared/store';

export interface QueueMessage {
  id: string;
  body: string;
}

/** `corrupt`: undecodable or unstorable content, never stored however often retried; `store`: retry. */
export type WriteFailureKind = 'corrupt' | 'store';

export interface WriteMessagesResult {
  /** Messages not (fully) stored; retry them. Every other message is stored. */
  failedIds: string[];
  failures: { id: string; kind: WriteFailureKind; reason: string }[];
  klinesReceived: number;
  klinesWritten: number;
  /** A store call failed as a whole during this delivery. */
  storeUnavailable: boolean;
  /** Klines and market events rejected alone (logged with their reason); their messages are stored. */
  rejected: WriteBatchResult['rejected'];
}

/** Error thrown for one SQS record; its message is the reason the record was not stored. */
export class MessageNotStoredError extends Error {
  override readonly name = 'MessageNotStoredError';
  constructor(readonly messageId: string, readonly kind: WriteFailureKind, reason: string) {
    super(`message ${messageId} not stored (${kind}): ${reason}`);
  }
}

interface LogSink {
  error(message: string, ...extra: Record<string, unknown>[]): void;
  warn?(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * Decode and store message bodies; the same code the Lambda runs, callable without SQS (the
 * local pipeline's in-process queue). Never throws for a bad message or a store outage: those
 * come back as failures.
 */
export async function writeMessages(store: KlineStore, messages: readonly QueueMessage[], log: LogSink = logger): Promise<WriteMessagesResult> {
  const failures: WriteMessagesResult['failures'] = [];
  const decoded: DecodedMessage[] = [];
  for (const m of messages) {
    try {
      decoded.push({ id: m.id, batch: decodeBatch(m.body) });
    } catch (err) {
      const reason = err instanceof CodecError ? err.message : `unexpected decode error: ${String(err)}`;
      // Logged on every delivery; after maxReceiveCount the queue moves it to the DLQ.
      log.error('corrupt message', { messageId: m.id, reason, bodyBytes: Buffer.byteLength(m.body, 'utf8') });
      failures.push({ id: m.id, kind: 'corrupt', reason });
    }
  }
  const written = await writeDecodedBatches(store, decoded);
  for (const f of written.failures) {
    log.error('message not stored', { messageId: f.id, reason: f.reason });
    failures.push({ id: f.id, kind: f.kind === 'invalid' ? 'corrupt' : 'store', reason: f.reason });
  }
  for (const r of written.rejected) (log.warn ?? log.error).call(log, 'item rejected', { messageId: r.messageId, kind: r.kind, symbol: r.symbol, openTime: r.openTime, reason: r.reason });
  return {
    rejected: written.rejected,
    failedIds: failures.map((f) => f.id),
    failures,
    klinesReceived: written.klinesReceived,
    klinesWritten: written.klinesWritten,
    storeUnavailable: written.storeUnavailable,
  };
}

/** The writer's own record of a store outage: one error line and StoreUnavailable = 1 (alarmed on). */
function storeUnavailable(cause: unknown, messages: number): void {
  logger.error('store unavailable: batch not stored, SQS delivers it again', { messages, error: cause });
  metrics.addMetric(METRIC.storeUnavailable, MetricUnit.Count, 1);
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    let store: KlineStore;
    try {
      store = await getStore();
    } catch (err) {
      // No message is acknowledged: the whole batch comes back after the visibility timeout.
      storeUnavailable(err, event.Records.length);
      throw err;
    }
    const outcome = await writeMessages(
      store,
      event.Records.map((r) => ({ id: r.messageId, body: r.body })),
    );
    if (outcome.storeUnavailable) {
      await discardStore();
      const reasons = [...new Set(outcome.failures.filter((f) => f.kind === 'store').map((f) => f.reason))];
      storeUnavailable(reasons.join('; '), event.Records.length);
    } else metrics.addMetric(METRIC.storeUnavailable, MetricUnit.Count, 0);
    const failed = new Map(outcome.failures.map((f) => [f.id, f]));
    metrics.addMetric(METRIC.klinesReceived, MetricUnit.Count, outcome.klinesReceived);
    metrics.addMetric(METRIC.klinesWritten, MetricUnit.Count, outcome.klinesWritten);
    metrics.addMetric(METRIC.messagesFailed, MetricUnit.Count, failed.size);
    metrics.addMetric(METRIC.itemsRejected, MetricUnit.Count, outcome.rejected.length);
    metrics.addMetric(METRIC.corruptMessages, MetricUnit.Count, outcome.failures.filter((f) => f.kind === 'corrupt').length);
    logger.info('batch written', {
      messages: event.Records.length,
      failed: failed.size,
      klinesReceived: outcome.klinesReceived,
      klinesWritten: outcome.klinesWritten,
    });
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const failure = failed.get(record.messageId);
      if (failure) throw new MessageNotStoredError(record.messageId, failure.kind, failure.reason);
    };
    return await processPartialResponse(event, recordHandler, sqsProcessor, { context });
  } finally {
    flushMetrics();
  }
};
