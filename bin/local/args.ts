/** Command-line flags of `npm start`. Pure: argv in, options or a message out. */
import type { MarketType } from '../../core/market';

export interface LocalOptions {
  sim: boolean;
  markets: number;
  /** Simulated ms per real ms (sim only). */
  speed: number;
  faults: string[];
  /** Extra markets the simulator lists from its world's start, any symbol (hostile ones included). */
  simListings: string[];
  seed: number;
  /** Real seconds to run, then stop cleanly; undefined = until Ctrl-C. */
  durationSeconds: number | undefined;
  /** Exchange minutes between reports. */
  reportEveryMinutes: number;
  reportsDir: string;
  /** Real seconds a stop may take to store what is buffered before it keeps the rest in a file. */
  stopTimeoutSeconds: number;
  help: boolean;
}

export const USAGE = `Usage: npm start -- [--sim] [options]

Runs the whole capture pipeline in one process: ingest, queue, writer, resampler, reporter.

  --sim                 use the bundled Binance simulator instead of live Binance (offline)
  --markets N           simulated spot markets (default 300); USDⓈ-M gets N/3, COIN-M N/10
  --speed X             simulated minutes per real minute (default 60: one minute per second)
  --faults LIST         simulator faults: drop,stall,duplicate,reorder,malformed,late,rest-errors,shutdown or all
  --seed N              simulator seed (default 1)
  --sim-listing SYMBOL  the simulator also lists SYMBOL (repeatable; any text, e.g. a hostile "BAD USDT")
  --duration SECONDS    run this long, then stop cleanly (and, with --sim, verify against the truth)
  --report-every MIN    exchange minutes between quality reports (default 15 with --sim, 60 live)
  --reports DIR         where reports are written (default ./reports)
  --stop-timeout SEC    how long a stop may wait for the store (default 30); what is not stored by
                        then is kept in ./data/undelivered.jsonl, stored at the next start, and the
                        exit code is 1. A second Ctrl-C exits at once (also keeping what is held).

Market types: MARKET_TYPES=spot,usdm,coinm (default all three), as in the Fargate task; live
endpoints per type: BINANCE_REST_URL / BINANCE_STREAM_URL (spot), BINANCE_USDM_REST_URL, …
Store: KLINE_STORE=sqlite:PATH (default sqlite:./data/klines.db) or a mongodb:// URI.`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positive(flag: string, raw: string | undefined, integer: boolean, max = Number.MAX_SAFE_INTEGER, why = ''): number {
  const n = Number(raw);
  if (raw === undefined || raw === '' || raw.startsWith('--') || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} needs a positive ${integer ? 'integer' : 'number'}, got "${raw ?? ''}"`);
  }
  if (n > max) throw new UsageError(`${flag} is at most ${max}${why}, got ${raw}`);
  return n;
}

/** Node timers hold at most 2^31 − 1 ms; a longer one fires at once. */
export const MAX_DURATION_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
/** Beyond this the simulated clock outruns the pipeline's timers (a minute every 6 ms). */
export const MAX_SPEED = 10_000;
/** More markets than Binance lists across all venues, with room to spare. */
export const MAX_MARKETS = 20_000;

export function parseLocalArgs(argv: readonly string[]): LocalOptions {
  const o: LocalOptions = {
    sim: false,
    markets: 300,
    speed: 60,
    faults: [],
    simListings: [],
    seed: 1,
    durationSeconds: undefined,
    reportEveryMinutes: 0,
    reportsDir: './reports',
    stopTimeoutSeconds: 30,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case '--sim':
        o.sim = true;
        break;
      case '--markets':
        o.markets = positive(flag, value(), true, MAX_MARKETS, ' simulated markets');
        break;
      case '--speed':
        o.speed = positive(flag, value(), false, MAX_SPEED, ' (simulated minutes per real minute)');
        break;
      case '--faults': {
        const v = value();
        const names = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (!v || v.startsWith('--') || names.length === 0) throw new UsageError(`--faults needs a list of fault names, e.g. drop,stall or all, got "${v ?? ''}"`);
        o.faults = names;
        break;
      }
      case '--seed':
        o.seed = positive(flag, value(), true);
        break;
      case '--sim-listing': {
        const v = value();
        if (v === undefined || v === '') throw new UsageError('--sim-listing needs a symbol');
        o.simListings.push(v);
        break;
      }
      case '--duration':
        o.durationSeconds = positive(flag, value(), false, MAX_DURATION_SECONDS, ' seconds (24.8 days; leave it out to run until Ctrl-C)');
        break;
      case '--report-every':
        o.reportEveryMinutes = positive(flag, value(), true, 7 * 1440, ' minutes (a week)');
        break;
      case '--reports': {
        const v = value();
        if (!v || v.startsWith('--')) throw new UsageError('--reports needs a folder');
        o.reportsDir = v;
        break;
      }
      case '--stop-timeout':
        o.stopTimeoutSeconds = positive(flag, value(), false, 3_600, ' seconds');
        break;
      case '--help':
      case '-h':
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  const simOnly = ['--markets', '--speed', '--faults', '--seed', '--sim-listing'].filter((f) => argv.includes(f));
  if (!o.sim && simOnly.length > 0) throw new UsageError(`${simOnly.join(', ')} only apply with --sim`);
  if (o.reportEveryMinutes === 0) o.reportEveryMinutes = o.sim ? 15 : 60;
  return o;
}

/**
 * Environment settings that contradict each other or the flags: each is one message naming the
 * setting (a setting silently ignored is a surprise found too late).
 */
export function checkLocalEnv(o: LocalOptions, env: Record<string, string | undefined>): void {
  if (env.KLINE_STORE && env.MONGODB_URI) {
    throw new UsageError('KLINE_STORE and MONGODB_URI are both set: set only one (KLINE_STORE=mongodb://… works too)');
  }
  if (o.sim) {
    const perType = ['SPOT', 'USDM', 'COINM'].flatMap((t) => [`MARKETS_${t}_SYMBOLS`, `MARKETS_${t}_QUOTE_ASSETS`]);
    for (const name of ['MARKETS_SYMBOLS', 'MARKETS_QUOTE_ASSETS', ...perType]) {
      if (env[name]) throw new UsageError(`${name} does not apply with --sim (the simulator captures all its markets; use --markets N)`);
    }
    const urls = ['USDM', 'COINM'].flatMap((t) => [`BINANCE_${t}_REST_URL`, `BINANCE_${t}_STREAM_URL`]);
    for (const name of ['BINANCE_REST_URL', 'BINANCE_STREAM_URL', ...urls]) {
      if (env[name]) throw new UsageError(`${name} does not apply with --sim (the simulator serves its own endpoints)`);
    }
  }
}

/** Simulated markets per type for `--markets N`: roughly Binance's proportions (≈ 2,000 spot, 600 USDⓈ-M, 60 COIN-M). */
export function simMarkets(marketType: MarketType, n: number): number {
  return marketType === 'spot' ? n : Math.max(1, Math.round(n / (marketType === 'usdm' ? 3 : 10)));
}
