/**
 * `npm start`: the whole pipeline in one process (see bin/local/pipeline.ts).
 *   npm start -- --sim             offline, against the bundled simulator
 *   npm start                      live Binance (market-data endpoints, no API key)
 */
import { dirname } from 'node:path';
import { readStoreConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { redactSecrets } from '../core/redact';
import { MINUTE_MS } from '../core/interval';
import { openStore } from '../core/store';
import type { MarketType } from '../core/market';
import { lastOpenTimesBySymbol } from '../core/store/known-markets';
import type { KlineStore } from '../core/store/port';
import type { VenueSelection } from '../ingest-task/capture/capture';
import { readVenueConfigs, type VenueConfig } from '../ingest-task/config';
import { createLogger, type Logger } from '../core/logger';
import { VENUES } from '../core/binance/venues';
import { readReportDelivery, sendReportEmail } from '../lambda/reporter';
import { DEFAULT_START_TIME, faultsFromNames, startVenueSimulators, type Simulator, type VenueSimulators } from '../sim';
import { simulatorOptions, simulatorVenueOptions } from './local/sim-world';
import { replayUndelivered } from './local/undelivered';
import { checkLocalEnv, parseLocalArgs, simMarkets, USAGE, UsageError, type LocalOptions } from './local/args';
import { prepareFolder } from './local/folders';
import { checkBinanceReachable } from './local/reachability';
import { acquireStoreLock, StoreLockedError } from './local/store-lock';
import { startLocalPipeline, type LocalPipeline } from './local/pipeline';
import { formatStatusLine } from './local/status-line';
import { verifySimulatedRun } from './local/verify-run';

/** Where a stop past its deadline keeps what it could not store (the pipeline's default). */
const UNDELIVERED_FILE = './data/undelivered.jsonl';
/**
 * A foreign write lock on the store fails a statement after 50 ms instead of freezing the event
 * loop for SQLite's 5 s: the sink retries the batch asynchronously, with backoff, so capture goes on.
 */
const PIPELINE_SQLITE_BUSY_TIMEOUT_MS = 50;

function fail(message: string, code: number): never {
  process.stderr.write(`${redactSecrets(message)}\n`);
  process.exit(code);
}

function makeLogger(tty: boolean): Logger {
  if (!tty) return createLogger({ service: 'local' });
  // On a terminal the status line owns stdout; warnings and errors go above it on stderr.
  return createLogger({ service: 'local', level: 'warn', write: (line) => process.stderr.write(`\r\x1b[K${line}\n`) });
}

/**
 * A simulated exchange continues where the store's data ends (the latest minute of any selected
 * type: the venues share one clock), so a second `--sim` run resumes (and backfills the gap)
 * instead of replaying minutes that are already stored.
 */
async function simStartTime(store: KlineStore, marketTypes: readonly MarketType[]): Promise<number> {
  let last = -Infinity;
  for (const type of marketTypes) for (const t of (await lastOpenTimesBySymbol(store, '1m', type)).values()) last = Math.max(last, t);
  return Math.max(DEFAULT_START_TIME, Number.isFinite(last) ? last + 5 * MINUTE_MS : DEFAULT_START_TIME);
}

async function startSims(o: LocalOptions, marketTypes: readonly MarketType[], startTime: number): Promise<VenueSimulators> {
  const perType = Object.fromEntries(marketTypes.map((t) => [t, simulatorVenueOptions(o, t)]));
  return startVenueSimulators(marketTypes, simulatorOptions(o, startTime), perType);
}

/**
 * Live Binance: a look at each selected venue first. None answering is one clear message and a
 * stop; some answering, the others are named as warnings and the capture retries them.
 */
async function checkVenuesReachable(venues: readonly VenueConfig[], logger: Logger): Promise<string | undefined> {
  const problems = await Promise.all(venues.map((v) => checkBinanceReachable(v.restUrl, 5000, fetch, VENUES[v.marketType].paths.ping)));
  if (problems.every((p) => p !== undefined)) return problems[0];
  venues.forEach((v, i) => {
    if (problems[i]) logger.warn('market type not reachable at start; the others are captured and it is retried', { marketType: v.marketType, problem: problems[i] });
  });
  return undefined;
}

function emailer(logger: Logger): ((report: Parameters<typeof sendReportEmail>[0]) => Promise<void>) | undefined {
  if (!process.env.REPORT_SENDER && !process.env.REPORT_RECIPIENTS) return undefined;
  const delivery = readReportDelivery();
  return async (report) => {
    const id = await sendReportEmail(report, delivery);
    logger.info('report e-mailed', { messageId: id, recipients: delivery.recipients.length });
  };
}

async function main(): Promise<void> {
  let o: LocalOptions;
  try {
    o = parseLocalArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) fail(`${e.message}\n\n${USAGE}`, 2);
    throw e;
  }
  try {
    faultsFromNames(o.faults);
  } catch (e) {
    fail(`--faults: ${(e as Error).message}`, 2);
  }
  try {
    checkLocalEnv(o, process.env);
  } catch (e) {
    if (e instanceof UsageError) fail(`Configuration error: ${e.message}`, 2);
    throw e;
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const tty = Boolean(process.stdout.isTTY);
  const logger = makeLogger(tty);
  let storeConfig, venueConfigs: VenueConfig[], sendEmail;
  try {
    storeConfig = readStoreConfig();
    // The Fargate task's reader: MARKET_TYPES and each type's endpoints and filters.
    venueConfigs = readVenueConfigs(process.env);
    sendEmail = emailer(logger);
  } catch (e) {
    if (e instanceof ConfigError) fail(`Configuration error: ${e.message}`, 2);
    throw e;
  }

  try {
    prepareFolder('--reports', o.reportsDir);
    if (storeConfig.kind === 'sqlite' && storeConfig.path !== ':memory:') prepareFolder(process.env.KLINE_STORE ? 'KLINE_STORE' : 'KLINE_STORE (default)', dirname(storeConfig.path));
  } catch (e) {
    fail(`Configuration error: ${(e as Error).message}`, 2);
  }
  if (storeConfig.kind === 'sqlite' && storeConfig.path !== ':memory:') {
    try {
      const release = acquireStoreLock(storeConfig.path);
      process.on('exit', release);
    } catch (e) {
      if (e instanceof StoreLockedError) fail(`KLINE_STORE: ${e.message}`, 1);
      throw e;
    }
  }

  let store: KlineStore;
  try {
    // The local pipeline is the deploy step of its own SQLite file; a MongoDB store is only checked.
    store = await openStore(storeConfig, { schema: storeConfig.kind === 'sqlite' ? 'apply' : 'check', sqliteBusyTimeoutMs: PIPELINE_SQLITE_BUSY_TIMEOUT_MS });
  } catch (e) {
    fail(`Could not open the store (${storeConfig.kind}): ${(e as Error).message}`, 1);
  }

  const marketTypes = venueConfigs.map((v) => v.marketType);
  let sims: VenueSimulators | undefined;
  let venues: VenueSelection[];
  if (o.sim) {
    // What an earlier run kept goes in first: the simulated world continues after it, not before.
    try {
      await replayUndelivered(store, UNDELIVERED_FILE, logger);
    } catch (e) {
      fail(`Could not store what an earlier run kept: ${(e as Error).message}`, 1);
    }
    sims = await startSims(o, marketTypes, await simStartTime(store, marketTypes));
    venues = marketTypes.map((t) => ({ venue: VENUES[t], restUrl: sims!.venue(t).restUrl, streamUrl: sims!.venue(t).streamUrl }));
  } else {
    const problem = await checkVenuesReachable(venueConfigs, logger);
    if (problem) fail(problem, 1);
    venues = venueConfigs.map((v) => ({ venue: VENUES[v.marketType], restUrl: v.restUrl, streamUrl: v.streamUrl, marketFilter: v.markets }));
  }
  const sim: Simulator | undefined = sims?.venue(marketTypes[0]);
  const exchangeNow = sim ? () => sim.now() : () => Date.now();
  const speed = sim ? o.speed : 1;

  let pipeline: LocalPipeline;
  try {
    pipeline = await startLocalPipeline({
      store,
      venues,
      exchangeNow,
      venueNow: sims ? (t) => sims!.venue(t).now() : undefined,
      speed,
      reportEveryMinutes: o.reportEveryMinutes,
      reportsDir: o.reportsDir,
      onReport: async (report, files) => {
        // JSON logs already carry the report; a terminal gets one readable line above the status line.
        if (tty) process.stdout.write(`\r\x1b[Kreport ${report.summaryLine} → ${files.html}\n`);
        if (sendEmail) await sendEmail(report);
      },
      logger,
      undeliveredFile: UNDELIVERED_FILE,
      ingest: sim
        ? {
            // The simulator's clock runs `speed` times faster: keep the ingest's real-time timers in step.
            refreshIntervalMs: Math.max(1000, (5 * MINUTE_MS) / speed),
            connectionTimers: { stallTimeoutMs: Math.max(3000, (5 * MINUTE_MS) / speed) },
            gapCheckIntervalMs: 250,
            // A venue that fails is retried soon, in step with the clock.
            venueRetryMs: Math.max(2_000, (5 * MINUTE_MS) / speed),
          }
        : undefined,
    });
  } catch (e) {
    // Every selected market type failed its first start (e.g. HTTP 451 on each).
    await sims?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    fail(`Capture could not start: ${(e as Error).message}`, 1);
  }
  logger.info('pipeline started', {
    sim: Boolean(sims),
    store: storeConfig.kind,
    marketTypes,
    restUrls: Object.fromEntries(venues.map((v) => [v.venue.marketType, redactSecrets(v.restUrl)])),
    reports: o.reportsDir,
  });

  const statusTimer = tty ? setInterval(() => process.stdout.write(`\r\x1b[K${formatStatusLine(pipeline.status())}`), 500) : undefined;
  const logTimer = tty ? undefined : setInterval(() => logger.info('status', { ...pipeline.status(), ingest: undefined }), 10_000);

  let finishing: Promise<void> | undefined;
  let signals = 0;
  const finish = (reason: string): Promise<void> =>
    (finishing ??= (async () => {
      if (statusTimer) clearInterval(statusTimer);
      if (logTimer) clearInterval(logTimer);
      if (tty) process.stdout.write('\r\x1b[K');
      const exchangeAtStop = exchangeNow();
      logger.warn('stopping', { reason, deadlineSeconds: o.stopTimeoutSeconds });
      let exitCode = reason === 'ingest failed' ? 1 : 0;
      const problem = (what: string, e: unknown): void => {
        process.stderr.write(`\r\x1b[K${redactSecrets(`${what}: ${(e as Error)?.message ?? String(e)}`)}\n`);
        exitCode = 1;
      };
      try {
        const stopped = await pipeline.stop({ deadlineMs: o.stopTimeoutSeconds * 1000 });
        if (stopped.kept) {
          const k = stopped.kept;
          process.stderr.write(
            `Stop deadline (${o.stopTimeoutSeconds} s) passed: ${k.klines} klines and ${k.marketEvents} market events could not be stored (${redactSecrets(stopped.reason ?? 'store unavailable')}). ` +
              `They are kept in ${k.file} and stored at the next start.\n`,
          );
          exitCode = 1;
        } else if (sim) {
          try {
            await pipeline.resampleNow({ graceMs: 0 });
          } catch (e) {
            problem('Final resample failed', e);
          }
          try {
            // Everything stored for the simulated world (earlier runs included), per market type.
            const verification = await verifySimulatedRun(
              { sims: new Map(marketTypes.map((t) => [t, sims!.venue(t)])), store, types: pipeline.status().types, exchangeAtStop, allowedBehindMs: 3 * MINUTE_MS + 2_000 * speed },
              pipeline.startedAt,
            );
            process.stdout.write(`${verification.lines.join('\n')}\n`);
            if (!verification.ok) exitCode = 1;
          } catch (e) {
            problem('Verification failed', e);
          }
        }
        const s = pipeline.status();
        process.stdout.write(`Stored ${s.storedTotal} klines; ${s.reportsWritten} report(s) in ${o.reportsDir}.\n`);
        if (s.rejected > 0) process.stdout.write(`Rejected ${s.rejected} kline(s)/market event(s) that can never be stored (logged with their reasons).\n`);
        if (s.ingest.framesRefusedForTime > 0) process.stdout.write(`Refused ${s.ingest.framesRefusedForTime} frame(s) whose time was beyond the exchange clock (logged; their minutes are backfilled).\n`);
      } catch (e) {
        problem('Stop failed', e);
      } finally {
        if (sims) await sims.close().catch(() => undefined);
        try {
          await store.close();
        } catch (e) {
          problem('Closing the store failed', e);
        }
      }
      process.exit(exitCode);
    })());

  const onSignal = (name: string): void => {
    signals++;
    if (signals === 1) {
      void finish(name);
      return;
    }
    // A second signal: exit now, keeping (synchronously) whatever is not stored yet.
    const kept = pipeline.keepHeldNow(`exited at once on a second ${name}`);
    process.stderr.write(`\r\x1b[KExiting at once (second ${name}).${kept ? ` ${kept.klines} klines and ${kept.marketEvents} market events not yet stored are kept in ${kept.file}.` : ''}\n`);
    process.exit(130);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // npm does not forward SIGTERM to the script it runs: when the parent that started us (npm)
  // exits, stop as if signalled, so `kill <npm pid>` never leaves a pipeline writing on its own.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && signals === 0) onSignal('SIGTERM');
  }, 250).unref();
  if (o.durationSeconds !== undefined) setTimeout(() => void finish('duration reached'), o.durationSeconds * 1000);
  pipeline.done.catch((e: Error) => {
    process.stderr.write(`\r\x1b[K${redactSecrets(e.message)}\n`);
    void finish('ingest failed').then(() => process.exit(1));
  });
}

main().catch((e: Error) => fail(`kline-capture failed: ${e.stack ?? e.message}`, 1));
