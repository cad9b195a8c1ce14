import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStoreUrl, type StoreConfig } from '../../../core/config';
import { ConfigError } from '../../../core/errors';
import { openStore } from '../../../core/store';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { T0, makeSeries } from './fixtures';

describe('openStore', () => {
  test('opens an initialised SQLite store from sqlite:PATH', async () => {
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
