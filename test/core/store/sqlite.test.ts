import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../../core/errors';
import Database from 'better-sqlite3';
import { STORED_INTERVALS } from '../../../core/interval';
import { SqliteKlineStore, countBySourceSql } from '../../../core/store/sqlite';
import { describeKlineStoreContract, type StoreHarness } from './contract';
import { MINUTE, T0, makeKline, makeSeries, ofType } from './fixtures';

function fileHarness(): StoreHarness {
  const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
  const path = join(dir, 'nested', 'klines.db');
  const openAt = async (p: string) => {
    const s = new SqliteKlineStore({ path: p });
    await s.applySchema();
    return s;
  };
  let bare = 0;
  return {
    open: () => openAt(path),
    openBare: async () => new SqliteKlineStore({ path: join(dir, `bare-${bare++}.db`) }),
    async outage() {
      // The database is closed under the store, as when the process lost its file handle.
      const store = await openAt(join(dir, 'outage.db'));
      await store.close();
      return { store, recover: () => openAt(join(dir, 'outage.db')) };
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function memoryHarness(): StoreHarness {
  return {
    openBare: async () => new SqliteKlineStore(':memory:'),
    async open() {
      const s = new SqliteKlineStore(':memory:');
      await s.applySchema();
      return s;
    },
    async outage() {
      const store = new SqliteKlineStore(':memory:');
      await store.applySchema();
      await store.close();
      return { store, recover: () => this.open() };
    },
  };
}

describeKlineStoreContract('SQLite file', fileHarness);
describeKlineStoreContract('SQLite :memory:', memoryHarness);

describe('SqliteKlineStore', () => {
  test('creates the parent folder of a file path and keeps data across reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    const path = join(dir, 'a', 'b', 'klines.db');
    try {
      const first = new SqliteKlineStore({ path });
      await first.applySchema();
      await first.upsert('1m', makeSeries(['BTCUSDT'], T0, 3));
      await first.close();

      const second = new SqliteKlineStore({ path });
      await second.applySchema();
      const counts = await second.countByMarket('spot', '1m', { from: T0, to: T0 + 3 * 60_000 });
      await second.close();

      expect(statSync(path).isFile()).toBe(true);
      expect(counts).toStrictEqual(new Map([['BTCUSDT', 3]]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a path under a file (no folder can be made there) fails init with StoreUnavailableError naming the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    const blocker = join(dir, 'not-a-folder.db');
    try {
      const seed = new SqliteKlineStore({ path: blocker });
      await seed.applySchema();
      await seed.close();
      const store = new SqliteKlineStore({ path: join(blocker, 'klines.db') });

      const attempt = store.applySchema();

      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(blocker);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('uses WAL journaling for a file database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    try {
      const store = new SqliteKlineStore({ path: join(dir, 'k.db') });
      await store.applySchema();
      await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 1));

      expect(statSync(join(dir, 'k.db-wal')).isFile()).toBe(true);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('using a store before its schema step rejects with StoreUnavailableError naming the step', async () => {
    const store = new SqliteKlineStore(':memory:');

    await expect(store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 1 })).rejects.toThrow(/no such table: klines_1m.*store migrate --store sqlite::memory:/);
    await expect(store.upsert('1m', makeSeries(['BTCUSDT'], T0, 1))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test('kline tables are WITHOUT ROWID, keyed (symbol, open_time); 1m has a nullable source column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    try {
      const path = join(dir, 'k.db');
      const store = new SqliteKlineStore({ path });
      await store.applySchema();
      await store.close();
      const db = new Database(path, { readonly: true });
      const sql = db.prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name LIKE 'klines_%'").all();
      const source = db.prepare<[], { notnull: number; type: string }>("SELECT \"notnull\", type FROM pragma_table_info('klines_1m') WHERE name = 'source'").get();
      const key = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('klines_5m') WHERE pk > 0 ORDER BY pk").all();
      db.close();

      expect(sql.map((t) => t.name).sort()).toStrictEqual(STORED_INTERVALS.map((i) => `klines_${i}`).sort());
      expect(sql.every((t) => /\) STRICT, WITHOUT ROWID$/.test(t.sql))).toBe(true);
      expect(source).toStrictEqual({ notnull: 0, type: 'TEXT' });
      expect(key.map((k) => k.name)).toStrictEqual(['symbol', 'open_time']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('migrates a round-1 file: adds the source column, keeps the data; the check reports it until then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    try {
      const path = join(dir, 'k.db');
      const store = new SqliteKlineStore({ path });
      await store.applySchema();
      await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 2));
      await store.close();
      const db = new Database(path);
      db.exec('DROP INDEX klines_1m_source');
      db.exec('ALTER TABLE klines_1m DROP COLUMN source'); // as round 1 created it
      db.close();
      const old = new SqliteKlineStore({ path });

      const differences = await old.checkSchema();
      const changes = await old.applySchema();

      expect(differences.map((d) => [d.kind, d.collection])).toStrictEqual([['missing-column', 'klines_1m'], ['missing-index', 'klines_1m']]);
      expect(changes).toStrictEqual(['klines_1m: added column source', 'klines_1m: created index klines_1m_source (klines not from the stream)']);
      expect(await old.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 120_000 })).toStrictEqual(makeSeries(['BTCUSDT'], T0, 2));
      expect(await old.checkSchema()).toStrictEqual([]);
      await old.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file without the provenance index: the check names it, countBySource refuses naming the migration (never a table scan), the schema step adds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    try {
      const path = join(dir, 'k.db');
      const store = new SqliteKlineStore({ path });
      await store.applySchema();
      await store.upsert('1m', [{ ...makeKline('BTCUSDT', T0), source: 'rest' }]);
      await store.close();
      const db = new Database(path);
      db.exec('DROP INDEX klines_1m_source');
      db.close();
      const old = new SqliteKlineStore({ path });

      const differences = await old.checkSchema();
      const failure = await old.countBySource('spot', { from: T0, to: T0 + 60_000 }).catch((e: unknown) => e);
      const changes = await old.applySchema();

      expect(differences).toStrictEqual([expect.objectContaining({ kind: 'missing-index', collection: 'klines_1m', message: expect.stringContaining('klines_1m_source') })]);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(/klines_1m_source.*store migrate/);
      expect(changes).toStrictEqual(['klines_1m: created index klines_1m_source (klines not from the stream)']);
      expect([...(await old.countBySource('spot', { from: T0, to: T0 + 60_000 })).entries()]).toStrictEqual([['BTCUSDT', { rest: 1, dump: 0 }]]);
      await old.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the provenance index is partial, in the table’s key order, and the count only seeks it: SQLite’s plan for countBySource', async () => {
    const store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    await store.upsert('1m', [...makeSeries(['BTCUSDT'], T0, 50), { ...makeKline('ETHUSDT', T0), source: 'dump' }]);
    const db = (store as unknown as { open(): Database.Database }).open();

    const sql = db.prepare<[], string>("SELECT sql FROM sqlite_schema WHERE name = 'klines_1m_source'").pluck().get();
    const entries = db.prepare<[], number>('SELECT COUNT(*) FROM klines_1m INDEXED BY klines_1m_source WHERE source IS NOT NULL').pluck().get();
    const plan = db
      .prepare<[number, number], { detail: string }>(`EXPLAIN QUERY PLAN ${countBySourceSql('klines_1m')}`)
      .all(T0, T0 + 60_000)
      .map((r) => r.detail);

    expect(sql).toMatch(/\(symbol, open_time, source\) WHERE source IS NOT NULL$/);
    expect(entries).toBe(1);
    // Symbols by one seek each, then one range seek per symbol: no SCAN of the table or the index.
    expect(plan).toContain('SEARCH klines_1m USING COVERING INDEX klines_1m_source (symbol>?)');
    expect(plan).toContain('SEARCH k USING COVERING INDEX klines_1m_source (symbol=? AND open_time>? AND open_time<?)');
    expect(plan.filter((p) => /^SCAN/.test(p))).toStrictEqual(['SCAN sourced', 'SCAN sourced']);
    await store.close();
  });

  test('migrates the provenance index of the earlier key order (open_time, source): the check names it, countBySource refuses it, the schema step rebuilds it with every entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
    try {
      const path = join(dir, 'k.db');
      const store = new SqliteKlineStore({ path });
      await store.applySchema();
      await store.upsert('1m', [...makeSeries(['BTCUSDT'], T0, 3), { ...makeKline('ETHUSDT', T0), source: 'dump' }, { ...makeKline('ETHUSDT', T0 + MINUTE), source: 'rest' }]);
      await store.close();
      const db = new Database(path);
      db.exec('DROP INDEX klines_1m_source');
      db.exec('CREATE INDEX klines_1m_source ON klines_1m (open_time, source) WHERE source IS NOT NULL'); // as the previous version made it
      db.close();
      const old = new SqliteKlineStore({ path });

      const differences = await old.checkSchema();
      const failure = await old.countBySource('spot', { from: T0, to: T0 + 60_000 }).catch((e: unknown) => e);
      const changes = await old.applySchema();
      const again = await old.applySchema();

      expect(differences).toStrictEqual([expect.objectContaining({ kind: 'index-differs', collection: 'klines_1m', message: expect.stringMatching(/klines_1m_source.*\(open_time, source\).*store migrate/) })]);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(/klines_1m_source.*earlier version.*store migrate/);
      expect(changes).toStrictEqual([expect.stringMatching(/^klines_1m: rebuilt index klines_1m_source as \(symbol, open_time, source\) \(was .*\(open_time, source\)/)]);
      expect(again).toStrictEqual([]);
      expect(await old.checkSchema()).toStrictEqual([]);
      expect([...(await old.countBySource('spot', { from: T0, to: T0 + 2 * MINUTE })).entries()]).toStrictEqual([['ETHUSDT', { rest: 1, dump: 1 }]]);
      await old.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('retention is a MongoDB TTL: SQLite says it ignores it and keeps every kline', async () => {
    const store = new SqliteKlineStore(':memory:');
    const lines: string[] = [];

    await store.applySchema({ retentionDays: 7, progress: (l) => lines.push(l) });

    expect(lines.at(-1)).toBe('SQLite keeps every kline: retention is a MongoDB TTL, ignored here');
    expect(await store.checkSchema({ retentionDays: 7 })).toStrictEqual([]);
    expect(await store.readRetention('spot')).toBeNull(); // so history imports any day into SQLite
    await store.close();
  });
});

describe('a round-1 SQLite file (before market types)', () => {
  /** The tables exactly as round 1 created them (commit 6bfccad), with one spot market's data. */
  function writeRound1File(path: string): void {
    const db = new Database(path);
    db.exec(`CREATE TABLE klines_1m (
    symbol TEXT NOT NULL, open_time INTEGER NOT NULL, close_time INTEGER NOT NULL,
    open TEXT NOT NULL, high TEXT NOT NULL, low TEXT NOT NULL, close TEXT NOT NULL,
    volume TEXT NOT NULL, quote_volume TEXT NOT NULL, trades INTEGER NOT NULL,
    taker_buy_base_volume TEXT NOT NULL, taker_buy_quote_volume TEXT NOT NULL,
    PRIMARY KEY (symbol, open_time)
  ) STRICT, WITHOUT ROWID`);
    db.exec(`CREATE TABLE markets (
    symbol TEXT NOT NULL, at INTEGER NOT NULL, status TEXT NOT NULL,
    PRIMARY KEY (symbol, at, status)
  ) STRICT, WITHOUT ROWID`);
    const insert = db.prepare('INSERT INTO klines_1m VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const k of makeSeries(['BTCUSDT'], T0, 3)) {
      insert.run(k.symbol, k.openTime, k.closeTime, k.open, k.high, k.low, k.close, k.volume, k.quoteVolume, k.trades, k.takerBuyBaseVolume, k.takerBuyQuoteVolume);
    }
    db.prepare('INSERT INTO markets VALUES (?, ?, ?)').run('BTCUSDT', T0, 'TRADING');
    db.close();
  }

  test('its spot klines and status history read back as spot, and a futures event of the same key is kept apart', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'kline-round1-'));
    const path = join(dir, 'round1.db');
    writeRound1File(path);
    const store = new SqliteKlineStore({ path });
    try {
      // Act
      await store.applySchema();
      await store.recordMarketStatus([{ marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }]);
      await store.upsert('1m', ofType('usdm', makeSeries(['BTCUSDT'], T0, 1)));

      // Assess
      const range = { from: T0, to: T0 + 3 * MINUTE };
      expect(await store.read({ marketType: 'spot', interval: '1m', ...range })).toStrictEqual(makeSeries(['BTCUSDT'], T0, 3));
      expect(await store.read({ marketType: 'usdm', interval: '1m', ...range })).toStrictEqual(ofType('usdm', makeSeries(['BTCUSDT'], T0, 1)));
      expect(await store.marketHistory()).toStrictEqual([
        { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
        { marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
      ]);
      expect(await store.lastOpenTimes('1m', [{ marketType: 'spot', symbol: 'BTCUSDT' }])).toStrictEqual(new Map([['spot:BTCUSDT', T0 + 2 * MINUTE]]));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('opening it twice upgrades the markets table once and loses no event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-round1-'));
    const path = join(dir, 'round1.db');
    writeRound1File(path);
    try {
      for (let i = 0; i < 2; i++) {
        const store = new SqliteKlineStore({ path });
        await store.applySchema();
        expect(await store.marketHistory()).toStrictEqual([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }]);
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
