import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../bin/commands/export';
import { run as runImport } from '../../bin/commands/import';
import { binanceCsvRow, csvHeader } from '../../core/export/binance-csv';
import type { Kline } from '../../core/kline';
import { parseCsvLine } from '../../core/parse';
import { resample } from '../../core/resample';
import { openStore } from '../../core/store/index';
import { FIXTURE_DIR, FIXTURE_SYMBOL, fixtureFileName } from '../fixtures/dump-fixtures';
import { Collect } from './collect';

async function cli(argv: string[]) {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await run(argv, { stdout, stderr }, { env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const fixture = (interval: string) => join(FIXTURE_DIR, fixtureFileName(interval));
const fixtureKlines = (interval: string): Kline[] =>
  readFileSync(fixture(interval), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = parseCsvLine(FIXTURE_SYMBOL, interval, l, 'spot');
      if (!r.ok) throw new Error(r.reason);
      return r.kline;
    });

let dir: string;
let store: string;
const DAY = ['--from', '2025-03-01', '--to', '2025-03-02'];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-export-'));
  store = `sqlite:${join(dir, 'klines.db')}`;
  const io = { stdout: new Collect(), stderr: new Collect() };
  const code = await runImport([...['1m', '5m', '15m', '30m', '1h'].map(fixture), '--store', store], io, { env: {} });
  if (code !== 0) throw new Error(io.stderr.text);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli export: CSV', () => {
  it.each(['1m', '5m', '15m', '30m', '1h'])('exports the imported %s dump byte-identical to the data.binance.vision file, at Binance’s path', async (interval) => {
    const out = join(dir, `csv-${interval}`);
    const r = await cli(['--interval', interval, ...DAY, '--store', store, '--out', out]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const path = join(out, 'spot/daily/klines/TESTUSDT', interval, fixtureFileName(interval));
    expect(readFileSync(path)).toEqual(readFileSync(fixture(interval)));
    expect(r.stdout).toMatch(new RegExp(`export: \\d+ ${interval} klines in 1 csv files under`));
  });

  it('writes futures files as Binance does: header row, ms timestamps', () => {
    const k = fixtureKlines('1m')[0];
    expect(csvHeader('usdm') + binanceCsvRow(k, 'usdm')).toBe(
      `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n${k.openTime},${k.open},${k.high},${k.low},${k.close},${k.volume},${k.closeTime},${k.quoteVolume},${k.trades},${k.takerBuyBaseVolume},${k.takerBuyQuoteVolume},0\n`,
    );
    expect(binanceCsvRow({ ...k, openTime: Date.UTC(2024, 11, 31, 23, 59), closeTime: Date.UTC(2025, 0, 1) - 1 }, 'spot')).toMatch(/^1735689540000,.*,1735689599999,/); // ms before 2025
  });

  it('resamples what is not stored: 2h from the stored 1h bars, +08:00 days from the finest stored bars holding data', async () => {
    const out = join(dir, 'csv-2h');
    const r = await cli(['--interval', '2h', ...DAY, '--store', store, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/12 2h klines \(resampled from 1h\)/);
    const text = readFileSync(join(out, 'spot/daily/klines/TESTUSDT/2h/TESTUSDT-2h-2025-03-01.csv'), 'utf8');
    expect(text).toBe(resample(fixtureKlines('1m'), '2h').map((k) => binanceCsvRow(k, 'spot')).join(''));

    const tz = join(dir, 'csv-tz');
    const t = await cli(['--interval', '1d', '--from', '2025-02-28', '--to', '2025-03-03', '--time-zone', '+08:00', '--store', store, '--out', tz]);
    expect(t.code).toBe(0);
    const days = resample(fixtureKlines('1m'), '1d', 8 * 3_600_000);
    expect(days.map((d) => d.openTime)).toEqual([Date.UTC(2025, 1, 28, 16), Date.UTC(2025, 2, 1, 16)]);
    // one file per +08:00 date, named by that date
    expect(readFileSync(join(tz, 'spot/daily/klines/TESTUSDT/1d/TESTUSDT-1d-2025-03-01.csv'), 'utf8')).toBe(binanceCsvRow(days[0], 'spot'));
    expect(readFileSync(join(tz, 'spot/daily/klines/TESTUSDT/1d/TESTUSDT-1d-2025-03-02.csv'), 'utf8')).toBe(binanceCsvRow(days[1], 'spot'));
  });

  it('resumes: complete files are skipped, a missing one is written again, a stale .partial is replaced', async () => {
    const out = join(dir, 'csv-resume');
    const args = ['--interval', '1h', '--from', '2025-03-01', '--to', '2025-03-02', '--store', store, '--out', out];
    expect((await cli(args)).code).toBe(0);
    const path = join(out, 'spot/daily/klines/TESTUSDT/1h/TESTUSDT-1h-2025-03-01.csv');
    const before = statSync(path).mtimeMs;
    const again = await cli(args);
    expect(again.stdout).toMatch(/0 1h klines in 0 csv files .*1 complete files skipped/);
    expect(statSync(path).mtimeMs).toBe(before);
    rmSync(path);
    writeFileSync(`${path}.partial`, 'half a file');
    expect((await cli(args)).stdout).toMatch(/24 1h klines in 1 csv files/);
    expect(readFileSync(path)).toEqual(readFileSync(fixture('1h')));
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('writes nothing for markets, types or days without data', async () => {
    const out = join(dir, 'csv-none');
    const r = await cli(['--interval', '1m', '--from', '2025-04-01', '--to', '2025-04-03', '--store', store, '--out', out, '--market-type', 'spot,usdm']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/export: 0 1m klines in 0 csv files/);
    expect(existsSync(out)).toBe(false);
    const other = await cli(['--interval', '1m', ...DAY, '--store', store, '--out', out, '--symbols', 'OTHERUSDT']);
    expect(other.stdout).toMatch(/0 1m klines in 0 csv files/);
  });

  it('refuses a SQLite store that does not exist instead of creating it and exporting nothing', async () => {
    const missing = join(dir, 'typo', 'klines.db');
    const r = await cli(['--interval', '1m', ...DAY, '--store', `sqlite:${missing}`, '--out', join(dir, 'none')]);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toContain(`export: cannot open the store: sqlite:${missing} does not exist`);
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it.each<[string[], RegExp]>([
    [['--from', '2025-03-01', '--to', '2025-03-02'], /--interval is required/],
    [['--interval', '7m', ...DAY], /--interval 7m is not one of/],
    [['--interval', '1m', '--from', '2025-03-02', '--to', '2025-03-01'], /--from .* must be before --to/],
    [['--interval', '1m', ...DAY, '--format', 'xlsx'], /--format xlsx is not csv or parquet/],
    [['--interval', '1m', ...DAY, '--market-type', 'options'], /--market-type: "options" is not a market type/],
    [['--interval', '1d', ...DAY, '--time-zone', '+15:00'], /--time-zone: time zone "\+15:00" is outside/],
    [['--interval', '1m', ...DAY, '--format', 'parquet', '--monthly'], /--monthly is for CSV/],
    [['--interval', '1m', ...DAY, '--store', 'ftp://x'], /--store/],
  ])('exits 2 naming the bad argument: %j', async (argv, expected) => {
    const r = await cli(argv);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).toMatch(/usage:/);
  });
});

const havePython = spawnSync('python3', ['-c', 'import pyarrow, polars, duckdb'], { encoding: 'utf8' }).status === 0;
if (!havePython) console.warn('cli export: Parquet read-back by pyarrow/Polars/DuckDB SKIPPED: python3 with pyarrow, polars and duckdb not found (pip install polars duckdb pyarrow pandas)');

describe('cli export: Parquet', () => {
  (havePython ? it : it.skip)('writes a hive-partitioned file per type/interval/day that Polars, DuckDB and pyarrow read back equal to the store', async () => {
    const out = join(dir, 'parquet');
    const r = await cli(['--interval', '5m', ...DAY, '--store', store, '--out', out, '--format', 'parquet']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(readdirSync(join(out, 'market_type=spot/interval=5m'))).toEqual(['date=2025-03-01']);
    const s = await openStore({ kind: 'sqlite', path: store.slice('sqlite:'.length) } as never);
    const stored = await s.read({ marketType: 'spot', interval: '5m', from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 2, 2) });
    await s.close();
    const script = String.raw`
import json, sys, polars as pl, duckdb, pyarrow.dataset as ds
root = sys.argv[1]
f = lambda d: format(d, 'f')
p = pl.scan_parquet(root + '/**/*.parquet', hive_partitioning=True).collect()
polars = [[r['symbol'], r['open_time'].timestamp() * 1000, f(r['open']), f(r['high']), f(r['low']), f(r['close']), f(r['volume']), f(r['quote_volume']), r['count'], f(r['taker_buy_volume']), f(r['taker_buy_quote_volume']), r['source_count'], r['market_type'], r['interval']] for r in p.iter_rows(named=True)]
d = duckdb.sql(f"select symbol, epoch_ms(open_time), open::varchar, high::varchar, low::varchar, close::varchar, volume::varchar, quote_volume::varchar, count, taker_buy_volume::varchar, taker_buy_quote_volume::varchar, source_count, market_type, interval from read_parquet('{root}/**/*.parquet', hive_partitioning=true) order by open_time").fetchall()
a = ds.dataset(root, format='parquet', partitioning='hive').to_table()
print(json.dumps({'polars': polars, 'duckdb': [list(x) for x in d], 'pyarrow_rows': a.num_rows}))
`;
    const got = JSON.parse(execFileSync('python3', ['-c', script, out], { encoding: 'utf8', maxBuffer: 32 << 20 })) as { polars: unknown[][]; duckdb: unknown[][]; pyarrow_rows: number };
    const want = stored.map((k) => [k.symbol, k.openTime, k.open, k.high, k.low, k.close, k.volume, k.quoteVolume, k.trades, k.takerBuyBaseVolume, k.takerBuyQuoteVolume, k.sourceCount, 'spot', '5m']);
    expect(got.polars).toEqual(want);
    expect(got.duckdb).toEqual(want);
    expect(got.pyarrow_rows).toBe(288);
  });
});

describe('sourceIntervals', () => {
  it('reads a stored interval as it is, else the coarsest stored interval nesting in it', () => {
    const { sourceIntervals } = jest.requireActual<typeof import('../../core/export/run')>('../../core/export/run');
    expect(sourceIntervals('1h')).toEqual(['1h', '30m', '15m', '5m', '1m']);
    expect(sourceIntervals('2h')).toEqual(['1h', '30m', '15m', '5m', '1m']);
    expect(sourceIntervals('1d', 8 * 3_600_000)).toEqual(['4h', '1h', '30m', '15m', '5m', '1m']);
    expect(sourceIntervals('1d', 5.75 * 3_600_000)).toEqual(['15m', '5m', '1m']);
    expect(sourceIntervals('1w')).toEqual(['1w', '1d', '4h', '1h', '30m', '15m', '5m', '1m']);
    expect(sourceIntervals('1w', -3_600_000)).toEqual(['1h', '30m', '15m', '5m', '1m']);
    expect(sourceIntervals('1M')[0]).toBe('1d');
    expect(sourceIntervals('3m')).toEqual(['1m']);
  });
});
