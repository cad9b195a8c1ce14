import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../../core/errors';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { describeKlineStoreContract, type StoreHarness } from './contract';
import { T0, makeSeries } from './fixtures';

function fileHarness(): StoreHarness {
  const dir = mkdtempSync(join(tmpdir(), 'kline-store-'));
  const path = join(dir, 'nested', 'klines.db');
  const openAt = async (p: string) => {
    const s = new SqliteKlineStore({ path: p });
    await s.init();
    return s;
  };
  return {
    open: () => openAt(path),
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
    async open() {
      const s = new SqliteKlineStore(':memory:');
      await s.init();
      return s;
    },
    async outage() {
      const store = new SqliteKlineStore(':memory:');
      await store.init();
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
      await first.init();
      await first.upsert('1m', makeSeries(['BTCUSDT'], T0, 3));
      await first.close();

      const second = new SqliteKlineStore({ path });
      await second.init();
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
      await seed.init();
      await seed.close();
      const store = new SqliteKlineStore({ path: join(blocker, 'klines.db') });

      const attempt = store.init();

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
      await store.init();
      await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 1));

      expect(statSync(join(dir, 'k.db-wal')).isFile()).toBe(true);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('using a store before init() rejects with StoreUnavailableError', async () => {
    const store = new SqliteKlineStore(':memory:');

    await expect(store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 1 })).rejects.toThrow(/not initialised/);
    await expect(store.upsert('1m', makeSeries(['BTCUSDT'], T0, 1))).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
