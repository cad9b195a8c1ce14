/**
 * The whole system in one process: ingest → in-process queue → writer → store, with the resampler
 * and reporter on timers driven by the exchange clock (accelerated when the simulator runs).
 * The same functions run in AWS; only the wiring differs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MINUTE_MS } from '../../core/interval';
import { buildQualityReport, type QualityReport } from '../../core/report';
import { DEFAULT_RESAMPLE_OPTIONS, runResampleCycle, type ResampleOptions } from '../../core/resample-job';
import type { KlineStore, TimeRange } from '../../core/store/port';
import type { MarketFilter } from '../../core/config';
import { startIngest, type IngestHandle, type IngestOptions, type IngestStatus } from '../../ingest-task/ingest';
import type { Logger } from '../../ingest-task/logger';
import { InProcessSink } from '../../ingest-task/sinks/in-process';
import { InProcessQueue, percentile } from './in-process-queue';
import type { PipelineStatus } from './status-line';

export interface LocalPipelineOptions {
  store: KlineStore;
  restUrl: string;
  streamUrl: string;
  /** Exchange time now, ms (the simulator's clock, or the wall clock for live Binance). */
  exchangeNow: () => number;
  /** Exchange ms per real ms (1 for live Binance). */
  speed: number;
  marketFilter?: MarketFilter;
  reportEveryMinutes: number;
  reportsDir: string;
  resampleEveryMinutes?: number;
  resample?: Partial<ResampleOptions>;
  /** Called with each report once written (e.g. to e-mail it). */
  onReport?: (report: QualityReport, files: { html: string; csv: string }) => Promise<void>;
  ingest?: Partial<Omit<IngestOptions, 'restUrl' | 'streamUrl' | 'sink' | 'resumeFrom' | 'logger'>>;
  logger: Logger;
  deadLetterFile?: string;
}

export interface LocalPipeline {
  /** First minute fully observed by this run. */
  readonly startedAt: number;
  status(): PipelineStatus & { ingest: IngestStatus; deadLettered: number; reportsWritten: number };
  /**
   * Run the resampler now, as many runs as it takes to catch up (it also runs every
   * `resampleEveryMinutes` exchange minutes). `graceMs: 0` after stop: everything the ingest
   * caught up to is stored, nothing is late.
   */
  resampleNow(overrides?: Partial<ResampleOptions>): Promise<void>;
  /** Build and write the report for a range now. */
  reportNow(range: TimeRange): Promise<QualityReport>;
  /** Stop reading, store everything buffered, finish running jobs. */
  stop(): Promise<void>;
  /** Rejects if the ingest fails for good (e.g. Binance refuses the location). */
  readonly done: Promise<void>;
}

export async function startLocalPipeline(o: LocalPipelineOptions): Promise<LocalPipeline> {
  const startedAt = Math.ceil(o.exchangeNow() / MINUTE_MS) * MINUTE_MS;
  const queue = new InProcessQueue({
    store: o.store,
    logger: o.logger,
    exchangeNow: o.exchangeNow,
    speed: o.speed,
    deadLetterFile: o.deadLetterFile ?? './data/dead-letter.jsonl',
  });
  const sink = new InProcessSink({ onBatch: queue.deliver, logger: o.logger });
  const ingest: IngestHandle = await startIngest({
    // As in AWS: every stream on two connections, so one dropped or stalled connection loses nothing.
    streamCopies: 2,
    ...o.ingest,
    restUrl: o.restUrl,
    streamUrl: o.streamUrl,
    sink,
    marketFilter: o.marketFilter,
    resumeFrom: () => o.store.lastOpenTimes('1m'),
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
    const report = await buildQualityReport(o.store, range);
    mkdirSync(o.reportsDir, { recursive: true });
    const files = { html: join(o.reportsDir, `${report.fileBase}.html`), csv: join(o.reportsDir, `${report.fileBase}.csv`) };
    writeFileSync(files.html, report.html);
    writeFileSync(files.csv, report.csv);
    reportsWritten++;
    o.logger.info('report written', { summary: report.summaryLine, html: files.html, csv: files.csv });
    if (o.onReport) await o.onReport(report, files);
    return report;
  };

  const tick = (): void => {
    if (busy) return;
    const now = o.exchangeNow();
    const jobs: (() => Promise<unknown>)[] = [];
    if (now >= nextResampleAt) {
      jobs.push(() => resampleNow());
      nextResampleAt += Math.ceil((now - nextResampleAt + 1) / resampleEvery) * resampleEvery;
    }
    if (now >= nextReportAt) {
      const to = nextReportAt - offset;
      const from = Math.max(startedAt, to - 24 * 60 * MINUTE_MS);
      if (to > from) jobs.push(() => reportNow({ from, to }));
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

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      clearInterval(timer);
      await ingest.stop();
      await sink.close();
      await running;
    })());

  return {
    startedAt,
    status() {
      const s = ingest.status();
      return {
        ingest: s,
        markets: s.markets,
        connections: s.connections,
        storedLastMinute: queue.storedInLastMinute(),
        storedTotal: queue.stats.klinesStored,
        lagMs: percentile(queue.recentLagsMs(), 50),
        gapsFound: s.gapsFound,
        gapsFilled: s.gapsFilled,
        nextReportAt: nextReportAt - offset,
        exchangeNow: o.exchangeNow(),
        deadLettered: queue.stats.deadLettered,
        reportsWritten,
      };
    },
    resampleNow: resampleUntilCaughtUp,
    reportNow,
    stop,
    done: ingest.done,
  };
}
