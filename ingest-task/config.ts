/**
 * The ingest task's settings, read from environment variables with the core/config.ts readers.
 * A bad value throws ConfigError naming the setting, so the task fails at start with one message.
 */
import { readBinanceConfig, readList, readMarketFilter, readPositiveInt, readStoreConfig, readUrl, type BinanceConfig, type Env, type MarketFilter } from '../core/config';
import { ConfigError } from '../core/errors';
import { METRICS_NAMESPACE } from '../core/metric-names';
import { MARKET_TYPES, parseMarketTypes, type MarketType } from '../core/market';
import { VENUES } from '../core/binance/venues';
import type { LogLevel } from '../core/logger';
import type { ResumeSource } from './capture/resume-store';

export type SinkConfig = { kind: 'sqs'; queueUrl: string } | { kind: 'in-process' };

/** One selected market type: its endpoints and market filter. */
export interface VenueConfig {
  marketType: MarketType;
  restUrl: string;
  streamUrl: string;
  markets: MarketFilter;
}

export interface IngestConfig {
  /** Spot's endpoints (`BINANCE_REST_URL`, `BINANCE_STREAM_URL`). */
  binance: BinanceConfig;
  /** Spot's filter (`MARKETS_QUOTE_ASSETS`, `MARKETS_SYMBOLS`). */
  markets: MarketFilter;
  /** Every selected market type (`MARKET_TYPES`), in MARKET_TYPES order. */
  venues: VenueConfig[];
  sink: SinkConfig;
  /** Where to read the last stored minute per market at start. */
  resume: ResumeSource;
  refreshIntervalMs: number;
  newMarketHistoryMs: number;
  weightHeadroom: number;
  maxConnectionAgeMs: number;
  stallTimeoutMs: number;
  /** Independent connection sets carrying every stream (see IngestOptions.streamCopies). */
  streamCopies: number;
  stopTimeoutMs: number;
  metricsNamespace: string;
  logLevel: LogLevel;
}

function readNonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, `expected an integer ≥ 0, got "${raw}"`);
  return n;
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(name, `expected one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

/**
 * In AWS the task gets `MONGODB_SECRET_ARN` (the URI lives in the secret, read at start);
 * locally `MONGODB_URI` / `KLINE_STORE`. The task resumes from MongoDB only: SQLite is the local
 * pipeline's store, where ingest and store share one process and resume another way.
 */
function readResumeSource(env: Env): ResumeSource {
  const secretArn = env.MONGODB_SECRET_ARN;
  if (secretArn !== undefined && secretArn !== '') {
    if (!secretArn.startsWith('arn:')) throw new ConfigError('MONGODB_SECRET_ARN', 'expected a Secrets Manager secret ARN (arn:aws:secretsmanager:…)');
    return { kind: 'secret', secretArn, database: env.MONGODB_DATABASE || undefined };
  }
  if (!env.KLINE_STORE && !env.MONGODB_URI) return { kind: 'none' };
  const store = readStoreConfig(env);
  if (store.kind !== 'mongodb') throw new ConfigError('KLINE_STORE', 'the ingest task resumes from MongoDB only (mongodb://… or mongodb+srv://…)');
  return store;
}

export function readIngestConfig(env: Env = process.env): IngestConfig {
  const sinkKind = readChoice(env, 'SINK', ['sqs', 'in-process'] as const, 'sqs');
  let sink: SinkConfig;
  if (sinkKind === 'sqs') {
    if (!env.SQS_QUEUE_URL) throw new ConfigError('SQS_QUEUE_URL', 'is required when SINK=sqs (the queue the writer reads)');
    sink = { kind: 'sqs', queueUrl: readUrl(env, 'SQS_QUEUE_URL', '', ['https:', 'http:']) };
  } else sink = { kind: 'in-process' };
  const headroomPercent = readNonNegativeInt(env, 'REST_WEIGHT_HEADROOM_PERCENT', 50);
  if (headroomPercent >= 100) throw new ConfigError('REST_WEIGHT_HEADROOM_PERCENT', `expected 0..99, got ${headroomPercent}`);
  const maxAgeMinutes = readPositiveInt(env, 'MAX_CONNECTION_AGE_MINUTES', 23 * 60);
  if (maxAgeMinutes >= 24 * 60) throw new ConfigError('MAX_CONNECTION_AGE_MINUTES', 'must be below 1440: Binance cuts connections at 24 h');
  const venues = readVenueConfigs(env);
  const spot = venues.find((v) => v.marketType === 'spot');
  return {
    binance: spot ? { restUrl: spot.restUrl, streamUrl: spot.streamUrl } : readBinanceConfig(env),
    markets: spot ? spot.markets : readMarketFilter(env),
    venues,
    sink,
    resume: readResumeSource(env),
    refreshIntervalMs: readPositiveInt(env, 'MARKETS_REFRESH_SECONDS', 300) * 1000,
    newMarketHistoryMs: readNonNegativeInt(env, 'NEW_MARKET_HISTORY_MINUTES', 0) * 60_000,
    weightHeadroom: headroomPercent / 100,
    maxConnectionAgeMs: maxAgeMinutes * 60_000,
    stallTimeoutMs: readPositiveInt(env, 'STALL_TIMEOUT_SECONDS', 30) * 1000,
    streamCopies: readStreamCopies(env),
    stopTimeoutMs: readPositiveInt(env, 'STOP_TIMEOUT_SECONDS', 25) * 1000,
    metricsNamespace: env.METRICS_NAMESPACE || METRICS_NAMESPACE,
    logLevel: readChoice(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
  };
}

/**
 * `STREAM_COPIES` (default 2): every stream on this many independent connections. Two cost twice
 * the frames (the hot path makes that cheap) and mean one dropped or stalled connection loses no
 * minute, not even the last minutes of a market delisted meanwhile, which REST can no longer give.
 */
function readStreamCopies(env: Env): number {
  const copies = readPositiveInt(env, 'STREAM_COPIES', 2);
  if (copies > 3) throw new ConfigError('STREAM_COPIES', `expected 1, 2 or 3, got ${copies}`);
  return copies;
}

/** Market types captured when `MARKET_TYPES` is not set. */
export const DEFAULT_MARKET_TYPES: readonly MarketType[] = MARKET_TYPES;

/**
 * `MARKET_TYPES=spot,usdm,coinm` (default: all) and, per type, its endpoints and filters:
 * spot keeps `BINANCE_REST_URL`, `BINANCE_STREAM_URL`, `MARKETS_QUOTE_ASSETS`, `MARKETS_SYMBOLS`
 * (`MARKETS_SPOT_*` also work and win); futures read `BINANCE_USDM_REST_URL`,
 * `BINANCE_USDM_STREAM_URL`, `MARKETS_USDM_SYMBOLS`, `MARKETS_USDM_QUOTE_ASSETS` and the same
 * with `COINM`.
 */
export function readVenueConfigs(env: Env = process.env): VenueConfig[] {
  const raw = env.MARKET_TYPES;
  let selected: readonly MarketType[] = DEFAULT_MARKET_TYPES;
  if (raw !== undefined && raw.trim() !== '') {
    try {
      selected = parseMarketTypes(raw);
    } catch (e) {
      throw new ConfigError('MARKET_TYPES', (e as Error).message.replace(/^MARKET_TYPES: /, ''));
    }
  }
  return MARKET_TYPES.filter((t) => selected.includes(t)).map((marketType) => {
    const venue = VENUES[marketType];
    return {
      marketType,
      restUrl: readUrl(env, venue.restUrlSetting, venue.defaultRestUrl, ['https:', 'http:']),
      streamUrl: readUrl(env, venue.streamUrlSetting, venue.defaultStreamUrl, ['wss:', 'ws:']),
      markets: readTypeFilter(env, marketType),
    };
  });
}

/** A type's filter through core's reader, with errors naming the type's own setting. */
function readTypeFilter(env: Env, marketType: MarketType): MarketFilter {
  const symbols = `MARKETS_${marketType.toUpperCase()}_SYMBOLS`;
  const quoteAssets = `MARKETS_${marketType.toUpperCase()}_QUOTE_ASSETS`;
  if (marketType === 'spot' && readList(env, symbols).length === 0 && readList(env, quoteAssets).length === 0) return readMarketFilter(env);
  try {
    return readMarketFilter({ MARKETS_SYMBOLS: env[symbols], MARKETS_QUOTE_ASSETS: env[quoteAssets] });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(e.setting === 'MARKETS_SYMBOLS' ? symbols : quoteAssets, e.message.slice(e.setting.length + 2));
  }
}
