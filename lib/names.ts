/**
 * Names shared between the infrastructure and the code it runs: the metric namespace, the metric
 * names the alarms watch, and the `service` dimension each component publishes under (Powertools
 * Metrics adds `service = POWERTOOLS_SERVICE_NAME` to every metric; the ingest task's EMF lines
 * carry the same dimension). Change a name here and in the emitting code together.
 */
export const METRICS_NAMESPACE = 'KlineCapture';

export const SERVICE_NAMES = {
  ingest: 'ingest',
  writer: 'writer',
  resampler: 'resampler',
  reporter: 'reporter',
} as const;

export const METRIC_NAMES = {
  /** Closed klines the ingest task handed to SQS (EMF, Sum per minute). */
  klinesForwarded: 'KlinesForwarded',
  /** Percent of expected 1m klines present in the reported period (reporter, one value per report). */
  completenessPercent: 'CompletenessPercent',
} as const;
