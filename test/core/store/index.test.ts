import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStoreUrl, type StoreConfig } from '../../../core/config';
import { ConfigError } from '../../../core/errors';
import { migrateStore, openStore } from '../../../core/store';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { T0, makeSeries } from './fixtures';

describe('openStore', () => {
  test('a new SQLite file gets its schema (nobody else deploys it); an existing one is only checked and warned about', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-store-'));
    try {
      const path = join(dir, 'k.db');
      const fresh = await openStore(parseStoreUrl(`sqlite:${path}`), { warn: () => undefined });
      await fresh.close();
      const db = new Database(path);
      db.exec('DROP TABLE klines_1h');
      db.close();
      const warnings: string[] = [];

      const existing = await openStore(parseStoreUrl(`sqlite:${path}`), { warn: (m) => warnings.push(m) });
      const after = await existing.checkSchema();
      await existing.close();

      expect(warnings).toStrictEqual([expect.stringMatching(/^table klines_1h is missing \(run `npm run cli -- store migrate/)]);
      expect(after.map((d) => d.collection)).toStrictEqual(['klines_1h']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('mustExist: a missing SQLite file is refused, not created (nor its folder); an existing one opens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-store-'));
    try {
      const missing = join(dir, 'sub', 'k.db');
      await expect(openStore(parseStoreUrl(`sqlite:${missing}`), { mustExist: true })).rejects.toThrow(`sqlite:${missing} does not exist`);
      expect(existsSync(join(dir, 'sub'))).toBe(false);
      const path = join(dir, 'k.db');
      await (await openStore(parseStoreUrl(`sqlite:${path}`))).close();
      await (await openStore(parseStoreUrl(`sqlite:${path}`), { mustExist: true })).close();
      await (await openStore(parseStoreUrl('sqlite::memory:'), { mustExist: true })).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("schema: 'apply' (the local pipeline) brings an existing file up to date", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-store-'));
    try {
      const path = join(dir, 'k.db');
      await (await openStore(parseStoreUrl(`sqlite:${path}`))).close();
      const db = new Database(path);
      db.exec('DROP TABLE klines_1h');
      db.close();
      const warnings: string[] = [];

      const store = await openStore(parseStoreUrl(`sqlite:${path}`), { schema: 'apply', warn: (m) => warnings.push(m) });
      const after = await store.checkSchema();
      await store.close();

      expect(warnings).toStrictEqual([]);
      expect(after).toStrictEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('migrateStore applies the schema and closes the store; a second run changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-store-'));
    try {
      const config = parseStoreUrl(`sqlite:${join(dir, 'k.db')}`);
      const lines: string[] = [];

      const first = await migrateStore(config, { progress: (l) => lines.push(l) });
      const second = await migrateStore(config);

      expect(first).toContain('klines_1m: created');
      expect(lines).toStrictEqual(first);
      expect(second).toStrictEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses a MongoDB time limit that is not a positive integer, naming MONGODB_MAX_TIME_MS', async () => {
    await expect(openStore({ kind: 'mongodb', uri: 'mongodb://127.0.0.1:1', database: 'k' }, { maxTimeMS: 0 })).rejects.toThrow(/^MONGODB_MAX_TIME_MS: /);
  });

  test('opens a SQLite store with its schema from sqlite:PATH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-store-'));
    try {
      const store = await openStore(parseStoreUrl(`sqlite:${join(dir, 'data', 'k.db')}`));

      const result = await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 2));
      await store.close();

      expect(store).toBeInstanceOf(SqliteKlineStore);
      expect(result).toStrictEqual({ written: 2, failures: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each<[string, unknown]>([
    ['an unknown kind', { kind: 'postgres', path: 'x' }],
    ['a SQLite config without a path', { kind: 'sqlite', path: '' }],
    ['a MongoDB config without a database', { kind: 'mongodb', uri: 'mongodb://127.0.0.1:1', database: '' }],
    ['a MongoDB URI the driver cannot parse', { kind: 'mongodb', uri: 'mongodb://127.0.0.1:1/?ssl=maybe', database: 'k' }],
  ])('refuses %s with a ConfigError naming KLINE_STORE', async (_name, config) => {
    const attempt = openStore(config as StoreConfig);

    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/^KLINE_STORE: /);
  });

  test('names the setting the config came from', async () => {
    await expect(openStore({ kind: 'sqlite', path: '' }, { setting: 'MONGODB_URI' })).rejects.toThrow(/^MONGODB_URI: /);
  });

  test('refuses a retention that is not a positive number of days, naming KLINE_1M_RETENTION_DAYS', async () => {
    const attempt = openStore({ kind: 'mongodb', uri: 'mongodb://127.0.0.1:1', database: 'k' }, { retentionDays: -3 });

    await expect(attempt).rejects.toThrow(/^KLINE_1M_RETENTION_DAYS: /);
  });
});
