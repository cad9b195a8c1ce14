/**
 * The SQLite schema and its one step: `applySqliteSchema` creates missing tables and adds the
 * columns a round-1 file lacks; `checkSqliteSchema` reports differences and changes nothing.
 * Kline tables are STRICT and WITHOUT ROWID, keyed (symbol, open_time): rows live in the
 * primary-key b-tree. There is no retention in SQLite (it is MongoDB's TTL).
 */
import type Database from 'better-sqlite3';
import { STORED_INTERVALS, collectionName, type StoredInterval } from '../interval';
import { MARKET_TYPES, type MarketType } from '../market';
import type { SchemaDifference, SchemaOptions } from './port';
import { RESAMPLE_SCHEMA_SQL } from './sqlite-resample-log';

/** Tables of the resampler's bookkeeping (sqlite-resample-log.ts), created by the same step. */
const RESAMPLE_TABLES: [string, string][] = [
  ['resample_log', RESAMPLE_SCHEMA_SQL[0]],
  ['resample_state', RESAMPLE_SCHEMA_SQL[1]],
];

export const MARKETS_TABLE = 'markets';

/** The daily dump audits (core/audit/record.ts): one row per UTC day, the result as JSON text. */
export const AUDITS_TABLE = 'audits';
const CREATE_AUDITS_SQL = `CREATE TABLE IF NOT EXISTS ${AUDITS_TABLE} (
  day TEXT NOT NULL PRIMARY KEY,
  result TEXT NOT NULL
) STRICT, WITHOUT ROWID`;

export function createKlineTableSql(marketType: MarketType, interval: StoredInterval): string {
  const table = collectionName(marketType, interval);
  return `CREATE TABLE IF NOT EXISTS ${table} (
    symbol TEXT NOT NULL,
    open_time INTEGER NOT NULL,
    close_time INTEGER NOT NULL,
    open TEXT NOT NULL,
    high TEXT NOT NULL,
    low TEXT NOT NULL,
    close TEXT NOT NULL,
    volume TEXT NOT NULL,
    quote_volume TEXT NOT NULL,
    trades INTEGER NOT NULL,
    taker_buy_base_volume TEXT NOT NULL,
    taker_buy_quote_volume TEXT NOT NULL,${interval === '1m' ? '\n    source TEXT,' : '\n    source_count INTEGER NOT NULL,'}
    PRIMARY KEY (symbol, open_time)
  ) STRICT, WITHOUT ROWID`;
}

/**
 * The provenance index of a 1m table: only rows not from the stream (source IS NOT NULL), in the
 * table's own key order (symbol, open_time), so a history import, market after market, appends
 * to it as it appends to the table; keyed by open_time first, every imported row landed at a
 * scattered position (≈ 15 % of the import's CPU). `countBySource` names it with INDEXED BY and
 * reads a day with one range seek per symbol in it (`countBySourceSql`).
 */
export function sourceIndexName(table: string): string {
  return `${table}_source`;
}

export function createSourceIndexSql(table: string): string {
  return `CREATE INDEX IF NOT EXISTS ${sourceIndexName(table)} ON ${table} (symbol, open_time, source) WHERE source IS NOT NULL`;
}

function indexSql(db: Database.Database, name: string): string | undefined {
  return db.prepare<[string], string>("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?").pluck().get(name);
}

/** The stored definition equals ours up to spacing and `IF NOT EXISTS` (SQLite keeps the text as written). */
function sameIndexSql(stored: string, table: string): boolean {
  const norm = (x: string) => x.replace(/IF NOT EXISTS\s+/i, '').replace(/\s+/g, ' ').trim().toLowerCase();
  return norm(stored) === norm(createSourceIndexSql(table));
}

/** True when the table's provenance index exists in this version's definition. */
export function hasSourceIndex(db: Database.Database, table: string): boolean {
  const stored = indexSql(db, sourceIndexName(table));
  return stored !== undefined && sameIndexSql(stored, table);
}

const CREATE_MARKETS_SQL = `CREATE TABLE IF NOT EXISTS ${MARKETS_TABLE} (
  market_type TEXT NOT NULL,
  symbol TEXT NOT NULL,
  at INTEGER NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (market_type, symbol, at, status)
) STRICT, WITHOUT ROWID`;

/** Every kline table: one per market type and stored interval. */
function klineTables(): { table: string; marketType: MarketType; interval: StoredInterval }[] {
  return MARKET_TYPES.flatMap((marketType) => STORED_INTERVALS.map((interval) => ({ table: collectionName(marketType, interval), marketType, interval })));
}

/** Round 1's markets table has no market_type: rebuild it with every event as spot. Returns true if it did. */
function upgradeMarketsTable(db: Database.Database): boolean {
  const columns = columnsOf(db, MARKETS_TABLE);
  if (columns.size === 0 || columns.has('market_type')) return false;
  db.exec(`ALTER TABLE ${MARKETS_TABLE} RENAME TO markets_round1`);
  db.exec(CREATE_MARKETS_SQL);
  db.exec(`INSERT INTO ${MARKETS_TABLE} (market_type, symbol, at, status) SELECT 'spot', symbol, at, status FROM markets_round1`);
  db.exec('DROP TABLE markets_round1');
  return true;
}

