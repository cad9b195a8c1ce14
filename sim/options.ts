/**
 * Simulator options, their defaults and validation.
 *
 * Two clocks are involved and every option says which one it uses:
 * - SIMULATED time (`sim.now()`, kline times, lifecycle events, fault probabilities "per simulated
 *   minute", late closing delays) runs `speed` times faster than the wall clock.
 * - REAL time (ping interval, pong timeout, connection lifetime, the 5 messages/s limit, the REST
 *   weight window, Retry-After and bans) is what a client measures with its own clock. These stay
 *   in real milliseconds so an unmodified client's timers still make sense; tests make them short.
 */
import type { MarketType } from '../core/market';
import { SIM_VENUES, type SimStatus } from './venues';
import { hashString } from './random';

export const FAULT_NAMES = ['drop', 'stall', 'duplicate', 'reorder', 'malformed', 'late', 'rest-errors', 'shutdown'] as const;
/** Hostile inputs rather than weather: only by name, never part of `all`. */
export const HOSTILE_FAULT_NAMES = ['bogus-time'] as const;
export type FaultName = (typeof FAULT_NAMES)[number] | (typeof HOSTILE_FAULT_NAMES)[number];

/** The event time of a bogus-time frame: 2100-01-01. */
export const BOGUS_EVENT_TIME = Date.UTC(2100, 0, 1);

/** Fault injection. Probabilities are 0..1; absent or 0 means off. */
export interface FaultConfig {
  /** Per connection, per simulated minute: terminate the socket abruptly (no close frame). */
  dropPerMinute?: number;
  /** Per connection, per simulated minute: go silent (no frames, no pings) but keep the socket open. */
  stallPerMinute?: number;
  /** Per connection, per simulated minute: send `serverShutdown`, then close after `shutdownGraceMs` real ms. */
  shutdownPerMinute?: number;
  /** Per frame: send it twice. */
  duplicate?: number;
  /** Per frame: hold it back and send it after the next frame of the same connection. */
  reorder?: number;
  /** Per frame: additionally send a malformed frame (truncated JSON or garbage) before it. */
  malformed?: number;
  /** Per (market, minute): delay the closing `x:true` update by `lateDelayMs` simulated ms. */
  late?: number;
  /** Simulated ms a late closing update is delayed (after the next minute's first update). */
  lateDelayMs?: number;
  /** Per REST request: answer 500, 503 or 429 (with Retry-After) instead. */
  restErrors?: number;
  /**
   * How many closing frames (one per simulated minute, from the first minute with subscribers)
   * are sent a second time with the event time `E` in the year 2100 (BOGUS_EVENT_TIME).
   */
  bogusTimeFrames?: number;
  /** Refuse every REST request and stream connection with HTTP 451, as Binance does for restricted locations. */
  restrictedLocation?: boolean;
  /** Scheduled faults at simulated times, applied to all open connections (or the first `count`). */
  schedule?: ScheduledFault[];
}

export interface ScheduledFault {
  /** Simulated ms. */
  at: number;
  kind: 'drop' | 'stall' | 'shutdown';
  /** How many open connections (oldest first); all when absent. */
  count?: number;
}

/** A status change of one market at a simulated time (floored to the minute). */
export interface LifecycleEvent {
  symbol: string;
  /** Simulated ms; floored to the minute. */
  at: number;
  /** DELISTED removes the market from exchangeInfo. A symbol not generated is created (a new listing). */
  status: SimStatus;
}

export interface ChurnOptions {
  /** New markets listed mid-run (symbols NEW<n>USDT). */
  listings?: number;
  /** Markets that go BREAK for 5..60 simulated minutes, then TRADING again. */
  breaks?: number;
  /** Markets that go HALT for 5..60 simulated minutes, then TRADING again. */
  halts?: number;
  /** Markets delisted (removed from exchangeInfo). Futures: perpetuals go SETTLING (how Binance shows a delisted perpetual), then leave 30 minutes later. */
  delistings?: number;
  /** Futures: quarterly contracts delivered (DELIVERING at their delivery date, DELIVERED 10 minutes later). */
  deliveries?: number;
  /** Events fall in (startTime, startTime + withinMs]; default 6 simulated hours. */
  withinMs?: number;
}

