/**
 * The embedded KlineStore: one SQLite file (or `:memory:`) through better-sqlite3.
 * One table per market type and interval (`collectionName`: `klines_1m`, `usdm_klines_1m`, …),
 * keyed (symbol, open_time), WITHOUT ROWID so the rows live in the
 * primary-key b-tree: per-market range reads are one seek plus a sequential scan.
 * Decimals are TEXT, so "0.01000000" comes back as "0.01000000".
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors';
import { collectionName, intervalMs, type StoredInterval } from '../interval';
import { KLINE_SOURCES, type Kline, type KlineSource } from '../kline';
import { MARKET_TYPES, isMarketStatus, isMarketType, marketKey, type MarketRef, type MarketStatusEvent, type MarketType } from '../market';
import { assertMarketEvents, prepareBatch } from './batch';
import { gapsFromOpenTimes } from './gaps';
import type { KlineStore, MinuteRun, ReadQuery, ResampleLogEntry, ResampleWatermark, SchemaDifference, SchemaOptions, TimeRange, UpsertResult } from './port';
import { minuteRuns } from './resample-log';
import { AUDITS_TABLE, applySqliteSchema, checkSqliteSchema, hasSourceIndex, isEmptySqliteStore, sourceIndexName } from './sqlite-schema';
import { auditDays, auditText, parseAuditText } from '../audit/record';
import type { AuditResult } from '../audit/run';
import { SqliteResampleLog } from './sqlite-resample-log';
import { binanceCsvRowSql } from '../export/binance-csv';
import { exportRowSql } from '../export/export-rows';

const KLINE_COLUMNS = [
  'symbol',
  'open_time',
  'close_time',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'quote_volume',
  'trades',
  'taker_buy_base_volume',
  'taker_buy_quote_volume',
] as const;

/** A stored kline's columns in `columnsOf(interval)` order. */
type KlineRowValues = [string, number, number, string, string, string, string, string, string, number, string, string, string | number | null];

/** Values in `columnsOf(interval)` order: positional binding is much faster than named. */
type KlineParams = (string | number | null)[];

/** 1m rows carry their provenance (NULL = stream); resampled rows their source count. */
function columnsOf(interval: StoredInterval): string[] {
  return interval === '1m' ? [...KLINE_COLUMNS, 'source'] : [...KLINE_COLUMNS, 'source_count'];
}

/** Insert, or update only when some column differs, so an identical re-write changes 0 rows. */
function upsertSql(marketType: MarketType, interval: StoredInterval): string {
  const table = collectionName(marketType, interval);
  const columns = columnsOf(interval);
  const updated = columns.filter((c) => c !== 'symbol' && c !== 'open_time');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
    ON CONFLICT (symbol, open_time) DO UPDATE SET ${updated.map((c) => `${c} = excluded.${c}`).join(', ')}
    WHERE ${updated.map((c) => `${c} IS NOT excluded.${c}`).join(' OR ')}`;
}

/** Rows per statement of the bulk upsert: fewer, longer native calls (see bulkUpsertSql). */
export const BULK_ROWS = 64;

/**
 * The same upsert for BULK_ROWS rows of one market in one statement: the symbol (and, on 1m, the
 * source) bound once as @symbol / @source, the other columns per row. One call per 64 rows and
 * two string binds fewer per row: ~20 % less per kline than the single-row statement in a bare loop.
 */
function bulkUpsertSql(marketType: MarketType, interval: StoredInterval): string {
  const table = collectionName(marketType, interval);
  const columns = columnsOf(interval);
  const updated = columns.filter((c) => c !== 'symbol' && c !== 'open_time');
  const last = interval === '1m' ? '@source' : '?';
  const row = `(@symbol, ${KLINE_COLUMNS.slice(1).map(() => '?').join(', ')}, ${last})`;
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: BULK_ROWS }, () => row).join(', ')}
    ON CONFLICT (symbol, open_time) DO UPDATE SET ${updated.map((c) => `${c} = excluded.${c}`).join(', ')}
    WHERE ${updated.map((c) => `${c} IS NOT excluded.${c}`).join(' OR ')}`;
}

/**
 * The markets present in a table, found by seeking the primary key once per market
 * (a loose index scan) instead of reading every row.
 */
