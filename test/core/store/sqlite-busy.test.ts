/**
 * A foreign write lock on the SQLite file: better-sqlite3 waits for it synchronously, so the wait
 * freezes the whole process. `busyTimeoutMs` bounds that wait; the local pipeline sets it low and
 * retries the batch asynchronously.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../../core/errors';
import { createStore } from '../../../core/store';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { T0, makeSeries } from './fixtures';

describe('SQLite store under a foreign write lock', () => {
  let dir: string;
  let path: string;
  let foreign: Database.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-busy-'));
    path = join(dir, 'k.db');
    const setup = new SqliteKlineStore(path);
    await setup.applySchema();
    await setup.close();
    foreign = new Database(path);
    foreign.prepare('BEGIN IMMEDIATE').run();
  });

  afterEach(() => {
    if (foreign.inTransaction) foreign.prepare('ROLLBACK').run();
    foreign.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives up after busyTimeoutMs with a retryable "store unavailable", then writes once the lock is gone', async () => {
    // Prepare
    const store = new SqliteKlineStore({ path, busyTimeoutMs: 50 });
    const klines = makeSeries(['BTCUSDT'], T0, 3);
    try {
      // Act
      const started = Date.now();
      const refused = await store.upsert('1m', klines).then(() => undefined, (e: unknown) => e);
      const waited = Date.now() - started;
      foreign.prepare('ROLLBACK').run();
      await store.upsert('1m', klines);

      // Assess: refused well before the 5 s default would have answered, and nothing lost after
      expect(refused).toBeInstanceOf(StoreUnavailableError);
      expect((refused as Error).message).toMatch(/locked|busy/i);
      expect(waited).toBeLessThan(4_000);
      expect((await store.countByMarket('spot', '1m', { from: T0, to: T0 + 3 * 60_000 })).get('BTCUSDT')).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('is passed through createStore (sqliteBusyTimeoutMs)', async () => {
    // Prepare
    const store = await createStore({ kind: 'sqlite', path }, { sqliteBusyTimeoutMs: 0 });
    try {
      // Act
      const refused = await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 1)).then(() => undefined, (e: unknown) => e);
      // Assess
      expect(refused).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  it.each([-1, 1.5, Number.NaN])('refuses busyTimeoutMs %p', (ms) => {
    expect(() => new SqliteKlineStore({ path, busyTimeoutMs: ms })).toThrow(/busyTimeoutMs/);
  });
});
