/**
 * Which markets go on which websocket connection. Pure functions.
 *
 * Binance allows 1024 streams per connection. We fill connections only up to
 * `maxStreams × (1 - headroom)` so new listings can join an existing connection without a new
 * connection attempt, and use as few connections as that allows, with markets spread evenly.
 */

export interface ShardLimits {
  /** Streams per connection the server accepts (Binance: 1024). */
  maxStreamsPerConnection: number;
  /** Share of each connection kept free for listings, 0 ≤ headroom < 1 (e.g. 0.1). */
  headroom: number;
}

export const DEFAULT_SHARD_LIMITS: ShardLimits = { maxStreamsPerConnection: 1024, headroom: 0.1 };

/** Streams we put on one connection when planning: the limit minus the headroom, at least 1. */
export function plannedCapacity(limits: ShardLimits): number {
  if (!(limits.maxStreamsPerConnection >= 1)) throw new RangeError('maxStreamsPerConnection must be ≥ 1');
  if (!(limits.headroom >= 0 && limits.headroom < 1)) throw new RangeError('headroom must be in [0, 1)');
  return Math.max(1, Math.floor(limits.maxStreamsPerConnection * (1 - limits.headroom)));
}

/** Split symbols into the fewest groups of at most the planned capacity, sizes differing by ≤ 1. */
export function shardMarkets(symbols: readonly string[], limits: ShardLimits = DEFAULT_SHARD_LIMITS): string[][] {
  if (symbols.length === 0) return [];
  const count = Math.ceil(symbols.length / plannedCapacity(limits));
  const shards: string[][] = [];
  const base = Math.floor(symbols.length / count);
  let extra = symbols.length % count;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const size = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    shards.push(symbols.slice(at, at + size));
    at += size;
  }
  return shards;
}

/**
 * Where to put a new market: the least-loaded connection that stays within the hard limit,
 * or -1 when every connection is full (open a new one).
 */
export function pickConnectionWithRoom(loads: readonly number[], limits: ShardLimits = DEFAULT_SHARD_LIMITS): number {
  let best = -1;
  for (let i = 0; i < loads.length; i++) {
    if (loads[i] + 1 > limits.maxStreamsPerConnection) continue;
    if (best < 0 || loads[i] < loads[best]) best = i;
  }
  return best;
}

/** The stream name of a market's 1m kline stream: lowercase symbol (Unicode allowed). */
export function klineStreamName(symbol: string): string {
  return `${symbol.toLowerCase()}@kline_1m`;
}