function marketsPresentCte(table: string): string {
  return `WITH RECURSIVE present(symbol) AS (
      SELECT MIN(symbol) FROM ${table}
      UNION ALL
      SELECT (SELECT symbol FROM ${table} WHERE symbol > present.symbol ORDER BY symbol LIMIT 1)
      FROM present WHERE present.symbol IS NOT NULL
    )`;
}

/**
 * A day's REST and dump klines per symbol, from the partial provenance index alone: the symbols
 * in it by a loose index scan (one seek each), then one range seek per symbol. Cost grows with the
 * symbols that ever had a non-stream kline and the entries in the range, not with the history.
 */
export function countBySourceSql(table: string): string {
  const index = sourceIndexName(table);
  return `WITH RECURSIVE sourced(symbol) AS (
      SELECT MIN(symbol) FROM ${table} INDEXED BY ${index} WHERE source IS NOT NULL
      UNION ALL
      SELECT (SELECT MIN(symbol) FROM ${table} INDEXED BY ${index} WHERE source IS NOT NULL AND symbol > sourced.symbol)
      FROM sourced WHERE sourced.symbol IS NOT NULL
    )
    SELECT k.symbol, k.source, COUNT(*) AS n FROM sourced JOIN ${table} AS k INDEXED BY ${index}
      ON k.symbol = sourced.symbol AND k.source IS NOT NULL AND k.open_time >= ? AND k.open_time < ?
    GROUP BY k.symbol, k.source`;
}

function toParams(k: Kline, oneMinute: boolean): KlineParams {
  const p: KlineParams = [
    k.symbol,
    k.openTime,
    k.closeTime,
    k.open,
    k.high,
    k.low,
    k.close,
    k.volume,
    k.quoteVolume,
    k.trades,
    k.takerBuyBaseVolume,
    k.takerBuyQuoteVolume,
    oneMinute ? (k.source ?? null) : (k.sourceCount as number), // storeProblem requires sourceCount on resampled intervals
  ];
  return p;
}

/** Appends a kline's per-row values of the bulk statement (all but symbol, and source on 1m). */
function pushBulkParams(out: KlineParams, k: Kline, oneMinute: boolean): void {
  out.push(k.openTime, k.closeTime, k.open, k.high, k.low, k.close, k.volume, k.quoteVolume, k.trades, k.takerBuyBaseVolume, k.takerBuyQuoteVolume);
  if (!oneMinute) out.push(k.sourceCount as number);
}

/**
 * The market and open-time span of the accepted klines when they are all one market's (and, on
 * 1m, one source's): the bulk statement's shared values. Undefined for any other batch.
 */
function oneMarketRange(klines: readonly Kline[], indexes: readonly number[], oneMinute: boolean): { marketType: MarketType; symbol: string; from: number; to: number } | undefined {
  const first = klines[indexes[0]];
  let from = first.openTime;
  let to = first.openTime;
  for (const i of indexes) {
    const k = klines[i];
    if (k.marketType !== first.marketType || k.symbol !== first.symbol || (oneMinute && k.source !== first.source)) return undefined;
    if (k.openTime < from) from = k.openTime;
    if (k.openTime > to) to = k.openTime;
  }
  return { marketType: first.marketType, symbol: first.symbol, from, to };
}

/**
 * A row read in `columnsOf(interval)` order (statements in `.raw()` mode: an array per row costs
 * half the CPU of an object per row in better-sqlite3) as a Kline. Column 12 is `source` (1m) or
 * `source_count` (bars).
 */
function fromRow(marketType: MarketType, interval: StoredInterval, r: KlineRowValues): Kline {
  const k: Kline = {
    marketType,
    symbol: r[0],
    interval,
    openTime: r[1],
    closeTime: r[2],
    open: r[3],
    high: r[4],
    low: r[5],
    close: r[6],
    volume: r[7],
    quoteVolume: r[8],
    trades: r[9],
    takerBuyBaseVolume: r[10],
    takerBuyQuoteVolume: r[11],
  };
  const last = r[12];
  if (interval === '1m') {
    if ((KLINE_SOURCES as readonly unknown[]).includes(last)) k.source = last as Kline['source'];
  } else if (last !== null) k.sourceCount = last as number;
  return k;
}

