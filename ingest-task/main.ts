/**
 * Fargate entry point: read config, build the SQS sink, resume from the store, run until
 * SIGTERM/SIGINT, then stop reading, flush and exit within the stop timeout (ECS sends SIGKILL
 * 30 s after SIGTERM by default). Exit codes: 0 stopped cleanly, 1 failed, 2 bad configuration.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { readPositiveInt } from '../core/config';
import { ConfigError } from '../core/errors';
import { INGEST_SERVICE } from '../core/metric-names';
import { readIngestConfig, type IngestConfig } from './config';
import { startCapture } from './capture/capture';
import { VENUES } from '../core/binance/venues';
import { createLogger } from '../core/logger';
import { EmfPublisher } from './metrics';
import { readResumePoints, resumeReader, type SecretsClient } from './capture/resume-store';
import { SqsSink } from './sinks/sqs';
import type { KlineSink } from './sinks/sink';

/** What tests replace: the AWS clients (defaults: real clients for the task's region and role). */
export interface MainDeps {
  secrets?: SecretsClient;
  sqs?: SQSClient;
  /** Wait this long for an unreachable MongoDB at start (default 10 s). */
  storeTimeoutMs?: number;
}

export async function main(env: NodeJS.ProcessEnv = process.env, deps: MainDeps = {}): Promise<number> {
  let config: IngestConfig;
  let retentionDays: number | undefined;
  try {
    config = readIngestConfig(env);
    // The 1m TTL the store's schema is expected to have (checked at resume, never changed here).
    retentionDays = env.KLINE_1M_RETENTION_DAYS ? readPositiveInt(env, 'KLINE_1M_RETENTION_DAYS', 1) : undefined;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel });
  if (config.sink.kind !== 'sqs') {
    logger.error('SINK=in-process runs only inside the local pipeline (npm start); the task needs SINK=sqs');
    return 2;
  }
  const sink: KlineSink & { close(): Promise<void> } = new SqsSink({ client: deps.sqs ?? new SQSClient({}), queueUrl: config.sink.queueUrl, logger });
  let ingest;
  try {
    ingest = await startCapture({
      venues: config.venues.map((v) => ({ venue: VENUES[v.marketType], restUrl: v.restUrl, streamUrl: v.streamUrl, marketFilter: v.markets })),
      sink,
      resumeFrom: resumeReader(
        config.venues.map((v) => v.marketType),
        (types) => readResumePoints(config.resume, types, { logger, secrets: deps.secrets, serverSelectionTimeoutMS: deps.storeTimeoutMs, retentionDays }),
      ),
      refreshIntervalMs: config.refreshIntervalMs,
      newMarketHistoryMs: config.newMarketHistoryMs,
      rest: { weightHeadroom: config.weightHeadroom },
      maxConnectionAgeMs: config.maxConnectionAgeMs,
      connectionTimers: { stallTimeoutMs: config.stallTimeoutMs },
      streamCopies: config.streamCopies,
      metrics: (marketType) => new EmfPublisher({ namespace: config.metricsNamespace, service: INGEST_SERVICE, marketType }),
      logger,
    });
  } catch (e) {
    logger.error('ingest could not start', { error: e });
    return e instanceof ConfigError ? 2 : 1;
  }
  const running = ingest;

  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const outcome = await Promise.race([signalled.then((s) => ({ signal: s })), running.done.then(() => ({ signal: 'done' }), (e: Error) => ({ error: e }))]);
  if ('error' in outcome) {
    logger.error('ingest failed', { error: outcome.error });
    return 1;
  }
  logger.info('stopping', { signal: outcome.signal, stopTimeoutMs: config.stopTimeoutMs });
  const stopped = running.stop().then(() => sink.close()).then(() => 'stopped' as const);
  const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.stopTimeoutMs).unref());
  const result = await Promise.race([stopped, deadline]);
  if (result === 'timeout') {
    logger.error('stop timeout: exiting with klines still buffered; the next task resumes from the store', { stopTimeoutMs: config.stopTimeoutMs });
    return 1;
  }
  logger.info('stopped cleanly', running.status() as unknown as Record<string, unknown>);
  return 0;
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