/** Columns added after round 1, per interval: [column, ALTER TABLE … ADD COLUMN definition]. */
function addedColumns(interval: StoredInterval): [string, string][] {
  return interval === '1m' ? [['source', 'source TEXT']] : [];
}

function tableSql(db: Database.Database, table: string): string | undefined {
  return db.prepare<[string], string>("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(table);
}

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set(db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all().map((c) => c.name));
}

/** True when the file holds none of our tables (a fresh file). */
export function isEmptySqliteStore(db: Database.Database): boolean {
  const tables = [...klineTables().map((t) => t.table), MARKETS_TABLE];
  return tables.every((t) => tableSql(db, t) === undefined);
}

export function checkSqliteSchema(db: Database.Database): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const migrate = 'run `npm run cli -- store migrate --store sqlite:PATH`';
  for (const { table, interval } of klineTables()) {
    const sql = tableSql(db, table);
    if (sql === undefined) {
      out.push({ kind: 'missing-collection', collection: table, message: `table ${table} is missing (${migrate})` });
      continue;
    }
    if (!/WITHOUT\s+ROWID/i.test(sql)) {
      out.push({ kind: 'index-differs', collection: table, message: `table ${table} is not WITHOUT ROWID: rows are not stored in (symbol, open_time) order` });
    }
    const columns = columnsOf(db, table);
    for (const [column] of addedColumns(interval)) {
      if (!columns.has(column)) out.push({ kind: 'missing-column', collection: table, message: `table ${table} has no column ${column} (${migrate})` });
    }
    if (interval !== '1m') continue;
    const source = indexSql(db, sourceIndexName(table));
    if (source === undefined) {
      out.push({ kind: 'missing-index', collection: table, message: `table ${table} has no index ${sourceIndexName(table)}: counting klines by source fails (${migrate})` });
    } else if (!sameIndexSql(source, table)) {
      out.push({ kind: 'index-differs', collection: table, message: `table ${table}: index ${sourceIndexName(table)} is "${source}", expected "${createSourceIndexSql(table)}" (${migrate}: it rebuilds the index)` });
    }
  }
  for (const table of [MARKETS_TABLE, ...RESAMPLE_TABLES.map(([t]) => t), AUDITS_TABLE]) {
    if (tableSql(db, table) === undefined) out.push({ kind: 'missing-collection', collection: table, message: `table ${table} is missing (${migrate})` });
  }
  const markets = columnsOf(db, MARKETS_TABLE);
  if (markets.size > 0 && !markets.has('market_type')) {
    out.push({ kind: 'missing-column', collection: MARKETS_TABLE, message: `table ${MARKETS_TABLE} has no column market_type (round 1; ${migrate})` });
  }
  return out;
}

/** Make the file match the schema in one transaction; idempotent. Returns one line per change. */
export function applySqliteSchema(db: Database.Database, options: SchemaOptions = {}): string[] {
  const changes: string[] = [];
  const changed = (line: string) => {
    changes.push(line);
    options.progress?.(line);
  };
  db.transaction(() => {
    for (const { table, marketType, interval } of klineTables()) {
      if (tableSql(db, table) === undefined) {
        db.exec(createKlineTableSql(marketType, interval));
        changed(`${table}: created`);
      } else {
        const columns = columnsOf(db, table);
        for (const [column, definition] of addedColumns(interval)) {
          if (columns.has(column)) continue;
          db.exec(`ALTER TABLE ${table} ADD COLUMN ${definition}`);
          changed(`${table}: added column ${column}`);
        }
      }
      if (interval !== '1m') continue;
      const source = indexSql(db, sourceIndexName(table));
      if (source !== undefined && !sameIndexSql(source, table)) {
        // Another definition (the earlier key order (open_time, source)): derived data, so a rebuild loses nothing.
        db.exec(`DROP INDEX ${sourceIndexName(table)}`);
        db.exec(createSourceIndexSql(table));
        changed(`${table}: rebuilt index ${sourceIndexName(table)} as (symbol, open_time, source) (was "${source}")`);
      } else if (source === undefined) {
        db.exec(createSourceIndexSql(table));
        changed(`${table}: created index ${sourceIndexName(table)} (klines not from the stream)`);
      }
    }
    if (upgradeMarketsTable(db)) changed(`${MARKETS_TABLE}: added column market_type (round-1 events are spot)`);
    for (const [table, sql] of [[MARKETS_TABLE, CREATE_MARKETS_SQL], ...RESAMPLE_TABLES, [AUDITS_TABLE, CREATE_AUDITS_SQL]]) {
      if (tableSql(db, table) !== undefined) continue;
      db.exec(sql);
      changed(`${table}: created`);
    }
  })();
  if (typeof options.retentionDays === 'number') options.progress?.('SQLite keeps every kline: retention is a MongoDB TTL, ignored here');
  return changes;
}
