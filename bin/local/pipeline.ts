/**
 * The whole system in one process: ingest → in-process queue → writer → store, with the resampler
 * and reporter on timers driven by the exchange clock (accelerated when the simulator runs).
 * The same functions run in AWS; only the wiring differs.
 */
import { mkdirSync } from 'node:fs';
import { MINUTE_MS } from '../../core/interval';
import { buildQualityReport, type QualityReport } from '../../core/report';
import { DEFAULT_RESAMPLE_OPTIONS, runResampleCycle, type ResampleOptions } from '../../core/resample-job';
import { lastOpenTimesBySymbol } from '../../core/store/known-markets';
import type { KlineStore, TimeRange } from '../../core/store/port';
import type { MarketFilter } from '../../core/config';
import type { MarketType } from '../../core/market';
import { startCapture, type CaptureHandle, type CaptureOptions, type VenueSelection } from '../../ingest-task/capture/capture';
import type { IngestStatus } from '../../ingest-task/capture/ingest';
import { SPOT } from '../../core/binance/venues';
import type { Logger } from '../../core/logger';
import { InProcessSink } from '../../ingest-task/sinks/in-process';
import { InProcessQueue, percentile } from './in-process-queue';
import { lastReportedTo, missedWindows, writeReportFiles, type ReportFiles } from './report-files';
import { keepUndelivered, replayUndelivered, type KeptSummary } from './undelivered';
import type { PipelineStatus } from './status-line';
import { combinedIngestStatus, typeFigures, type TypeFigures } from './capture-status';

export interface LocalPipelineOptions {
  store: KlineStore;
  /** Every market type to capture, as the Fargate task selects them (ingest-task/config.ts readVenueConfigs). */
  venues?: readonly VenueSelection[];
  /** Spot alone, when `venues` is not given (tests and benches of one simulator). */
  restUrl?: string;
  streamUrl?: string;
  /** Exchange time now, ms (the simulator's clock, or the wall clock for live Binance). */
  exchangeNow: () => number;
  /** Exchange time now of one market type's venue (default `exchangeNow`; simulated venues each keep a clock). */
  venueNow?: (marketType: MarketType) => number;
  /** Exchange ms per real ms (1 for live Binance). */
  speed: number;
  marketFilter?: MarketFilter;
  reportEveryMinutes: number;
  reportsDir: string;
  resampleEveryMinutes?: number;
  resample?: Partial<ResampleOptions>;
  /** Called with each report once written (e.g. to e-mail it). */
  onReport?: (report: QualityReport, files: ReportFiles) => Promise<void>;
  ingest?: Partial<Omit<CaptureOptions, 'venues' | 'sink' | 'resumeFrom' | 'logger'>>;
  logger: Logger;
  deadLetterFile?: string;
  /** Where klines not stored by a stop's deadline are kept, and replayed from at start. */
  undeliveredFile?: string;
}

export interface StopOutcome {
  /** What could not be stored before the deadline, and the file it is kept in; undefined when all was stored. */
  kept?: KeptSummary;
  /** Why it could not be stored (the store's last error), when known. */
  reason?: string;
}

export interface LocalPipeline {
  /** First minute fully observed by this run. */
  readonly startedAt: number;
  /** `ingest`: all running market types together (caughtUpTo the earliest); `types`: each one. */
  status(): Omit<PipelineStatus, 'types'> & { ingest: IngestStatus; types: TypeFigures[]; deadLettered: number; reportsWritten: number; storeLatencyMs: number | undefined; rejected: number };
  /**
   * Run the resampler now, as many runs as it takes to catch up (it also runs every
   * `resampleEveryMinutes` exchange minutes). `graceMs: 0` after stop: everything the ingest
   * caught up to is stored, nothing is late.
   */
  resampleNow(overrides?: Partial<ResampleOptions>): Promise<void>;
  /** Build and write the report for a range now. */
  reportNow(range: TimeRange): Promise<QualityReport>;
  /**
   * Stop reading, store everything buffered, finish running jobs. With `deadlineMs`, gives up
   * after that long and keeps what was not stored in `undeliveredFile` (see StopOutcome).
   */
  stop(options?: { deadlineMs?: number }): Promise<StopOutcome>;
  /** For an immediate exit: keep everything not yet stored, synchronously; undefined if nothing. */
  keepHeldNow(reason: string): KeptSummary | undefined;
  /** Resolves after stop(). A venue that fails (e.g. HTTP 451) is retried and shows in `types`; it never ends the run. */
  readonly done: Promise<void>;
}