interface TableStatements {
  upsert: Database.Statement<KlineParams>;
  /** Prepared on first use: most tables never see a bulk write. */
  bulkUpsert: Database.Statement<unknown[]> | undefined;
  /** Some row of the market with open time in [from, to] (inclusive), or undefined. */
  anyIn: Database.Statement<[string, number, number], unknown>;
  readAll: Database.Statement<[number, number], KlineRowValues>;
  readSymbols: Database.Statement<[string, number, number], KlineRowValues>;
  countAll: Database.Statement<[number, number], { symbol: string; n: number }>;
  openTimes: Database.Statement<[string, number, number], number>;
  lastOpenTime: Database.Statement<[string], number | null>;
  symbolsWith: Database.Statement<[number, number], string>;
}

/** Key of a table's statements: the table's name. */
function tableKey(marketType: MarketType, interval: StoredInterval): string {
  return collectionName(marketType, interval);
}


/** Order of `marketHistory`: market types as MARKET_TYPES lists them. */
function typeRank(marketType: MarketType): number {
  return MARKET_TYPES.indexOf(marketType);
}

export interface SqliteStoreOptions {
  /** A file path or `:memory:`. The parent folder of a file is created. */
  path: string;
  /**
   * How long a statement waits for another process's write lock (default 5,000 ms). better-sqlite3
   * waits synchronously, freezing the event loop: a process that retries a busy store on its own,
   * asynchronously, sets this low.
   */
  busyTimeoutMs?: number;
}

export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5_000;


export class SqliteKlineStore implements KlineStore {
  readonly path: string;
  private db: Database.Database | undefined;
  private tables = new Map<string, TableStatements>();
  private csvStatements = new Map<string, Database.Statement<[string, number, number], { n: number; text: string | null }>>();
  private rowStatements = new Map<string, Database.Statement<[string, number, number], string>>();
  private resampleLog: SqliteResampleLog | undefined;
  private closed = false;

  private readonly busyTimeoutMs: number;

  constructor(options: SqliteStoreOptions | string) {
    this.path = typeof options === 'string' ? options : options.path;
    const busy = typeof options === 'string' ? undefined : options.busyTimeoutMs;
    if (busy !== undefined && (!Number.isSafeInteger(busy) || busy < 0)) throw new RangeError(`busyTimeoutMs: expected a whole number of ms ≥ 0, got ${busy}`);
    this.busyTimeoutMs = busy ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
  }

  /** The local deploy step (`npm start` runs it on its own file; `store migrate` on any file). */
  async applySchema(options: SchemaOptions = {}): Promise<string[]> {
    return this.guard('apply the schema', () => {
      const changes = applySqliteSchema(this.open(), options);
      this.tables.clear(); // statements prepared against the old tables are re-prepared on use
      this.csvStatements.clear();
      this.rowStatements.clear();
      this.resampleLog = undefined;
      return changes;
    });
  }

  async checkSchema(_options: SchemaOptions = {}): Promise<SchemaDifference[]> {
    return this.guard('check the schema', () => checkSqliteSchema(this.open()));
  }

  /** SQLite keeps every kline: retention is a MongoDB TTL (sqlite-schema.ts). */
  async readRetention(_marketType: MarketType): Promise<number | null> {
    return null;
  }

  /** True when the file holds none of the store's tables (a new file). */
  isEmpty(): boolean {
    return this.guard('inspect the file', () => isEmptySqliteStore(this.open()));
  }

