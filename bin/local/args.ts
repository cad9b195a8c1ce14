/** Command-line flags of `npm start`. Pure: argv in, options or a message out. */

export interface LocalOptions {
  sim: boolean;
  markets: number;
  /** Simulated ms per real ms (sim only). */
  speed: number;
  faults: string[];
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
  --markets N           simulated markets (default 300)
  --speed X             simulated minutes per real minute (default 60: one minute per second)
  --faults LIST         simulator faults: drop,stall,duplicate,reorder,malformed,late,rest-errors,shutdown or all
  --seed N              simulator seed (default 1)
  --duration SECONDS    run this long, then stop cleanly (and, with --sim, verify against the truth)
  --report-every MIN    exchange minutes between quality reports (default 15 with --sim, 60 live)
  --reports DIR         where reports are written (default ./reports)
  --stop-timeout SEC    how long a stop may wait for the store (default 30); what is not stored by
                        then is kept in ./data/undelivered.jsonl, stored at the next start, and the
                        exit code is 1. A second Ctrl-C exits at once (also keeping what is held).

Store: KLINE_STORE=sqlite:PATH (default sqlite:./data/klines.db) or a mongodb:// URI.`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positive(flag: string, raw: string | undefined, integer: boolean): number {
  const n = Number(raw);
  if (raw === undefined || raw === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} needs a positive ${integer ? 'integer' : 'number'}, got "${raw ?? ''}"`);
  }
  return n;
}

export function parseLocalArgs(argv: readonly string[]): LocalOptions {
  const o: LocalOptions = {
    sim: false,
    markets: 300,
    speed: 60,
    faults: [],
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
        o.markets = positive(flag, value(), true);
        break;
      case '--speed':
        o.speed = positive(flag, value(), false);
        break;
      case '--faults': {
        const v = value();
        if (!v) throw new UsageError('--faults needs a list, e.g. drop,stall or all');
        o.faults = v.split(',').map((s) => s.trim()).filter(Boolean);
        break;
      }
      case '--seed':
        o.seed = positive(flag, value(), true);
        break;
      case '--duration':
        o.durationSeconds = positive(flag, value(), false);
        break;
      case '--report-every':
        o.reportEveryMinutes = positive(flag, value(), true);
        break;
      case '--reports': {
        const v = value();
        if (!v) throw new UsageError('--reports needs a folder');
        o.reportsDir = v;
        break;
      }
      case '--stop-timeout':
        o.stopTimeoutSeconds = positive(flag, value(), false);
        break;
      case '--help':
      case '-h':
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  const simOnly = ['--markets', '--speed', '--faults', '--seed'].filter((f) => argv.includes(f));
  if (!o.sim && simOnly.length > 0) throw new UsageError(`${simOnly.join(', ')} only apply with --sim`);
  if (o.reportEveryMinutes === 0) o.reportEveryMinutes = o.sim ? 15 : 60;
  return o;
}
