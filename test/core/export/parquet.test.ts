import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import type { Kline } from '../../../core/kline';
import { exportRow } from '../../../core/export/export-rows';
import { KlineParquetFile, unscaledDecimal } from '../../../core/export/parquet';
import { resample } from '../../../core/resample';
import { generateTape, klinesFromTape } from '../../fixtures/trades';

const START = Date.UTC(2025, 2, 1);
const MIN = 60_000;

/** Klines with every awkward decimal: 8 digits, fewer digits, no fraction, 15+ significant digits, 30 integer digits. */
function sampleKlines(): Kline[] {
  const tape = generateTape({ seed: 3, start: START, minutes: 600, initialPrice: 123_456_789_012n, quietChance: 0.3 });
  const ones = klinesFromTape(tape, 'AAAUSDT', '1m', MIN, START, 600, 123_456_789_012n);
  const fives = resample(ones, '5m');
  const edge: Kline = {
    ...ones[0],
    symbol: 'BIGUSDT',
    open: '0.00000001',
    high: '123456789012345678901234567890.12345678',
    low: '0',
    close: '96000.1',
    volume: '99999999999999.99999999',
    quoteVolume: '9007199254740993',
    takerBuyBaseVolume: '0.10000000',
    takerBuyQuoteVolume: '12.3400000000',
  };
  return [...ones, edge, ...fives.map((k) => ({ ...k, symbol: 'FIVEUSDT' }))];
}

/** What every reader must give back: decimals as DECIMAL(38,8) text, times in ms, counts. */
function expected(k: Kline) {
  const d = (s: string) => {
    const u = unscaledDecimal(s).toString().padStart(9, '0');
    return `${u.slice(0, -8)}.${u.slice(-8)}`;
  };
  return [k.symbol, k.openTime, d(k.open), d(k.high), d(k.low), d(k.close), d(k.volume), k.closeTime, d(k.quoteVolume), k.trades, d(k.takerBuyBaseVolume), d(k.takerBuyQuoteVolume), k.sourceCount ?? null];
}

