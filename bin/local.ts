/**
 * `npm start`: the whole pipeline in one process (see bin/local/pipeline.ts).
 *   npm start -- --sim             offline, against the bundled simulator
 *   npm start                      live Binance (market-data endpoints, no API key)
 */
import { dirname } from 'node:path';
import { readBinanceConfig, readMarketFilter, readStoreConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { redactSecrets } from '../core/redact';
import { MINUTE_MS } from '../core/interval';
import { openStore } from '../core/store';
import { lastOpenTimesBySymbol } from '../core/store/known-markets';
import type { KlineStore } from '../core/store/port';
import { createLogger, type Logger } from '../ingest-task/logger';
import { readReportDelivery, sendReportEmail } from '../lambda/reporter';
import { DEFAULT_START_TIME, faultsFromNames, startSimulator, type Simulator } from '../sim';
import { checkLocalEnv, parseLocalArgs, USAGE, UsageError, type LocalOptions } from './local/args';
import { prepareFolder } from './local/folders';
import { checkBinanceReachable } from './local/reachability';
import { acquireStoreLock, StoreLockedError } from './local/store-lock';
import { startLocalPipeline, type LocalPipeline } from './local/pipeline';
import { simulatorOptions } from './local/sim-world';
import { replayUndelivered } from './local/undelivered';
import { checkAgainstSimulator, formatSimCheck } from './local/sim-check';
import { formatDuration, formatStatusLine } from './local/status-line';

/** Where a stop past its deadline keeps what it could not store (the pipeline's default). */
const UNDELIVERED_FILE = './data/undelivered.jsonl';

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
 * A simulated exchange continues where the store's data ends, so a second `--sim` run resumes
 * (and backfills the gap) instead of replaying minutes that are already stored.
 */
async function simStartTime(store: KlineStore): Promise<number> {
  let last = -Infinity;
  for (const t of (await lastOpenTimesBySymbol(store, '1m', 'spot')).values()) last = Math.max(last, t);
  return Math.max(DEFAULT_START_TIME, Number.isFinite(last) ? last + 5 * MINUTE_MS : DEFAULT_START_TIME);
}

async function startSim(o: LocalOptions, startTime: number): Promise<Simulator> {
  return startSimulator(simulatorOptions(o, startTime));
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
  let storeConfig, binance, marketFilter, sendEmail;
  try {
    storeConfig = readStoreConfig();
    binance = readBinanceConfig();
    marketFilter = readMarketFilter();
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
    store = await openStore(storeConfig, { schema: storeConfig.kind === 'sqlite' ? 'apply' : 'check' });
  } catch (e) {
    fail(`Could not open the store (${storeConfig.kind}): ${(e as Error).message}`, 1);
  }

  let sim: Simulator | undefined;
  let endpoints = binance;
  if (o.sim) {
    // What an earlier run kept goes in first: the simulated world continues after it, not before.
    try {
      await replayUndelivered(store, UNDELIVERED_FILE, logger);
    } catch (e) {
      fail(`Could not store what an earlier run kept: ${(e as Error).message}`, 1);
    }
    sim = await startSim(o, await simStartTime(store));
    endpoints = { restUrl: sim.restUrl, streamUrl: sim.streamUrl };
  } else {
    const problem = await checkBinanceReachable(binance.restUrl);
    if (problem) fail(problem, 1);
  }
  const exchangeNow = sim ? () => sim!.now() : () => Date.now();
  const speed = sim ? o.speed : 1;

  const pipeline: LocalPipeline = await startLocalPipeline({
    store,
    ...endpoints,
    exchangeNow,
    speed,
    marketFilter: sim ? undefined : marketFilter,
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
        }
      : undefined,
  });
  logger.info('pipeline started', { sim: Boolean(sim), store: storeConfig.kind, restUrl: redactSecrets(endpoints.restUrl), reports: o.reportsDir });

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
            const caughtUpTo = pipeline.status().ingest.caughtUpTo;
            // How far capture was behind the exchange when the stop was asked for: minutes after
            // caughtUpTo were not verified, so a run far behind is INCOMPLETE, never VERIFIED.
            const behindMs = caughtUpTo === undefined ? exchangeAtStop - pipeline.startedAt : Math.max(0, exchangeAtStop - (caughtUpTo + MINUTE_MS));
            const allowedMs = 3 * MINUTE_MS + 2_000 * speed;
            process.stdout.write(`Capture was ${formatDuration(behindMs)} behind the exchange at the stop (exchange time ${new Date(exchangeAtStop).toISOString()}).\n`);
            if (behindMs > allowedMs) {
              process.stdout.write(`INCOMPLETE: capture was ${formatDuration(behindMs)} behind (more than ${formatDuration(allowedMs)}); the minutes after ${caughtUpTo === undefined ? 'the start' : new Date(caughtUpTo + MINUTE_MS).toISOString()} are not verified.\n`);
              exitCode = 1;
            }
            if (caughtUpTo !== undefined && caughtUpTo >= pipeline.startedAt) {
              const check = await checkAgainstSimulator(sim, store, { from: pipeline.startedAt, to: caughtUpTo + MINUTE_MS });
              process.stdout.write(`${formatSimCheck(check)}\n`);
              if (!check.ok) {
                process.stdout.write(`examples: ${[...check.oneMinute.examples, ...check.resampled.flatMap((r) => r.comparison.examples)].slice(0, 10).join(', ')}\n`);
                exitCode = 1;
              }
            } else {
              process.stdout.write('Nothing to verify yet: no full minute was captured.\n');
              exitCode = 1;
            }
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
        if (sim) await sim.close().catch(() => undefined);
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
