/**
 * Names of the CloudWatch metrics the Lambdas publish (Embedded Metric Format through Powertools).
 * Kept in `core/` so the CDK stack (`lib/`) builds alarms and dashboards on exactly these names.
 *
 * Every metric carries one dimension, `service` = `METRICS_SERVICE`.
 */
export const METRICS_NAMESPACE = 'KlineCapture';
export const METRICS_SERVICE = 'kline-capture';

export const METRIC = {
  /** writer: 1m klines received in a batch of SQS messages (Count). */
  klinesReceived: 'KlinesReceived',
  /** writer: 1m klines inserted or changed (Count; a redelivered identical kline counts 0). */
  klinesWritten: 'KlinesWritten',
  /** writer: messages reported as batch item failures (Count). */
  messagesFailed: 'MessagesFailed',
  /** writer: messages that could not be decoded; they go to the DLQ after maxReceiveCount (Count). */
  corruptMessages: 'CorruptMessages',
  /** writer: klines and market events rejected alone, never storable (bad symbol, refused by the store's rules) (Count). */
  itemsRejected: 'ItemsRejected',
  /** resampler: resampled bars computed in a run (Count). */
  barsComputed: 'BarsComputed',
  /** resampler: resampled bars inserted or changed in a run (Count). */
  barsWritten: 'BarsWritten',
  /** resampler: bars the store refused (Count). */
  resampleFailures: 'ResampleFailures',
  /** resampler: whole hours the sweep is still behind after a run, > 0 only while an outage drains (Count). */
  catchUpHours: 'CatchUpHours',
  /** reporter: expected 1m datapoints present in the report window, in % (Percent). */
  completenessPercent: 'CompletenessPercent',
  /** reporter: markets with ≥ 1 kline in the report window (Count). */
  marketsCaptured: 'MarketsCaptured',
  /** reporter: missing expected minutes in the report window (Count). */
  missingMinutes: 'MissingMinutes',
} as const;