  async upsert(interval: StoredInterval, klines: readonly Kline[]): Promise<UpsertResult> {
    const { accepted, failures } = prepareBatch(interval, klines);
    if (accepted.length === 0) return { written: 0, failures };
    const types = [...new Set(accepted.map((i) => klines[i].marketType))];
    const written = this.guard(`write ${types.map((t) => collectionName(t, interval)).join(', ')}`, () => {
      const oneMinute = interval === '1m';
      const log = oneMinute ? this.log() : undefined;
      const db = this.database();
      const perRow = (indexes: readonly number[]): number[] => {
        const statements = new Map(types.map((t) => [t, this.table(t, interval).upsert]));
        const changed: number[] = [];
        for (const i of indexes) if (statements.get(klines[i].marketType)!.run(...toParams(klines[i], oneMinute)).changes > 0) changed.push(i);
        return changed;
      };
      // A batch of one market (a dump file, a REST page) whose key range holds no row yet (a history
      // import's usual case) goes through the bulk statement: every row is then new, so every
      // minute changed. Otherwise the batch is written row by row, so the resample log names
      // exactly the changed minutes. IMMEDIATE: the check and the write see the same file.
      const writeAll = db.transaction((indexes: number[]) => {
        let changed: number[] | undefined;
        const range = indexes.length >= BULK_ROWS ? oneMarketRange(klines, indexes, oneMinute) : undefined;
        if (range && this.table(range.marketType, interval).anyIn.get(range.symbol, range.from, range.to) === undefined) {
          const changes = this.bulkWrite(klines, indexes, interval);
          if (changes !== indexes.length) throw new Error(`bulk upsert changed ${changes} of ${indexes.length} rows in an empty range`);
          changed = indexes;
        }
        changed ??= perRow(indexes);
        // Only minutes that changed: a redelivered batch leaves no work for the resampler.
        log?.appendRuns(minuteRuns(klines, changed));
        return changed.length;
      });
      return writeAll.immediate(accepted);
    });
    return { written, failures };
  }

  /**
   * One market's klines opening in [from, to) as data.binance.vision CSV rows (with their
   * newlines), concatenated by SQLite in open-time order: the CSV export's fast path.
   */
  async binanceCsvRows(marketType: MarketType, interval: StoredInterval, symbol: string, range: TimeRange): Promise<{ klines: number; text: string }> {
    return this.guard(`read ${collectionName(marketType, interval)}`, () => {
      const key = `${marketType}/${interval}`;
      let statement = this.csvStatements.get(key);
      if (statement === undefined) {
        statement = this.database().prepare<[string, number, number], { n: number; text: string | null }>(
          `SELECT COUNT(*) AS n, string_agg(${binanceCsvRowSql(marketType)}, '' ORDER BY open_time) AS text
           FROM ${collectionName(marketType, interval)} WHERE symbol = ? AND open_time >= ? AND open_time < ?`,
        );
        this.csvStatements.set(key, statement);
      }
      const row = statement.get(symbol, range.from, range.to)!;
      return { klines: row.n, text: row.text ?? '' };
    });
  }

  /**
   * One market's klines opening in [from, to) as export rows (core/export/export-rows.ts), one
   * string per kline in open-time order: the Parquet export's fast path (one value per row costs
   * half of the row's 13 values).
   */
  async exportRows(marketType: MarketType, interval: StoredInterval, symbol: string, range: TimeRange): Promise<string[]> {
    return this.guard(`read ${collectionName(marketType, interval)}`, () => {
      const key = `${marketType}/${interval}`;
      let statement = this.rowStatements.get(key);
      if (statement === undefined) {
        statement = this.database()
          .prepare<[string, number, number], string>(
            `SELECT ${exportRowSql(interval)} FROM ${collectionName(marketType, interval)} WHERE symbol = ? AND open_time >= ? AND open_time < ? ORDER BY open_time`,
          )
          .pluck();
        this.rowStatements.set(key, statement);
      }
      return statement.all(symbol, range.from, range.to);
    });
  }

  /** Writes one market's klines (`indexes`), BULK_ROWS per statement and the rest row by row; returns the rows changed. */
  private bulkWrite(klines: readonly Kline[], indexes: readonly number[], interval: StoredInterval): number {
    const first = klines[indexes[0]];
    const t = this.table(first.marketType, interval);
    const oneMinute = interval === '1m';
    const statement = (t.bulkUpsert ??= this.open().prepare<unknown[]>(bulkUpsertSql(first.marketType, interval)));
    const shared = oneMinute ? { symbol: first.symbol, source: first.source ?? null } : { symbol: first.symbol };
    const params: KlineParams = [];
    let changes = 0;
    let at = 0;
    for (; at + BULK_ROWS <= indexes.length; at += BULK_ROWS) {
      params.length = 0;
      for (let j = at; j < at + BULK_ROWS; j++) pushBulkParams(params, klines[indexes[j]], oneMinute);
      changes += statement.run(...params, shared).changes;
    }
    for (; at < indexes.length; at++) changes += t.upsert.run(...toParams(klines[indexes[at]], oneMinute)).changes;
    return changes;
  }

