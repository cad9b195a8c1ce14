/**
 * The metric names, namespace and dimensions the alarms and the dashboard read: the very values
 * the ingest task and the Lambdas emit with (core/metric-names.ts, a constants-only module), so an
 * alarm cannot watch a metric nobody publishes.
 */
export {
  INGEST_DIMENSIONS,
  INGEST_METRIC,
  ingestMarketTypeDimensions,
  INGEST_SERVICE as INGEST_SERVICE_NAME,
  LAMBDA_DIMENSIONS,
  METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE as LAMBDA_METRICS_SERVICE,
} from '../core/metric-names';
