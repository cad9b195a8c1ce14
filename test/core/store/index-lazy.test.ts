/** A MongoDB-only bundle (the Lambdas) ships no better-sqlite3: opening MongoDB must not load it. */
import { StoreUnavailableError } from '../../../core/errors';
import { openStore } from '../../../core/store';

jest.mock('better-sqlite3', () => {
  throw new Error('better-sqlite3 was loaded');
});

describe('openStore adapter loading', () => {
  test('opening a MongoDB store does not load better-sqlite3', async () => {
    const attempt = openStore({ kind: 'mongodb', uri: 'mongodb://127.0.0.1:1', database: 'klines' }, { serverSelectionTimeoutMS: 200 });

    await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test('opening a SQLite store is what loads better-sqlite3', async () => {
    await expect(openStore({ kind: 'sqlite', path: ':memory:' })).rejects.toThrow(/better-sqlite3 was loaded/);
  });
});