  async read(query: ReadQuery): Promise<Kline[]> {
    const { marketType, interval } = query;
    return this.guard(`read ${collectionName(marketType, interval)}`, () => {
      const t = this.table(marketType, interval);
      const rows =
        query.symbols === undefined
          ? t.readAll.all(query.from, query.to)
          : t.readSymbols.all(JSON.stringify(query.symbols), query.from, query.to);
      return rows.map((r) => fromRow(marketType, interval, r));
    });
  }

  async countByMarket(marketType: MarketType, interval: StoredInterval, range: TimeRange): Promise<Map<string, number>> {
    return this.guard(`count ${collectionName(marketType, interval)}`, () => {
      const rows = this.table(marketType, interval).countAll.all(range.from, range.to);
      return new Map(rows.map((r) => [r.symbol, r.n]));
    });
  }

  async countBySource(marketType: MarketType, range: TimeRange): Promise<Map<string, Record<KlineSource, number>>> {
    const table = collectionName(marketType, '1m');
    return this.guard(`count ${table} by source`, () => {
      const db = this.open();
      const migrate = `(run \`npm run cli -- store migrate --store sqlite:${this.path}\`)`;
      // Never a scan: without the index the count would read the table, and with an index of an
      // earlier key order (open_time first) every per-symbol seek would read the whole index.
      if (!hasSourceIndex(db, table)) throw new StoreUnavailableError(`SQLite store ${this.path}: index ${sourceIndexName(table)} is missing or of an earlier version ${migrate}`);
      let rows: { symbol: string; source: string; n: number }[];
      try {
        rows = db.prepare<[number, number], { symbol: string; source: string; n: number }>(countBySourceSql(table)).all(range.from, range.to);
      } catch (e) {
        if (/no such (index|table|column)/i.test(messageOf(e))) throw new StoreUnavailableError(`SQLite store ${this.path}: ${messageOf(e)} ${migrate}`, e);
        throw e;
      }
      const out = new Map<string, Record<KlineSource, number>>();
      for (const r of rows) {
        if (!(KLINE_SOURCES as readonly string[]).includes(r.source)) continue;
        let counts = out.get(r.symbol);
        if (!counts) out.set(r.symbol, (counts = { rest: 0, dump: 0 }));
        counts[r.source as KlineSource] += r.n;
      }
      return out;
    });
  }

  async symbolsWithKlines(marketType: MarketType, interval: StoredInterval, range: TimeRange): Promise<string[]> {
    return this.guard(`list symbols of ${collectionName(marketType, interval)}`, () => this.table(marketType, interval).symbolsWith.all(range.from, range.to));
  }

  async gaps(marketType: MarketType, interval: StoredInterval, range: TimeRange, symbols: readonly string[]): Promise<Map<string, TimeRange[]>> {
    return this.guard(`find gaps in ${collectionName(marketType, interval)}`, () => {
      const { openTimes } = this.table(marketType, interval);
      const step = intervalMs(interval);
      const result = new Map<string, TimeRange[]>();
      for (const symbol of symbols) {
        result.set(symbol, gapsFromOpenTimes(openTimes.iterate(symbol, range.from, range.to), range, step));
      }
      return result;
    });
  }

  async lastOpenTimes(interval: StoredInterval, markets: readonly MarketRef[]): Promise<Map<string, number>> {
    return this.guard(`read last open times (${interval})`, () => {
      const result = new Map<string, number>();
      for (const market of markets) {
        // One primary-key seek per market: MAX over the leading key column's range.
        const last = this.table(market.marketType, interval).lastOpenTime.get(market.symbol);
        if (typeof last === 'number') result.set(marketKey(market), last);
      }
      return result;
    });
  }

  async recordMarketStatus(events: readonly MarketStatusEvent[]): Promise<void> {
    assertMarketEvents(events);
    if (events.length === 0) return;
    this.guard('record market status', () => {
      const db = this.open();
      const insert = db.prepare<[string, string, number, string]>('INSERT OR IGNORE INTO markets (market_type, symbol, at, status) VALUES (?, ?, ?, ?)');
      db.transaction(() => {
        for (const e of events) insert.run(e.marketType, e.symbol, e.at, e.status);
      })();
    });
  }

