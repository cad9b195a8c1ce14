import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInstant, run, type ReportDeps } from '../../bin/commands/report';
import { StoreUnavailableError } from '../../core/errors';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { makeKline, MINUTE } from '../core/store/fixtures';
import { Collect } from './collect';

async function cli(argv: string[], deps: ReportDeps = {}) {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await run(argv, { stdout, stderr }, { env: {}, now: () => DAY + 86_400_000, ...deps });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const DAY = Date.UTC(2024, 0, 1);

describe('cli report', () => {
  let dir: string;
  let dbPath: string;

  beforeAll(async () => {
    // Prepare: BTCUSDT trading all day with 00:10–00:15 missing; ETHUSDT listed at 12:00, complete.
    dir = mkdtempSync(join(tmpdir(), 'cli-report-'));
    dbPath = join(dir, 'klines.db');
    const store = new SqliteKlineStore(dbPath);
    await store.applySchema();
    await store.recordMarketStatus([
      { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: DAY - 86_400_000 },
      { marketType: 'spot', symbol: 'ETHUSDT', status: 'TRADING', at: DAY + 12 * 3_600_000 },
    ]);
    const klines = [];
    for (let m = DAY; m < DAY + 86_400_000; m += MINUTE) {
      if (m < DAY + 10 * MINUTE || m >= DAY + 15 * MINUTE) klines.push(makeKline('BTCUSDT', m));
      if (m >= DAY + 12 * 3_600_000) klines.push(makeKline('ETHUSDT', m));
    }
    await store.upsert('1m', klines);
    await store.close();
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the HTML and CSV files and prints the summary line', async () => {
    // Prepare
    const out = join(dir, 'out');
    // Act
    const r = await cli(['--from', '2024-01-01', '--to', '2024-01-02T00:00Z', '--store', `sqlite:${dbPath}`, '--out', out]);
    // Assess: 1,440 + 720 expected, 5 missing
    expect(r.stderr).toContain('report: wrote');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('2024-01-01T00:00Z–2024-01-02T00:00Z: 2 markets, 2,155 of 2,160 datapoints (99.76 %), 1 gap\n');
    expect(readdirSync(out).sort()).toEqual([
      'quality-20240101T0000Z-20240102T0000Z-gaps.csv',
      'quality-20240101T0000Z-20240102T0000Z.csv',
      'quality-20240101T0000Z-20240102T0000Z.html',
    ]);
    const csv = readFileSync(join(out, 'quality-20240101T0000Z-20240102T0000Z.csv'), 'utf8').split('\r\n');
    expect(csv[1]).toBe('spot,BTCUSDT,1440,1435,5,99.65,1,5,2024-01-01T00:10:00Z,2024-01-01T00:15:00Z,2024-01-01T00:10:00Z,2024-01-01T00:15:00Z,status-history');
    expect(csv[2]).toBe('spot,ETHUSDT,720,720,0,100.00,0,0,,,,,status-history');
    const html = readFileSync(join(out, 'quality-20240101T0000Z-20240102T0000Z.html'), 'utf8');
    expect(html).toContain('99.76&nbsp;%');
  });

  it('takes the store from KLINE_STORE when --store is absent', async () => {
    const out = join(dir, 'env-out');
    const r = await cli(['--from', '2024-01-01T01:00+01:00', '--to', '2024-01-01T06:00Z', '--out', out], { env: { KLINE_STORE: `sqlite:${dbPath}` } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('2024-01-01T00:00Z–2024-01-01T06:00Z: 1 market, 355 of 360 datapoints (98.61 %), 1 gap\n');
  });

  it.each([
    [['--to', '2024-01-02'], '--from is required'],
    [['--from', '2024-01-01'], '--to is required'],
    [['--from', 'yesterday', '--to', '2024-01-02'], '--from "yesterday" is not an ISO date or time'],
    [['--from', '2024-01-01T00:00', '--to', '2024-01-02'], 'add Z for UTC'],
    [['--from', '2024-02-30', '--to', '2024-03-02'], '--from "2024-02-30" is not a real date'],
    [['--from', '2024-01-02', '--to', '2024-01-01'], 'must be before --to'],
    [['--from', '2024-01-01', '--to', '2024-01-01'], 'must be before --to'],
    [['--from', '2024-01-01', '--to', '2024-01-02', '--bogus'], 'unknown option "--bogus"'],
    [['--from', '2024-01-01', '--to', '2024-01-02', 'extra'], 'unexpected argument "extra"'],
    [['--from', '2024-01-01', '--to', '2024-01-02', '--store', 'postgres://x'], '--store: expected sqlite:PATH'],
  ])('rejects %j with exit 2 and one message, writing nothing', async (argv, message) => {
    // Prepare
    const out = join(dir, 'never');
    let opened = false;
    // Act
    const r = await cli([...argv, '--out', out], {
      openStore: async () => {
        opened = true;
        throw new Error('must not open');
      },
    });
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(message);
    expect(r.stderr.startsWith('report: ')).toBe(true);
    expect(r.stdout).toBe('');
    expect(opened).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 1 with a message and writes nothing when the store is unreachable', async () => {
    const out = join(dir, 'down');
    const r = await cli(['--from', '2024-01-01', '--to', '2024-01-02', '--out', out], {
      openStore: () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED 127.0.0.1:27017')),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('report: cannot open the store: connect ECONNREFUSED 127.0.0.1:27017\n');
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('exits 1, closes the store and writes nothing when a read fails', async () => {
    // Prepare
    const out = join(dir, 'read-fails');
    const store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    let closed = false;
    store.countByMarket = () => Promise.reject(new StoreUnavailableError('count klines_1m: disk I/O error'));
    const close = store.close.bind(store);
    store.close = () => ((closed = true), close());
    // Act
    const r = await cli(['--from', '2024-01-01', '--to', '2024-01-02', '--out', out], { openStore: async () => store });
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('report: reading the store failed: count klines_1m: disk I/O error\n');
    expect(closed).toBe(true);
    expect(existsSync(out)).toBe(false);
  });
});

describe('parseInstant', () => {
  it.each([
    ['2024-01-01', Date.UTC(2024, 0, 1)],
    ['2024-01-01T06:30Z', Date.UTC(2024, 0, 1, 6, 30)],
    ['2024-01-01T06:30:15.5Z', Date.UTC(2024, 0, 1, 6, 30, 15, 500)],
    ['2024-01-01T08:30+02:00', Date.UTC(2024, 0, 1, 6, 30)],
    ['2024-01-01T01:30-0500', Date.UTC(2024, 0, 1, 6, 30)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
  ])('reads %s', (text, ms) => {
    expect(parseInstant(text, '--from')).toBe(ms);
  });

  it.each(['2023-02-29', '2024-13-01', '2024-01-01T24:00Z', '2024-01-01T10:60Z', '1704067200000', '2024-01-01 00:00Z', ''])('rejects %j', (text) => {
    expect(() => parseInstant(text, '--to')).toThrow(/^--to /);
  });
});