export interface QuoteAssetShare {
  asset: string;
  /** Relative weight in the mix. */
  weight: number;
}

export interface SimLimits {
  /** Streams per connection (Binance: 1024). */
  maxStreamsPerConnection: number;
  /** Incoming messages per REAL second, counting text, PING and PONG frames (Binance: 5). */
  maxIncomingPerSecond: number;
  /** REAL ms between server pings (Binance: 20 s). */
  pingIntervalMs: number;
  /** REAL ms to wait for a pong echoing the ping payload (Binance: 1 minute). */
  pongTimeoutMs: number;
  /** REAL ms a connection may live (Binance: 24 h). */
  maxConnectionLifetimeMs: number;
  /** REAL ms between `serverShutdown` and the close. */
  shutdownGraceMs: number;
  /** Connection attempts per IP per `connectionAttemptWindowMs` REAL ms (Binance: 300 per 5 minutes); more get HTTP 429. */
  maxConnectionAttempts: number;
  connectionAttemptWindowMs: number;
  /** A connection whose unsent buffer exceeds this many bytes is dropped as a slow consumer. */
  maxBufferedBytes: number;
  /** REQUEST_WEIGHT limit per weight window (Binance: 6000 per minute). */
  requestWeightPerWindow: number;
  /** REAL ms of one weight window (Binance: 60 000, aligned to the wall-clock minute). */
  weightWindowMs: number;
  /** Requests sent during a 429 back-off before the IP is banned with 418. */
  ignoredBackoffsBeforeBan: number;
  /** First ban length, REAL ms (Binance: 2 minutes, doubling for repeat offenders up to 3 days). */
  banBaseMs: number;
}

export interface SimOptions {
  /**
   * Which Binance venue to play (default spot): REST prefix (/api/v3, /fapi/v1, /dapi/v1),
   * stream paths, frame rate, limits, exchangeInfo format, symbols and lifecycle (sim/venues.ts).
   */
  marketType?: MarketType;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Number of generated markets (thousands are fine). */
  markets?: number;
  seed?: number | string;
  /** Simulated ms per real ms: 60 = one simulated minute per real second. */
  speed?: number;
  /** Simulated time at start, ms, minute-aligned (default 2026-01-05T00:00:00Z). */
  startTime?: number;
  /**
   * When the simulated world began (default `startTime`): listings, churn, deliveries and the
   * history window are placed from here, so the world is a pure function of (seed, worldStartTime)
   * and a simulator started later with the same world start continues the same world.
   */
  worldStartTime?: number;
  /** Simulated ms before startTime from which generated markets have klines (REST history). */
  historyMs?: number;
  quoteAssets?: QuoteAssetShare[];
  /** How many generated markets get a Unicode base asset (as Binance lists since late 2025). */
  unicodeSymbols?: number;
  /** Share of markets that are illiquid (0..1). */
  illiquidShare?: number;
  /** For illiquid markets: probability that a minute has no trade. */
  zeroTradeProbability?: number;
  lifecycle?: LifecycleEvent[];
  /** Random listings, BREAK/HALT episodes and delistings added to `lifecycle` (deterministic from the seed). */
  churn?: ChurnOptions;
  /**
   * `x:false` updates per market per simulated minute (Binance: spot 29, one per 2 s; futures 239,
   * one per 250 ms; plus the closing one). Default: that rate divided by the speed, at least 1.
   */
  updatesPerMinute?: number;
  limits?: Partial<SimLimits>;
  faults?: FaultConfig | readonly (FaultName | 'all')[];
  /** Exchange maintenance windows (ms, [from, to)): no market has klines, in streams, REST or dumps. */
  maintenance?: { from: number; to: number }[];
  /** The data.binance.vision-like file site (sim/dumps): publication lag and file faults. */
  dumps?: import('./dumps/site').SimDumpOptions;
}

