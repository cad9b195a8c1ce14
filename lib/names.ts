/**
 * Names shared between the infrastructure and the code it runs. The Lambdas publish their metrics
 * through Powertools with the names in `core/metric-names.ts` (namespace `KlineCapture`, one
 * dimension `service = kline-capture`); lib/ imports only types from core/, so the values the alarms
 * need are repeated here and a test (test/lib/names.test.ts) fails if the two drift apart.
 */
export const METRICS_NAMESPACE = 'KlineCapture';

/** The `service` dimension (and Powertools service name) of every Lambda metric. */
export const LAMBDA_METRICS_SERVICE = 'kline-capture';

/** The ingest task's service name (log field; its EMF metrics are matched by name, any dimension). */
export const INGEST_SERVICE_NAME = 'ingest-task';

export const METRIC_NAMES = {
  /** ingest task: closed klines handed to SQS (EMF, summed per minute). */
  klinesForwarded: 'KlinesForwarded',
  /** reporter: percent of expected 1m klines present in the report window (one value per report). */
  completenessPercent: 'CompletenessPercent',
} as const;
