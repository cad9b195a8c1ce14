import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../../core/errors';
import Database from 'better-sqlite3';
import { STORED_INTERVALS } from '../../../core/interval';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { describeKlineStoreContract, type StoreHarness } from './contract';
import { T0, makeSeries } from './fixtures';

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
      db.exec('ALTER TABLE klines_1m DROP COLUMN source'); // as round 1 created it
      db.close();
      const old = new SqliteKlineStore({ path });

      const differences = await old.checkSchema();
      const changes = await old.applySchema();

      expect(differences.map((d) => [d.kind, d.collection])).toStrictEqual([['missing-column', 'klines_1m']]);
      expect(changes).toStrictEqual(['klines_1m: added column source']);
      expect(await old.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 120_000 })).toStrictEqual(makeSeries(['BTCUSDT'], T0, 2));
      expect(await old.checkSchema()).toStrictEqual([]);
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
    await store.close();
  });
});
