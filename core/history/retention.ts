/**
 * History against the store's retention. With a 1m retention (MongoDB TTL, `store migrate
 * --retention-days N`, the stack's `klineRetentionDays`), MongoDB deletes a 1m kline once its open
 * time is older than N days: importing older days only downloads what the TTL monitor removes
 * within a minute or so. So a `--from` older than the retention is refused unless the caller
 * says `--ignore-retention`, and without `--from` the import starts at the earliest day kept.
 */
import { DAY_MS, collectionName } from '../interval';
import type { MarketType } from '../market';

/** One market type's 1m retention in seconds (`KlineStore.readRetention`), null: keeps everything. */
export interface TypeRetention {
  marketType: MarketType;
  seconds: number | null;
}

/** The retention that binds first (the shortest), and the earliest whole UTC day it keeps now. */
export interface BindingRetention {
  marketType: MarketType;
  seconds: number;
  /** Open time of the oldest 1m kline the store keeps now. */
  keptFrom: number;
  /** The first UTC day starting at or after `keptFrom`: every minute of it is still kept. */
  earliestDay: number;
}

export function bindingRetention(retentions: readonly TypeRetention[], now: number): BindingRetention | undefined {
  let binding: BindingRetention | undefined;
  for (const { marketType, seconds } of retentions) {
    if (seconds === null) continue;
    const keptFrom = now - seconds * 1000;
    if (binding === undefined || keptFrom > binding.keptFrom) binding = { marketType, seconds, keptFrom, earliestDay: Math.ceil(keptFrom / DAY_MS) * DAY_MS };
  }
  return binding;
}

export class RetentionError extends Error {
  override readonly name = 'RetentionError';
}

function describe(r: BindingRetention): string {
  const days = r.seconds / 86_400;
  const span = Number.isInteger(days) ? `${days} day${days === 1 ? '' : 's'}` : `${r.seconds} s`;
  return `the store keeps ${r.marketType} 1m klines ${span} (TTL on ${collectionName(r.marketType, '1m')})`;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface HistoryStart {
  /** The `from` to import with (undefined: each market's first day, nothing expires). */
  from: number | undefined;
  /** Said to the user when the start was moved to the retention. */
  notice?: string;
}

/**
 * The start of an import into a store with these retentions. A `from` older than the binding
 * retention throws RetentionError naming the retention and the earliest day allowed, unless
 * `ignoreRetention`; no `from` becomes that earliest day. Pure.
 */
export function historyStart(from: number | undefined, retentions: readonly TypeRetention[], now: number, ignoreRetention = false): HistoryStart {
  const binding = bindingRetention(retentions, now);
  if (binding === undefined || ignoreRetention) return { from };
  if (from === undefined) {
    return { from: binding.earliestDay, notice: `${describe(binding)}: importing from ${day(binding.earliestDay)}, the earliest day it keeps (older days need --from and --ignore-retention, and MongoDB deletes them)` };
  }
  if (from < binding.keptFrom) {
    throw new RetentionError(
      `--from ${new Date(from).toISOString()} is older than the store's retention: ${describe(binding)}, so MongoDB would delete those klines within about a minute of importing them. ` +
        `The earliest day to import is ${day(binding.earliestDay)} (--from ${day(binding.earliestDay)}), or --ignore-retention imports the older days anyway`,
    );
  }
  return { from };
}