  async marketHistory(markets?: readonly MarketRef[]): Promise<MarketStatusEvent[]> {
    return this.guard('read market history', () => {
      type Row = { market_type: string; symbol: string; status: string; at: number };
      const rows = markets
        ? this.open()
            // Primary-key lookups (market_type, symbol, …) for the given markets only.
            .prepare<[string], Row>(
              `SELECT market_type, symbol, status, at FROM markets
               WHERE (market_type, symbol) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
               ORDER BY symbol, at, status`,
            )
            .all(JSON.stringify(markets.map((m) => [m.marketType, m.symbol])))
        : this.open().prepare<[], Row>('SELECT market_type, symbol, status, at FROM markets ORDER BY symbol, at, status').all();
      const events = rows.map((r): MarketStatusEvent => {
        if (!isMarketStatus(r.status)) throw new StoreUnavailableError(`SQLite store ${this.path}: markets table holds unknown status "${r.status}"`);
        if (!isMarketType(r.market_type)) throw new StoreUnavailableError(`SQLite store ${this.path}: markets table holds unknown market type "${r.market_type}"`);
        return { marketType: r.market_type, symbol: r.symbol, status: r.status, at: r.at };
      });
      // Stable: within a type the SQL order (symbol, at, status) stays.
      return events.sort((a, b) => typeRank(a.marketType) - typeRank(b.marketType));
    });
  }

  async readResampleLog(limit: number): Promise<ResampleLogEntry[]> {
    return this.guard('read resample_log', () => this.log().read(limit));
  }

  async settleResampleLog(consumed: readonly string[], carried: readonly MinuteRun[]): Promise<void> {
    this.guard('settle resample_log', () => this.log().settle(consumed, carried));
  }

  async readResampleState(): Promise<ResampleWatermark[]> {
    return this.guard('read resample_state', () => this.log().state());
  }

  async writeResampleState(watermarks: readonly ResampleWatermark[]): Promise<void> {
    this.guard('write resample_state', () => this.log().writeWatermarks(watermarks));
  }

  async saveAudit(result: AuditResult): Promise<void> {
    this.guard(`save audit ${result.day}`, () => {
      this.open()
        .prepare<[string, string]>(`INSERT INTO ${AUDITS_TABLE} (day, result) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET result = excluded.result`)
        .run(result.day, auditText(result));
    });
  }

