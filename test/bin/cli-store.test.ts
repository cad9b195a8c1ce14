import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type StoreDeps } from '../../bin/commands/store';
import { StoreUnavailableError } from '../../core/errors';
import { STORED_INTERVALS } from '../../core/interval';
import { MARKET_TYPES } from '../../core/market';
import type { KlineStore, SchemaOptions } from '../../core/store/port';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { T0, makeSeries } from '../core/store/fixtures';
import { Collect } from './collect';

async function cli(argv: string[], deps: StoreDeps = {}) {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await run(argv, { stdout, stderr }, { env: {}, ...deps });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('cli store', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-store-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('migrate prints each change as it goes, then nothing to change on a second run; check agrees', async () => {
    const url = `sqlite:${join(dir, 'k.db')}`;

    const first = await cli(['migrate', '--store', url]);
    const second = await cli(['migrate', '--store', url]);
    const check = await cli(['check', '--store', url]);

    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^migrating ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n  klines_1m: created\n`));
    // One table per market type and stored interval, a provenance index per market type's 1m table, markets, resample_log, resample_state and audits.
    expect(first.stdout).toMatch(new RegExp(`\n${MARKET_TYPES.length * STORED_INTERVALS.length + MARKET_TYPES.length + 4} changes made\n$`));
    expect(second).toStrictEqual({ code: 0, stdout: `migrating ${url}\nnothing to change: the schema is up to date\n`, stderr: '' });
    expect(check).toStrictEqual({ code: 0, stdout: `${url}: the schema is up to date\n`, stderr: '' });
  });

  test('migrate brings a round-1 file up to date without losing its klines; check reports it before (exit 1)', async () => {
    const path = join(dir, 'k.db');
    const store = new SqliteKlineStore(path);
    await store.applySchema();
    await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 3));
    await store.close();
    const db = new Database(path);
    db.exec('DROP INDEX klines_1m_source'); // round 1 had neither the index nor the column
    db.exec('ALTER TABLE klines_1m DROP COLUMN source');
    db.close();

    const before = await cli(['check', '--store', `sqlite:${path}`]);
    const migrated = await cli(['migrate', '--store', `sqlite:${path}`]);

    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/^differs: table klines_1m has no column source/);
    expect(migrated.stdout).toContain('  klines_1m: added column source\n');
    expect(migrated.stdout).toContain('  klines_1m: created index klines_1m_source (klines not from the stream)\n');
    const reopened = new SqliteKlineStore(path);
    expect(await reopened.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 180_000 })).toStrictEqual(makeSeries(['BTCUSDT'], T0, 3));
    await reopened.close();
  });

  test.each<[string, SchemaOptions['retentionDays']]>([
    ['--retention-days 30', 30],
    ['--no-retention', null],
    ['', undefined],
  ])('passes the retention of "%s" to the schema step', async (flags, expected) => {
    const seen: SchemaOptions[] = [];
    const fake = {
      applySchema: async (o: SchemaOptions) => (seen.push(o), []),
      checkSchema: async () => [],
      close: async () => undefined,
    } as unknown as KlineStore;

    const r = await cli(['migrate', ...flags.split(' ').filter(Boolean)], { createStore: async () => fake });

    expect(r.code).toBe(0);
    expect(seen.map((o) => o.retentionDays)).toStrictEqual([expected]);
  });

  test.each([
    [['migrate', '--retention-days', '0'], /--retention-days "0" is not a positive whole number of days/],
    [['migrate', '--retention-days', '7.5'], /not a positive whole number/],
    [['migrate', '--retention-days', '7', '--no-retention'], /exclude each other/],
    [['upgrade'], /unknown action "upgrade"/],
    [[], /say migrate or check/],
    [['migrate', '--store', 'postgres://x'], /--store: expected sqlite:PATH/],
  ])('refuses bad arguments %j with exit 2 and the usage', async (argv, message) => {
    const r = await cli(argv);

    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('usage: npm run cli -- store migrate');
  });

  test('a store that fails mid-step exits 1 with the reason', async () => {
    const fake = {
      applySchema: async () => {
        throw new StoreUnavailableError('MongoDB store (database "klines") is unavailable: cannot apply the schema: not authorized');
      },
      checkSchema: async () => [],
      close: async () => undefined,
    } as unknown as KlineStore;

    const r = await cli(['migrate'], { createStore: async () => fake });

    expect(r.code).toBe(1);
    expect(r.stderr).toBe('store: migrate failed: MongoDB store (database "klines") is unavailable: cannot apply the schema: not authorized\n');
  });
});
