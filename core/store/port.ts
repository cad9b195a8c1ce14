import type { AuditResult } from '../audit/run';
import type { Kline, KlineSource } from '../kline';
import type { MarketRef, MarketStatusEvent, MarketType } from '../market';
import type { StoredInterval } from '../interval';
import type { MinuteRun, ResampleLogEntry, ResampleWatermark } from './resample-log';

export type { MinuteRun, ResampleLogEntry, ResampleWatermark } from './resample-log';

/** A half-open time range [from, to) in ms. */
export interface TimeRange {
  from: number;
  to: number;
}

export interface UpsertFailure {
  /** Index in the batch handed to `upsert`. */
  index: number;
  reason: string;
}

export interface UpsertResult {
  /** Klines inserted or changed (an identical re-write counts as 0). */
  written: number;
  /** Klines the store refused; every other kline of the batch is stored. */
  failures: UpsertFailure[];
}

export interface SchemaOptions {
  /**
   * Days to keep 1m klines (MongoDB TTL index). `null`: keep everything. Unset: `applySchema`
   * leaves the TTL as it is; `checkSchema` expects none (a TTL nobody configured deletes data).
   */
  retentionDays?: number | null;
  /** `applySchema` reports each step here as it goes (the CLI prints them). */
  progress?: (line: string) => void;
}

export type SchemaDifferenceKind =
  | 'missing-collection'
  | 'not-a-collection'
  | 'missing-column'
  | 'missing-index'
  | 'index-differs'
  | 'obsolete-index'
  | 'ttl-not-configured'
  | 'ttl-missing'
  | 'ttl-differs'
  | 'missing-view'
  | 'view-differs';

/** One way the store differs from the schema this code expects; `message` says what and how to fix it. */
export interface SchemaDifference {
  kind: SchemaDifferenceKind;
  /** Collection, table or view concerned. */
  collection: string;
  message: string;
}

export interface ReadQuery {
  /** One market type per read: its klines live in their own table/collection. */
  marketType: MarketType;
  interval: StoredInterval;
  /** Omit for every market. */
  symbols?: readonly string[];
  /** Open times in [from, to). */
  from: number;
  to: number;
}

/**
 * Where klines live. Adapters: SQLite (embedded default) and MongoDB. One table/collection per
 * market type and interval (`collectionName`), so the same symbol in two market types never
 * mixes. All writes are idempotent upserts on (marketType, symbol, openTime): writing the same
 * batch twice changes nothing and a later kline with the same key replaces the earlier one.
 *
 * Whole-operation failures (store unreachable) reject with `StoreUnavailableError`;
 * per-kline refusals are returned in `UpsertResult.failures`.
 */
export interface KlineStore {
  /**
   * The schema step (deploy, `store migrate`, the local pipeline on its own SQLite file): create
   * missing collections/tables, indexes and views, add/change/remove the 1m retention. Idempotent;
   * returns one line per change made (none when the store already matched).
   */
  applySchema(options?: SchemaOptions): Promise<string[]>;
  /** How the store differs from the expected schema; changes nothing. Runtime processes warn on each. */
  checkSchema(options?: SchemaOptions): Promise<SchemaDifference[]>;
  /**
   * How long the store keeps the 1m klines of one market type, in seconds: the TTL the schema step
   * set (MongoDB deletes a kline once its open time is that old); null when it keeps every kline
   * (SQLite always, MongoDB without a retention or before the schema step).
   */
  readRetention(marketType: MarketType): Promise<number | null>;
  /** Klines of several market types in one batch each go to their own table/collection. */
  upsert(interval: StoredInterval, klines: readonly Kline[]): Promise<UpsertResult>;
  /** Klines of one market type ordered by symbol, then openTime. */
  read(query: ReadQuery): Promise<Kline[]>;
  /**
   * Number of stored klines per symbol of one market type with openTime in [from, to).
   * Symbols with none are absent.
   */
  countByMarket(marketType: MarketType, interval: StoredInterval, range: TimeRange): Promise<Map<string, number>>;
  /**
   * Number of stored 1m klines per symbol of one market type with openTime in [from, to) that came
   * from REST backfill and from a dump; symbols with neither are absent. Reads only the non-stream
   * klines (a partial index of the schema step holds nothing else), so it costs what was
   * backfilled, not what was captured: stream = countByMarket − rest − dump.
   */
  countBySource(marketType: MarketType, range: TimeRange): Promise<Map<string, Record<KlineSource, number>>>;
  /**
   * The symbols of one market type with at least one kline with openTime in [from, to), sorted.
   * Bounded by the number of stored symbols, not of klines: a walk of the index's leading key
   * (symbol), then one index seek per symbol; never a scan or count of the range.
   */
  symbolsWithKlines(marketType: MarketType, interval: StoredInterval, range: TimeRange): Promise<string[]>;
  /**
   * Missing intervals of each given symbol of one market type within `range` (window-aligned), as
   * half-open ranges of open times, merged and ordered. A symbol with no kline in range has one
   * gap: the range.
   */
  gaps(marketType: MarketType, interval: StoredInterval, range: TimeRange, symbols: readonly string[]): Promise<Map<string, TimeRange[]>>;
  /**
   * Latest stored openTime of each given market (for restart backfill), keyed by `marketKey`;
   * markets with no kline are absent. One index lookup per market, never a scan.
   */
  lastOpenTimes(interval: StoredInterval, markets: readonly MarketRef[]): Promise<Map<string, number>>;
  /** Append status changes; re-recording an identical event (marketType, symbol, status, at) is a no-op. */
  recordMarketStatus(events: readonly MarketStatusEvent[]): Promise<void>;
  /**
   * Every market type's recorded status events, ordered by market type (spot, usdm, coinm), then
   * symbol, then time. Events recorded before market types existed are spot. Given `markets`,
   * only their events, read by key (the writer asks for a batch's markets, not the whole history).
   */
  marketHistory(markets?: readonly MarketRef[]): Promise<MarketStatusEvent[]>;
  /**
   * The resampler's change log: `upsert('1m')` appends the runs of minutes it wrote (SQLite: in
   * the same transaction; MongoDB: one insert after the bulk write, whose failure fails the
   * upsert). Oldest first, at most `limit` entries.
   */
  readResampleLog(limit: number): Promise<ResampleLogEntry[]>;
  /** Delete consumed entries and append the runs carried over to a later run (added first: nothing is lost). */
  settleResampleLog(consumed: readonly string[], carried: readonly MinuteRun[]): Promise<void>;
  /** Every stored watermark (none before the first run). */
  readResampleState(): Promise<ResampleWatermark[]>;
  writeResampleState(watermarks: readonly ResampleWatermark[]): Promise<void>;
  /**
   * Keep a day's dump audit (core/audit) for the quality report (`audits`: one entry per UTC
   * day; auditing a day again replaces its entry).
   */
  saveAudit(result: AuditResult): Promise<void>;
  /** The kept audits of the UTC days that lie wholly in `range`, oldest first. */
  readAudits(range: TimeRange): Promise<AuditResult[]>;
  close(): Promise<void>;
}