let dir: string;
let file: string;
let klines: Kline[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-'));
  file = join(dir, 'klines.parquet');
  klines = sampleKlines();
  const pq = new KlineParquetFile(file, { market_type: 'spot' }, 200); // several row groups
  await pq.write(klines.slice(0, 250));
  await pq.write(klines.slice(250));
  await pq.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PY_READERS = String.raw`
import json, sys
path = sys.argv[1]
out = {}
f = lambda d: format(d, 'f')
import pyarrow.parquet as pq
t = pq.read_table(path)
out['schema'] = {f.name: str(f.type) for f in t.schema}
def rows_pyarrow():
    rows = []
    for r in t.to_pylist():
        rows.append([r['symbol'], int(r['open_time'].timestamp() * 1000), f(r['open']), f(r['high']), f(r['low']), f(r['close']), f(r['volume']),
                     int(r['close_time'].timestamp() * 1000), f(r['quote_volume']), r['count'], f(r['taker_buy_volume']), f(r['taker_buy_quote_volume']), r['source_count']])
    return rows
out['pyarrow'] = rows_pyarrow()
import pandas as pd
df = pd.read_parquet(path)
out['pandas'] = [[r.symbol, int(r.open_time.value // 1_000_000), f(r.open), f(r.high), f(r.low), f(r.close), f(r.volume), int(r.close_time.value // 1_000_000),
                  f(r.quote_volume), int(r.count), f(r.taker_buy_volume), f(r.taker_buy_quote_volume), None if pd.isna(r.source_count) else int(r.source_count)] for r in df.itertuples()]
import polars as pl
p = pl.read_parquet(path).with_columns(pl.col('open_time').dt.epoch('ms'), pl.col('close_time').dt.epoch('ms'))
out['polars'] = [[r[0], r[1]] + [f(v) for v in r[2:7]] + [r[7], f(r[8]), r[9], f(r[10]), f(r[11]), r[12]] for r in p.rows()]
import duckdb
q = duckdb.sql(f"select symbol, epoch_ms(open_time), open::varchar, high::varchar, low::varchar, close::varchar, volume::varchar, epoch_ms(close_time), quote_volume::varchar, count, taker_buy_volume::varchar, taker_buy_quote_volume::varchar, source_count from read_parquet('{path}')")
out['duckdb'] = [list(r) for r in q.fetchall()]
print(json.dumps(out))
`;

const python = spawnSync('python3', ['-c', 'import pyarrow, pandas, polars, duckdb'], { encoding: 'utf8' });
const havePython = python.status === 0;
if (!havePython) {
  // eslint-disable-next-line no-console
  console.warn(`parquet read-back by pyarrow/pandas/Polars/DuckDB SKIPPED: ${python.error?.message ?? python.stderr.trim().split('\n').pop()} (pip install polars duckdb pyarrow pandas)`);
}

describe('Parquet export', () => {
  (havePython ? it : it.skip)('reads back exactly in pyarrow, pandas, Polars and DuckDB: every field of every kline', () => {
    const out = JSON.parse(execFileSync('python3', ['-c', PY_READERS, file], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Record<string, unknown>;
    expect(out.schema).toMatchObject({ open: 'decimal128(38, 8)', open_time: 'timestamp[ms, tz=UTC]', count: 'int64', source_count: 'int32' });
    const want = klines.map(expected);
    for (const reader of ['pyarrow', 'pandas', 'polars', 'duckdb']) expect([reader, out[reader]]).toEqual([reader, want]);
  });

  it('reads back exactly in hyparquet (JS)', async () => {
    const buf = readFileSync(file);
    const rows = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) })) as Record<string, unknown>[];
    expect(rows).toHaveLength(klines.length);
    rows.forEach((r, i) => {
      const k = klines[i];
      expect([r.symbol, Number((r.open_time as Date).getTime?.() ?? r.open_time), r.count, r.source_count ?? null]).toEqual([k.symbol, k.openTime, BigInt(k.trades), k.sourceCount ?? null]);
      // hyparquet gives DECIMAL as a JS number (scaled in floating point): the value to 1e-12 relative
      expect(Math.abs((r.close as number) - Number(k.close))).toBeLessThanOrEqual(1e-12 * Number(k.close));
    });
  });

  it('refuses a decimal it would have to round, naming it', async () => {
    const f = new KlineParquetFile(join(dir, 'bad.parquet'));
    await expect(f.write([{ ...klines[0], volume: '1.123456789' }])).rejects.toThrow(/volume 1\.123456789 has more than 8 fraction digits/);
    await f.abort();
  });

  it('refuses text that is not a decimal and a value beyond 38 digits, naming them', async () => {
    const f = new KlineParquetFile(join(dir, 'bad2.parquet'));
    await expect(f.write([{ ...klines[0], close: '12a.5' }])).rejects.toThrow(/close "12a\.5" is not a decimal number/);
    await expect(f.write([{ ...klines[0], high: '1' + '0'.repeat(30) }])).rejects.toThrow(/high 10+ does not fit DECIMAL\(38, 8\)/);
    await expect(f.write([{ ...klines[0], low: '' }])).rejects.toThrow(/low "" is not a decimal number/);
    await f.abort();
  });

  it('keeps row-group min/max of symbol, times and count, and none of the decimals', () => {
    const buf = readFileSync(file);
    const meta = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    expect(meta.row_groups.length).toBeGreaterThan(1);
    const first = meta.row_groups[0].columns.map((c) => [c.meta_data!.path_in_schema.join('.'), c.meta_data!.statistics?.min_value !== undefined]);
    expect(Object.fromEntries(first)).toMatchObject({ symbol: true, open_time: true, close_time: true, count: true, open: false, volume: false, taker_buy_quote_volume: false });
    const times = meta.row_groups.map((g) => g.columns.find((c) => c.meta_data!.path_in_schema[0] === 'open_time')!.meta_data!.statistics!);
    expect(Number(times[0].min_value instanceof Date ? times[0].min_value.getTime() : times[0].min_value)).toBe(Math.min(...klines.slice(0, 200).map((k) => k.openTime)));
  });

  it('streams a file of more than one batch (klines and export rows mixed), and it reads back exactly', async () => {
    const big = join(dir, 'big.parquet');
    const tape = generateTape({ seed: 5, start: START, minutes: 7_000, initialPrice: 123_456_789_012n, quietChance: 0.2 });
    const a = klinesFromTape(tape, 'AAAUSDT', '1m', MIN, START, 7_000, 123_456_789_012n);
    const b = a.map((k) => ({ ...k, symbol: 'BBBUSDT' }));
    const c = a.map((k) => ({ ...k, symbol: 'CCCUSDT' }));
    const f = new KlineParquetFile(big, {}, 5_000);
    await f.write(a);
    await f.writeRows('BBBUSDT', b.map(exportRow));
    await f.write(c);
    await f.close();
    expect(f.rows).toBe(21_000); // more than the 16,384 rows of one batch
    const buf = readFileSync(big);
    const meta = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([5_000, 5_000, 5_000, 5_000, 1_000]);
    if (!havePython) return;
    const out = JSON.parse(execFileSync('python3', ['-c', PY_READERS, big], { encoding: 'utf8', maxBuffer: 256 << 20 })) as Record<string, unknown>;
    expect(out.pyarrow).toEqual([...a, ...b, ...c].map(expected));
    expect(out.duckdb).toEqual(out.pyarrow);
  });

  it('keeps what was written before a refused write, and none of the refused call', async () => {
    const path = join(dir, 'refused.parquet');
    const fives = klines.filter((k) => k.sourceCount !== undefined);
    const f = new KlineParquetFile(path);
    await f.write(klines.slice(0, 5)); // 1m: null source counts
    await expect(f.write([...fives.slice(0, 3), { ...fives[3], open: '1.000000001' }])).rejects.toThrow(/open 1\.000000001 has more than 8 fraction digits/);
    await expect(f.writeRows('ROWUSDT', [exportRow(fives[0]), `${exportRow(fives[1])},9`])).rejects.toThrow(/takerBuyQuoteVolume ".*,9" is not a decimal number/);
    await f.write(fives.slice(4, 6));
    await f.close();
    expect(f.rows).toBe(7);
    const buf = readFileSync(path);
    const rows = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), columns: ['symbol', 'open_time', 'source_count'] })) as Record<string, unknown>[];
    const want = [...klines.slice(0, 5), ...fives.slice(4, 6)];
    expect(rows.map((r) => [r.symbol, Number((r.open_time as Date).getTime()), r.source_count ?? null])).toEqual(want.map((k) => [k.symbol, k.openTime, k.sourceCount ?? null]));
  });

  it('keeps the rows of two files open at once apart', async () => {
    const read = async (path: string) => {
      const buf = readFileSync(path);
      return (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), columns: ['symbol', 'open_time'] })) as { symbol: string }[];
    };
    const one = new KlineParquetFile(join(dir, 'one.parquet'));
    await one.write(klines.slice(0, 10));
    const two = new KlineParquetFile(join(dir, 'two.parquet'));
    await two.writeRows('TWOUSDT', klines.slice(20, 25).map(exportRow));
    await one.writeRows('ONEUSDT', klines.slice(10, 13).map(exportRow));
    await two.close();
    await one.close();
    expect((await read(join(dir, 'one.parquet'))).map((r) => r.symbol)).toEqual([...klines.slice(0, 10).map((k) => k.symbol), 'ONEUSDT', 'ONEUSDT', 'ONEUSDT']);
    expect((await read(join(dir, 'two.parquet'))).map((r) => r.symbol)).toEqual(Array(5).fill('TWOUSDT'));
  });

  it('writes the metadata it is given and a readable empty file', async () => {
    const empty = join(dir, 'empty.parquet');
    const f = new KlineParquetFile(empty, { market_type: 'usdm', interval: '1h' });
    await f.close();
    const buf = readFileSync(empty);
    const meta = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    expect(Number(meta.num_rows)).toBe(0);
    expect(Object.fromEntries((meta.key_value_metadata ?? []).map((kv) => [kv.key, kv.value]))).toMatchObject({ market_type: 'usdm', interval: '1h' });
  });
});