  async readAudits(range: TimeRange): Promise<AuditResult[]> {
    const days = auditDays(range);
    if (days.length === 0) return [];
    return this.guard('read audits', () => {
      const rows = this.open()
        .prepare<[string, string], { day: string; result: string }>(`SELECT day, result FROM ${AUDITS_TABLE} WHERE day >= ? AND day <= ? ORDER BY day`)
        .all(days[0], days[days.length - 1]);
      return rows.map((r) => parseAuditText(r.result, r.day, `SQLite store ${this.path}: audit of ${r.day}`));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.tables.clear();
    this.csvStatements.clear();
    this.rowStatements.clear();
    this.resampleLog = undefined;
    const db = this.db;
    this.db = undefined;
    if (db?.open) db.close();
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    if (this.closed) throw new StoreUnavailableError(`SQLite store ${this.path} is closed`);
    if (this.path !== ':memory:' && !this.path.startsWith('file:')) mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path);
    try {
      db.pragma('journal_mode = WAL');
      // WAL with synchronous=NORMAL is durable across application crashes; a power loss may
      // drop the last transactions, which the ingest re-sends (writes are idempotent).
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    return db;
  }

  private database(): Database.Database {
    return this.open();
  }

  /** The resample log's statements, prepared on first use (its tables come from the schema step). */
  private log(): SqliteResampleLog {
    const db = this.open();
    if (!this.resampleLog) {
      try {
        this.resampleLog = new SqliteResampleLog(db);
      } catch (e) {
        throw new StoreUnavailableError(`SQLite store ${this.path}: ${messageOf(e)} (run \`npm run cli -- store migrate --store sqlite:${this.path}\`)`, e);
      }
    }
    return this.resampleLog;
  }

  /** The table's statements, prepared on first use; a missing table names the schema step. */
  private table(marketType: MarketType, interval: StoredInterval): TableStatements {
    const db = this.open();
    const key = tableKey(marketType, interval);
    let t = this.tables.get(key);
    if (!t) {
      try {
        t = this.prepareTable(db, marketType, interval);
      } catch (e) {
        if (/no such table|no such column|has no column/i.test(messageOf(e))) {
          throw new StoreUnavailableError(
            `SQLite store ${this.path}: ${messageOf(e)}: the file's schema is not this version's (run \`npm run cli -- store migrate --store sqlite:${this.path}\`)`,
            e,
          );
        }
        throw e;
      }
      this.tables.set(key, t);
    }
    return t;
  }

  private prepareTable(db: Database.Database, marketType: MarketType, interval: StoredInterval): TableStatements {
    const table = collectionName(marketType, interval);
    const columns = columnsOf(interval).join(', ');
    const present = marketsPresentCte(table);
    return {
      upsert: db.prepare<KlineParams>(upsertSql(marketType, interval)),
      bulkUpsert: undefined,
      anyIn: db.prepare<[string, number, number], unknown>(`SELECT 1 FROM ${table} WHERE symbol = ? AND open_time >= ? AND open_time <= ? LIMIT 1`).pluck(),
      readAll: db
        .prepare<[number, number], KlineRowValues>(
          `${present} SELECT ${columns} FROM ${table}
           WHERE symbol IN (SELECT symbol FROM present WHERE symbol IS NOT NULL) AND open_time >= ? AND open_time < ?
           ORDER BY symbol, open_time`,
        )
        .raw(true),
      readSymbols: db
        .prepare<[string, number, number], KlineRowValues>(
          `SELECT ${columns} FROM ${table}
           WHERE symbol IN (SELECT value FROM json_each(?)) AND open_time >= ? AND open_time < ?
           ORDER BY symbol, open_time`,
        )
        .raw(true),
      countAll: db.prepare<[number, number], { symbol: string; n: number }>(
        `${present} SELECT symbol, COUNT(*) AS n FROM ${table}
         WHERE symbol IN (SELECT symbol FROM present WHERE symbol IS NOT NULL) AND open_time >= ? AND open_time < ?
         GROUP BY symbol`,
      ),
      openTimes: db
        .prepare<[string, number, number], number>(
          `SELECT open_time FROM ${table} WHERE symbol = ? AND open_time >= ? AND open_time < ? ORDER BY open_time`,
        )
        .pluck(),
      lastOpenTime: db.prepare<[string], number | null>(`SELECT MAX(open_time) FROM ${table} WHERE symbol = ?`).pluck(),
      // The distinct symbols by skipping through the primary key, then one seek each.
      symbolsWith: db
        .prepare<[number, number], string>(
          `${present} SELECT symbol FROM present
           WHERE symbol IS NOT NULL AND EXISTS (SELECT 1 FROM ${table} k WHERE k.symbol = present.symbol AND k.open_time >= ? AND k.open_time < ?)
           ORDER BY symbol`,
        )
        .pluck(),
    };
  }

  /** Run `fn`; a failure of SQLite itself (closed, locked, full, read-only) means the store is unavailable. */
  private guard<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw e;
      if (e instanceof Database.SqliteError || (e as { name?: unknown })?.name === 'SqliteError' || isClosedConnection(e) || isFileSystemError(e)) {
        throw new StoreUnavailableError(`SQLite store ${this.path}: cannot ${operation}: ${messageOf(e)}`, e);
      }
      throw e;
    }
  }
}

/**
 * A round-1 file's `markets` table has no market type and is keyed (symbol, at, status), so a
 * futures event would collide with the spot event of the same symbol, status and time. Rebuild
 * it keyed with the type, its rows becoming spot (what they were), in one transaction.
 */

// Errors from Node and the native module may come from another realm (e.g. under jest), so they
// are recognised by shape, not by `instanceof Error`.
function messageOf(e: unknown): string {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : String(e);
}

function isClosedConnection(e: unknown): boolean {
  return /database connection is not open/i.test(messageOf(e));
}

/** ENOENT, EACCES, ENOTDIR, EROFS…: the file system refused. */
function isFileSystemError(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