export async function startLocalPipeline(o: LocalPipelineOptions): Promise<LocalPipeline> {
  const undeliveredFile = o.undeliveredFile ?? './data/undelivered.jsonl';
  // What an earlier run could not store goes in first (it also moves resume points forward).
  await replayUndelivered(o.store, undeliveredFile, o.logger);
  const startedAt = Math.ceil(o.exchangeNow() / MINUTE_MS) * MINUTE_MS;
  const queue = new InProcessQueue({
    store: o.store,
    logger: o.logger,
    exchangeNow: o.exchangeNow,
    speed: o.speed,
    deadLetterFile: o.deadLetterFile ?? './data/dead-letter.jsonl',
  });
  let lastDeliveryError: string | undefined;
  const sink = new InProcessSink({
    onBatch: async (batch) => {
      try {
        await queue.deliver(batch);
      } catch (e) {
        lastDeliveryError = (e as Error).message;
        throw e;
      }
    },
    logger: o.logger,
  });
  const venues: readonly VenueSelection[] = o.venues ?? [{ venue: SPOT, restUrl: o.restUrl ?? '', streamUrl: o.streamUrl ?? '', marketFilter: o.marketFilter }];
  const capture: CaptureHandle = await startCapture({
    // As in AWS: every stream on two connections, so one dropped or stalled connection loses nothing.
    streamCopies: 2,
    ...o.ingest,
    venues,
    sink,
    // Each type resumes from its own last stored minutes.
    resumeFrom: (marketType: MarketType) => lastOpenTimesBySymbol(o.store, '1m', marketType),
    // Markets without stored history are captured from the first full minute of this run.
    captureFrom: startedAt,
    logger: o.logger.child({ component: 'ingest' }),
  });

  const resampleEvery = (o.resampleEveryMinutes ?? 5) * MINUTE_MS;
  const reportEvery = o.reportEveryMinutes * MINUTE_MS;
  const resampleOptions: ResampleOptions = { ...DEFAULT_RESAMPLE_OPTIONS, ...o.resample };
  // Jobs run one minute past their boundary, as the EventBridge schedules do, so late klines are in.
  const offset = MINUTE_MS;
  let nextResampleAt = Math.ceil((o.exchangeNow() - offset) / resampleEvery) * resampleEvery + offset;
  let nextReportAt = Math.ceil((startedAt + MINUTE_MS) / reportEvery) * reportEvery + offset;
  let reportsWritten = 0;
  let running: Promise<void> = Promise.resolve();
  let busy = false;

  const resampleNow = async (overrides: Partial<ResampleOptions> = {}): Promise<void> => {
    const result = await runResampleCycle(o.store, o.exchangeNow(), { ...resampleOptions, ...overrides });
    o.logger.debug('resampled', { klinesRead: result.klinesRead, barsWritten: result.barsWritten, behindMs: result.behindMs });
  };

  /** Runs until nothing is left behind (the first run of a new store sweeps from the start of the week). */
  const resampleUntilCaughtUp = async (overrides: Partial<ResampleOptions> = {}): Promise<void> => {
    for (let run = 0; run < 1000; run++) {
      const result = await runResampleCycle(o.store, o.exchangeNow(), { ...resampleOptions, ...overrides });
      if (result.behindMs <= 0 && result.carried === 0) return;
    }
  };

  const reportNow = async (range: TimeRange): Promise<QualityReport> => {
    // A section per captured market type, as in AWS.
    const report = await buildQualityReport(o.store, range, { marketTypes: venues.map((v) => v.venue.marketType) });
    mkdirSync(o.reportsDir, { recursive: true });
    const files = writeReportFiles(o.reportsDir, report);
    reportsWritten++;
    o.logger.info('report written', { summary: report.summaryLine, ...files });
    if (o.onReport) await o.onReport(report, files);
    return report;
  };

  // Windows a stopped or crashed run never reported are reported first.
  const missed = missedWindows(lastReportedTo(o.reportsDir), nextReportAt - offset, reportEvery);
  if (missed.length > 0) o.logger.warn('reporting windows missed while not running', { windows: missed.length, from: new Date(missed[0].from).toISOString() });

  /**
   * A report counts a market's minutes by its recorded status: it waits until every status change
   * up to its end (a market that just entered BREAK) was handed on, then flushes them to the store
   * before it reads. It waits at most one report period (and at least 30 real seconds, for an
   * accelerated clock on a busy machine), then reports what is known.
   */
  let waitingSince: number | undefined;
  const statusRecordedFor = (to: number, now: number): boolean => {
    const known = combinedIngestStatus(capture.status().venues).statusKnownTo;
    waitingSince ??= Date.now();
    const settled = (known !== undefined && known >= to) || (now >= to + offset + reportEvery && Date.now() - waitingSince >= 30_000);
    if (settled) waitingSince = undefined;
    return settled;
  };

  const tick = (): void => {
    if (busy) return;
    const now = o.exchangeNow();
    const jobs: (() => Promise<unknown>)[] = [];
    for (const range of missed.splice(0)) jobs.push(() => reportNow(range));
    if (now >= nextResampleAt) {
      jobs.push(() => resampleNow());
      nextResampleAt += Math.ceil((now - nextResampleAt + 1) / resampleEvery) * resampleEvery;
    }
    if (now >= nextReportAt && statusRecordedFor(nextReportAt - offset, now)) {
      const to = nextReportAt - offset;
      const from = Math.max(startedAt, to - 24 * 60 * MINUTE_MS);
      // The flush is bounded: a store outage fails the report instead of holding the other jobs.
      const flushed = (): Promise<unknown> => Promise.race([sink.flush(), new Promise((r) => setTimeout(r, Math.max(1_000, reportEvery / o.speed)).unref())]);
      if (to > from) jobs.push(() => flushed().then(() => reportNow({ from, to })));
      nextReportAt += Math.ceil((now - nextReportAt + 1) / reportEvery) * reportEvery;
    }
    if (jobs.length === 0) return;
    busy = true;
    running = (async () => {
      for (const job of jobs) {
        try {
          await job();
        } catch (e) {
          // A failed run is logged and retried by the next schedule, as a Lambda would be.
          o.logger.error('scheduled job failed', { error: e });
        }
      }
    })().finally(() => {
      busy = false;
    });
  };
  const tickMs = Math.max(20, Math.min(1000, MINUTE_MS / o.speed / 4));
  const timer = setInterval(tick, tickMs);

  const timeout = (ms: number): Promise<'timeout'> => new Promise((r) => setTimeout(() => r('timeout'), ms).unref());
  let stopping: Promise<StopOutcome> | undefined;
  const stop = (options: { deadlineMs?: number } = {}): Promise<StopOutcome> =>
    (stopping ??= (async () => {
      clearInterval(timer);
      const deadline = options.deadlineMs ?? Infinity;
      const started = Date.now();
      const ingestStopped = capture.stop();
      let outcome = Number.isFinite(deadline) ? await Promise.race([ingestStopped.then(() => 'done' as const), timeout(deadline)]) : (await ingestStopped, 'done' as const);
      if (outcome === 'timeout') {
        sink.giveUp();
        // A delivery that hangs in the store is not waited for: what it carried is kept too.
        outcome = await Promise.race([ingestStopped.then(() => 'done' as const), timeout(2_000)]);
      } else await sink.close();
      const left = Math.max(0, deadline - (Date.now() - started));
      await Promise.race([running, timeout(Number.isFinite(left) ? Math.max(left, 1_000) : 2 ** 31 - 1)]);
      const held = outcome === 'done' ? sink.takeUndelivered() : sink.peekHeld();
      if (held.length === 0) return {};
      const reason = lastDeliveryError ?? 'stop deadline passed';
      const kept = keepUndelivered(undeliveredFile, held, reason);
      o.logger.error('not stored before the stop deadline; kept for the next start', { ...kept, reason });
      return { kept, reason };
    })());
  const keepHeldNow = (reason: string): KeptSummary | undefined => {
    const held = sink.peekHeld();
    return held.length === 0 ? undefined : keepUndelivered(undeliveredFile, held, reason);
  };

  return {
    startedAt,
    status() {
      const venueStatuses = capture.status().venues;
      const s = combinedIngestStatus(venueStatuses);
      // Capture's lag by the exchange clock now (the ingest's own clock moves only with frames).
      const types = venueStatuses.map(typeFigures).map((t) => (t.caughtUpTo === undefined ? t : { ...t, lagMs: Math.max(0, (o.venueNow ?? o.exchangeNow)(t.marketType) - (t.caughtUpTo + MINUTE_MS)) }));
      const lags = types.filter((t) => t.state === 'running' || t.state === 'stopped').map((t) => t.lagMs);
      return {
        ingest: s,
        types,
        markets: s.markets,
        connections: s.connections,
        storedLastMinute: queue.storedInLastMinute(),
        storedTotal: queue.stats.klinesStored,
        // Capture's lag behind the exchange (the store's own latency is storeLatencyMs).
        lagMs: lags.length === 0 || lags.some((l) => l === undefined) ? undefined : Math.max(...(lags as number[])),
        storeLatencyMs: percentile(queue.recentLagsMs(), 50),
        gapsFound: s.gapsFound,
        gapsFilled: s.gapsFilled,
        nextReportAt: nextReportAt - offset,
        exchangeNow: o.exchangeNow(),
        deadLettered: queue.stats.deadLettered,
        rejected: queue.stats.rejected,
        reportsWritten,
      };
    },
    resampleNow: resampleUntilCaughtUp,
    reportNow,
    stop,
    keepHeldNow,
    done: capture.done,
  };
}
