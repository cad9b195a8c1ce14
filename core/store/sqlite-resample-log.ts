/**
 * `resample_log` and `resample_state` in the SQLite store (see `resample-log.ts`). The kline
 * upsert calls `appendRuns` inside its own transaction, so a 1m kline is never stored without
 * its log entry.
 */
import type Database from 'better-sqlite3';
import { MARKET_TYPES, type MarketType } from '../market';
import { assertRuns, assertWatermarks, type MinuteRun, type ResampleLogEntry, type ResampleWatermark } from './resample-log';

export const RESAMPLE_SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS resample_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    runs TEXT NOT NULL
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS resample_state (
    market_type TEXT NOT NULL,
    interval TEXT NOT NULL,
    watermark INTEGER NOT NULL,
    PRIMARY KEY (market_type, interval)
  ) STRICT, WITHOUT ROWID`,
];

/** Runs as stored: [marketType, symbol, from, to] tuples keep the text short. */
type StoredRun = [MarketType, string, number, number];

export class SqliteResampleLog {
  private readonly insert: Database.Statement<[string]>;
  private readonly readOldest: Database.Statement<[number], { id: number; runs: string }>;
  private readonly remove: Database.Statement<[string]>;
  private readonly readState: Database.Statement<[], { market_type: string; interval: string; watermark: number }>;
  private readonly writeState: Database.Statement<[string, string, number]>;

  constructor(private readonly db: Database.Database) {
    // The tables come from the schema step (sqlite-schema.ts); a file without them fails here.
    this.insert = db.prepare('INSERT INTO resample_log (runs) VALUES (?)');
    this.readOldest = db.prepare('SELECT id, runs FROM resample_log ORDER BY id LIMIT ?');
    this.remove = db.prepare('DELETE FROM resample_log WHERE id IN (SELECT value FROM json_each(?))');
    this.readState = db.prepare('SELECT market_type, interval, watermark FROM resample_state');
    this.writeState = db.prepare(
      'INSERT INTO resample_state (market_type, interval, watermark) VALUES (?, ?, ?) ON CONFLICT (market_type, interval) DO UPDATE SET watermark = excluded.watermark',
    );
  }

  /** Call inside the transaction that wrote the klines. */
  appendRuns(runs: readonly MinuteRun[]): void {
    if (runs.length === 0) return;
    this.insert.run(JSON.stringify(runs.map((r): StoredRun => [r.marketType, r.symbol, r.from, r.to])));
  }

  read(limit: number): ResampleLogEntry[] {
    if (!Number.isInteger(limit) || limit <= 0) throw new RangeError(`resample log: limit must be a positive integer, got ${limit}`);
    return this.readOldest.all(limit).map((row) => ({
      id: String(row.id),
      runs: (JSON.parse(row.runs) as StoredRun[]).map(([marketType, symbol, from, to]) => ({ marketType, symbol, from, to })),
    }));
  }

  settle(consumed: readonly string[], carried: readonly MinuteRun[]): void {
    assertRuns(carried);
    this.db.transaction(() => {
      this.appendRuns(carried);
      if (consumed.length > 0) this.remove.run(JSON.stringify(consumed.map(Number)));
    })();
  }

  state(): ResampleWatermark[] {
    return this.readState
      .all()
      .filter((r) => (MARKET_TYPES as readonly string[]).includes(r.market_type))
      .map((r) => ({ marketType: r.market_type as MarketType, interval: r.interval, watermark: r.watermark }));
  }

  writeWatermarks(watermarks: readonly ResampleWatermark[]): void {
    assertWatermarks(watermarks);
    this.db.transaction(() => {
      for (const w of watermarks) this.writeState.run(w.marketType, w.interval, w.watermark);
    })();
  }
}
