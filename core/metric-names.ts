/**
 * The one source of every CloudWatch metric name, namespace and dimension set: the ingest task and
 * the Lambdas emit with these, and the CDK stack's alarms and dashboard read with these, so the
 * two cannot drift apart (test/lib/metrics-contract.test.ts checks the emitted EMF lines against
 * the synthesized template). Constants only: `lib/` imports this module's values.
 */
export const METRICS_NAMESPACE = 'KlineCapture';

/** The Lambdas' Powertools service name: every Lambda metric carries the dimension `service` = this. */
export const METRICS_SERVICE = 'kline-capture';

/** The ingest task's service name: every ingest metric carries the dimension `Service` = this. */
export const INGEST_SERVICE = 'ingest-task';

/** The dimension set of every metric the Lambdas publish (Powertools names it `service`). */
export const LAMBDA_DIMENSIONS: Readonly<Record<string, string>> = { service: METRICS_SERVICE };

/** The dimension set of every metric the ingest task publishes (its EMF lines name it `Service`). */
export const INGEST_DIMENSIONS: Readonly<Record<string, string>> = { Service: INGEST_SERVICE };

/**
 * The dimension each venue's ingest adds: its EMF lines carry [Service, MarketType] beside
 * [Service], so one market type that stops is seen even while the others flow.
 */
export const INGEST_MARKET_TYPE_DIMENSION = 'MarketType';

/** The dimension set of one market type's ingest metrics. */
export function ingestMarketTypeDimensions(marketType: string): Readonly<Record<string, string>> {
  return { ...INGEST_DIMENSIONS, [INGEST_MARKET_TYPE_DIMENSION]: marketType };
}

/** Metrics of the ingest task, one EMF line per metrics interval (60 s). */
export const INGEST_METRIC = {
  /** Closed klines handed to the sink since the previous metrics line (Count; Sum per minute = klines per minute). */
  klinesForwarded: 'KlinesForwarded',
  /** Websocket connections open (Count). */
  openConnections: 'OpenConnections',
  gapsFound: 'GapsFound',
  gapsFilled: 'GapsFilled',
  restWeightUsed: 'RestWeightUsed',
  pendingKlines: 'PendingKlines',
  sinkBufferDepth: 'SinkBufferDepth',
  sinkLatency: 'SinkLatency',
  lagMs: 'LagMs',
  silentStreams: 'SilentStreams',
  streamPathSwitches: 'StreamPathSwitches',
} as const;

export const METRIC = {
  /** writer: 1m klines received in a batch of SQS messages (Count). */
  klinesReceived: 'KlinesReceived',
  /** writer: 1m klines inserted or changed (Count; a redelivered identical kline counts 0). */
  klinesWritten: 'KlinesWritten',
  /** writer: messages reported as batch item failures (Count). */
  messagesFailed: 'MessagesFailed',
  /** writer: messages that could not be decoded; they go to the DLQ after maxReceiveCount (Count). */
  corruptMessages: 'CorruptMessages',
  /** writer, resampler, reporter: 1 for an invocation whose store was unreachable or refused it as a whole (Count). */
  storeUnavailable: 'StoreUnavailable',
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
  /** reporter: 1 when SES refused or could not be reached to send the report (Count). */
  reportSendFailures: 'ReportSendFailures',
} as const;
