/** Parse `npm run sim` arguments into SimOptions (pure, so it is tested without a process). */
import { faultsFromNames, type SimOptions } from './options';

export const SIM_USAGE = `usage: npm run sim -- [--port N] [--markets M] [--speed X] [--seed S] [--start ISO|ms] [--faults LIST] [--updates-per-minute K] [--weight-limit W]
  --port N              loopback port (default 8090; 0 = any free port)
  --markets M           number of generated markets (default 50)
  --speed X             simulated ms per real ms (default 1; 60 = one simulated minute per second)
  --seed S              seed of the deterministic market (default 1)
  --start T             simulated start time, minute-aligned (ISO date or ms; default 2026-01-05T00:00Z)
  --faults LIST         comma list of drop,stall,duplicate,reorder,malformed,late,rest-errors,shutdown or all
  --updates-per-minute K  x:false updates per market per simulated minute
  --weight-limit W      REQUEST_WEIGHT per minute (default 6000)
  --churn               list 3 markets, put 3 in BREAK and 1 in HALT for a while, delist 2 (first 6 simulated hours)`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function num(name: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n)) throw new UsageError(`${name} needs a number, got "${v ?? ''}"`);
  return n;
}

export function parseSimArgs(argv: readonly string[]): SimOptions {
  const o: SimOptions = { port: 8090, markets: 50 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--port':
        o.port = num(flag, value());
        break;
      case '--markets':
        o.markets = num(flag, value());
        break;
      case '--speed':
        o.speed = num(flag, value());
        break;
      case '--seed': {
        const v = value();
        if (v === undefined) throw new UsageError('--seed needs a value');
        o.seed = /^[0-9]+$/.test(v) ? Number(v) : v;
        break;
      }
      case '--start': {
        const v = value() ?? '';
        const t = /^[0-9]+$/.test(v) ? Number(v) : Date.parse(v);
        if (!Number.isFinite(t)) throw new UsageError(`--start needs an ISO date or ms, got "${v}"`);
        o.startTime = t;
        break;
      }
      case '--faults':
        try {
          o.faults = faultsFromNames((value() ?? '').split(','));
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        break;
      case '--updates-per-minute':
        o.updatesPerMinute = num(flag, value());
        break;
      case '--weight-limit':
        o.limits = { ...o.limits, requestWeightPerWindow: num(flag, value()) };
        break;
      case '--churn':
        o.churn = { listings: 3, breaks: 3, halts: 1, delistings: 2 };
        break;
      default:
        throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  return o;
}
