/**
 * Module-scope Powertools singletons, created once per Lambda container and shared by the
 * handlers (the pattern Powertools documents: configure once, use in every invocation).
 * Log level: `POWERTOOLS_LOG_LEVEL` (default INFO). Metrics: Embedded Metric Format on stdout,
 * namespace `KlineCapture`, dimension `service=kline-capture`.
 */
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../core/metric-names';

/** Log lines carry the function's own service name when the deployment sets one. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || METRICS_SERVICE });

/** The metrics' `service` dimension is fixed, whatever the environment says: the alarms match on it. */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

/** Turns per-record throws into SQS `batchItemFailures`; throws FullBatchFailureError if all fail. */
export const sqsProcessor = new BatchProcessor(EventType.SQS);

/** Publish what the invocation recorded; an invocation that failed before recording publishes nothing. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