export interface ResolvedOptions {
  marketType: MarketType;
  port: number;
  markets: number;
  seed: number;
  speed: number;
  startTime: number;
  worldStartTime: number;
  historyMs: number;
  quoteAssets: QuoteAssetShare[];
  unicodeSymbols: number;
  illiquidShare: number;
  zeroTradeProbability: number;
  lifecycle: LifecycleEvent[];
  churn: ChurnOptions;
  updatesPerMinute: number;
  limits: SimLimits;
  faults: FaultConfig;
  maintenance: { from: number; to: number }[];
}

export const DEFAULT_START_TIME = Date.UTC(2026, 0, 5, 0, 0, 0);

export const DEFAULT_LIMITS: SimLimits = {
  maxStreamsPerConnection: 1024,
  maxIncomingPerSecond: 5,
  pingIntervalMs: 20_000,
  pongTimeoutMs: 60_000,
  maxConnectionLifetimeMs: 24 * 3_600_000,
  shutdownGraceMs: 1_000,
  maxConnectionAttempts: 300,
  connectionAttemptWindowMs: 300_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  requestWeightPerWindow: 6000,
  weightWindowMs: 60_000,
  ignoredBackoffsBeforeBan: 3,
  banBaseMs: 120_000,
};

export const DEFAULT_QUOTE_ASSETS: QuoteAssetShare[] = [
  { asset: 'USDT', weight: 40 },
  { asset: 'BTC', weight: 15 },
  { asset: 'USDC', weight: 12 },
  { asset: 'FDUSD', weight: 8 },
  { asset: 'TRY', weight: 7 },
  { asset: 'ETH', weight: 6 },
  { asset: 'EUR', weight: 5 },
  { asset: 'BNB', weight: 4 },
  { asset: 'BRL', weight: 3 },
];

/** Moderate fault rates used by `--faults all` and by fault names without explicit rates. */
export const DEFAULT_FAULT_RATES: Required<Omit<FaultConfig, 'schedule' | 'restrictedLocation' | 'bogusTimeFrames'>> = {
  dropPerMinute: 0.02,
  stallPerMinute: 0.01,
  shutdownPerMinute: 0.01,
  duplicate: 0.001,
  reorder: 0.001,
  malformed: 0.0005,
  late: 0.01,
  lateDelayMs: 5_000,
  restErrors: 0.02,
};

/** Most intermediate updates per minute (futures: one per 250 ms). */
export const MAX_UPDATES_PER_MINUTE = 239;

/**
 * Intermediate updates per minute: at speed 1 the venue's real rate (spot every 2 s: 29;
 * futures every 250 ms: 239), fewer as the clock speeds up so real frames per second stay as on
 * Binance.
 */
export function defaultUpdatesPerMinute(speed: number, frameIntervalMs = 2000): number {
  const perMinute = Math.round(60_000 / frameIntervalMs) - 1;
  return Math.max(1, Math.min(perMinute, Math.round(perMinute / speed)));
}

/** Fault names (`drop,stall,…` or `all`) to a FaultConfig with the default rates. */
export function faultsFromNames(names: readonly string[]): FaultConfig {
  const set = new Set<string>();
  for (const raw of names) {
    const name = raw.trim();
    if (name === '') continue;
    if (name === 'all') FAULT_NAMES.forEach((n) => set.add(n));
    else if ((FAULT_NAMES as readonly string[]).includes(name) || (HOSTILE_FAULT_NAMES as readonly string[]).includes(name)) set.add(name);
    else throw new RangeError(`unknown fault "${name}" (expected ${[...FAULT_NAMES, ...HOSTILE_FAULT_NAMES].join(', ')} or all)`);
  }
  const r = DEFAULT_FAULT_RATES;
  const f: FaultConfig = {};
  if (set.has('drop')) f.dropPerMinute = r.dropPerMinute;
  if (set.has('stall')) f.stallPerMinute = r.stallPerMinute;
  if (set.has('shutdown')) f.shutdownPerMinute = r.shutdownPerMinute;
  if (set.has('duplicate')) f.duplicate = r.duplicate;
  if (set.has('reorder')) f.reorder = r.reorder;
  if (set.has('malformed')) f.malformed = r.malformed;
  if (set.has('late')) {
    f.late = r.late;
    f.lateDelayMs = r.lateDelayMs;
  }
  if (set.has('rest-errors')) f.restErrors = r.restErrors;
  if (set.has('bogus-time')) f.bogusTimeFrames = 1;
  return f;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`simulator option ${message}`);
}

export function resolveOptions(o: SimOptions = {}): ResolvedOptions {
  const speed = o.speed ?? 1;
  const startTime = o.startTime ?? DEFAULT_START_TIME;
  const markets = o.markets ?? 20;
  check(Number.isInteger(o.port ?? 0) && (o.port ?? 0) >= 0 && (o.port ?? 0) < 65536, 'port must be 0..65535');
  check(Number.isInteger(markets) && markets >= 0 && markets <= 100_000, 'markets must be an integer 0..100000');
  check(Number.isFinite(speed) && speed > 0, 'speed must be > 0');
  check(Number.isInteger(startTime) && startTime % 60_000 === 0, 'startTime must be a minute-aligned ms timestamp');
  const worldStartTime = o.worldStartTime ?? startTime;
  check(Number.isInteger(worldStartTime) && worldStartTime % 60_000 === 0 && worldStartTime <= startTime, 'worldStartTime must be a minute-aligned ms timestamp at or before startTime');
  const marketType = o.marketType ?? 'spot';
  const venue = SIM_VENUES[marketType];
  check(venue !== undefined, 'marketType must be spot, usdm or coinm');
  const limits: SimLimits = { ...DEFAULT_LIMITS, maxIncomingPerSecond: venue.maxIncomingPerSecond, requestWeightPerWindow: venue.requestWeightPerWindow, ...(o.limits ?? {}) };
  for (const [k, v] of Object.entries(limits)) check(typeof v === 'number' && v >= 0, `limits.${k} must be a number ≥ 0`);
  const faults = o.faults === undefined ? {} : Array.isArray(o.faults) ? faultsFromNames(o.faults as readonly string[]) : { ...(o.faults as FaultConfig) };
  const updatesPerMinute = o.updatesPerMinute ?? defaultUpdatesPerMinute(speed, venue.frameIntervalMs);
  check(Number.isInteger(updatesPerMinute) && updatesPerMinute >= 0 && updatesPerMinute <= MAX_UPDATES_PER_MINUTE, `updatesPerMinute must be 0..${MAX_UPDATES_PER_MINUTE}`);
  return {
    marketType,
    port: o.port ?? 0,
    markets,
    seed: o.seed === undefined ? 1 : typeof o.seed === 'number' && Number.isInteger(o.seed) ? o.seed >>> 0 : hashString(String(o.seed)),
    speed,
    startTime,
    worldStartTime,
    historyMs: o.historyMs ?? 7 * 86_400_000,
    quoteAssets: o.quoteAssets ?? DEFAULT_QUOTE_ASSETS,
    unicodeSymbols: o.unicodeSymbols ?? (markets >= 20 ? 3 : 0),
    illiquidShare: o.illiquidShare ?? 0.2,
    zeroTradeProbability: o.zeroTradeProbability ?? 0.3,
    lifecycle: (o.lifecycle ?? []).map((e) => ({ ...e, at: Math.floor(e.at / 60_000) * 60_000 })),
    churn: o.churn ?? {},
    updatesPerMinute,
    limits,
    faults,
    maintenance: (o.maintenance ?? []).map((w) => {
      check(Number.isInteger(w.from) && Number.isInteger(w.to) && w.from < w.to, 'maintenance windows need integer from < to (ms)');
      return { from: Math.floor(w.from / 60_000) * 60_000, to: Math.ceil(w.to / 60_000) * 60_000 };
    }),
  };
}
