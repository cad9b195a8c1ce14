/**
 * The Parquet export's fast path: the SQLite store builds one text row per kline (`exportRows`,
 * SQL from `exportRowSql`) that `KlineColumns.addRows` parses into the column buffers. The rows
 * must equal `exportRow` of each kline, the columns must equal those built from Kline objects,
 * and an export through the fast path must write the same files, byte for byte, as one through
 * Kline objects. Anything that is not exactly the layout is refused, naming the field.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { KlineColumns } from '../../../core/export/arrow-batch';
import { exportRow } from '../../../core/export/export-rows';
import { exportKlines, type ExportSource } from '../../../core/export/run';
import { storeSource } from '../../../core/export/store-source';
import type { Kline } from '../../../core/kline';
import type { MarketType } from '../../../core/market';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { makeKline, MINUTE } from '../store/fixtures';

const DAY = 1440 * MINUTE;
const FROM = Date.UTC(2025, 2, 1) - 2 * 60 * MINUTE; // two days: 22:00 → 02:00 the day after next
const TO = FROM + DAY + 4 * 60 * MINUTE;

/** Binance's variety of decimal text: fewer fraction digits (futures), zero, big integers, values past 2^53 unscaled. */
function vary(k: Kline, i: number): Kline {
  if (i % 7 === 0) return { ...k, open: '0.1', low: '0.1', volume: '0', quoteVolume: '123456789012.5' };
  if (i % 11 === 0) return { ...k, quoteVolume: '90071992.54740993', takerBuyQuoteVolume: '99999999999999999999.99999999' };
  return k;
}

function series(marketType: MarketType, symbol: string, interval: '1m' | '5m'): Kline[] {
  const out: Kline[] = [];
  const step = interval === '1m' ? MINUTE : 5 * MINUTE;
  for (let t = FROM, i = 0; t < TO; t += step, i++) {
    const k = vary({ ...makeKline(symbol, t, interval), marketType }, i);
    if (interval === '1m' && i % 5 === 0) k.source = 'rest';
    if (interval === '5m' && i % 3 === 0) k.sourceCount = 3;
    out.push(k);
  }
  return out;
}

let dir: string;
let store: SqliteKlineStore;
const data = new Map<string, Kline[]>();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'export-rows-'));
  store = new SqliteKlineStore(join(dir, 'k.db'));
  await store.applySchema();
  for (const type of ['spot', 'usdm'] as const) {
    for (const interval of ['1m', '5m'] as const) {
      const all = [...series(type, 'AUSDT', interval), ...series(type, 'BÜSDT', interval)];
      data.set(`${type}/${interval}`, all);
      expect((await store.upsert(interval, all)).failures).toEqual([]);
    }
  }
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test.each([
  ['spot', '1m'],
  ['usdm', '5m'],
] as const)('%s %s: rows built by SQLite equal exportRow of each kline, in open-time order, within the range', async (type, interval) => {
  const range = { from: FROM + 30 * MINUTE, to: TO - 30 * MINUTE };
  const want = data.get(`${type}/${interval}`)!.filter((k) => k.symbol === 'BÜSDT' && k.openTime >= range.from && k.openTime < range.to);
  const got = await store.exportRows(type, interval, 'BÜSDT', range);
  expect(got.length).toBeGreaterThan(100);
  expect(got).toEqual(want.map(exportRow));
  expect(await store.exportRows(type, interval, 'NONE', range)).toEqual([]);
});

test('rows parsed into the columns give the same record batches as the klines, across the capacity and several markets', () => {
  const klines = data.get('usdm/5m')!;
  const batches = (fill: (c: KlineColumns, at: number) => number) => {
    const out: Buffer[] = [];
    const columns = new KlineColumns(64);
    for (let at = 0; at < klines.length; ) {
      at += fill(columns, at);
      if (columns.full || at === klines.length) {
        out.push(Buffer.from(columns.recordBatchIpc()));
        columns.clear();
      }
    }
    return out;
  };
  // Rows of one market at a time, as the export hands them over.
  const fromRows = (c: KlineColumns, at: number) => {
    const symbol = klines[at].symbol;
    let end = at;
    while (end < klines.length && klines[end].symbol === symbol && end - at < 200) end++;
    return c.addRows(symbol, klines.slice(at, end).map(exportRow));
  };
  const fromKlines = (c: KlineColumns, at: number) => c.addKlines(klines, at, Math.min(klines.length, at + 200));
  const rows = batches(fromRows);
  const objects = batches(fromKlines);
  expect(rows.length).toBeGreaterThan(3);
  expect(rows).toEqual(objects);
});

test('refuses a row that is not exactly the layout, or a decimal DECIMAL(38, 8) would round, naming the field', () => {
  const good = exportRow(makeKline('AUSDT', FROM, '5m'));
  const fields = good.split(',');
  const withField = (i: number, value: string) => fields.map((f, j) => (j === i ? value : f)).join(',');
  const cases: [string, RegExp][] = [
    ['', /AUSDT: export row "" has no valid openTime/],
    [withField(0, '-1'), /no valid openTime/],
    [withField(1, '1e12'), /no valid closeTime/],
    [withField(2, ''), /no valid trades/],
    [withField(3, 'x'), /no valid sourceCount/],
    [withField(3, '4294967296'), /no valid sourceCount/],
    [fields.slice(0, 4).join(','), /no valid sourceCount/],
    [fields.slice(0, 8).join(','), /no valid close/],
    [withField(4, '1.123456789'), /open 1\.123456789 has more than 8 fraction digits/],
    [withField(6, '.5'), /low "\.5" is not a decimal number/],
    [`${good},7`, /takerBuyQuoteVolume ".*,7" is not a decimal number/],
    [withField(9, '1,5'), /takerBuyQuoteVolume ".*" is not a decimal number/],
  ];
  for (const [row, error] of cases) {
    const columns = new KlineColumns(4);
    expect(() => columns.addRows('AUSDT', [good, row])).toThrow(error);
  }
  // Zeros past the 8th fraction digit round nothing; an empty source count is null.
  const columns = new KlineColumns(4);
  expect(columns.addRows('AUSDT', [withField(4, '12.3400000000'), withField(3, '')])).toBe(2);
  const batch = columns.recordBatch();
  expect(batch.getChild('open')!.get(0)).toEqual(new KlineColumns(1).batch([{ ...makeKline('AUSDT', FROM, '5m'), open: '12.34' }]).getChild('open')!.get(0));
  expect(batch.getChild('source_count')!.toArray()[0]).toBe(5);
  expect(batch.getChild('source_count')!.nullCount).toBe(1);
});

/**
 * A Parquet file as its bytes before the footer (hashed) and its footer with the key-value
 * metadata sorted: parquet-wasm writes those pairs in an order of its own, which varies.
 */
function comparable(file: Buffer): [string, string] {
  const footer = file.readUInt32LE(file.length - 8);
  const metadata = parquetMetadata(new Uint8Array(file).buffer);
  metadata.key_value_metadata?.sort((a, b) => (a.key < b.key ? -1 : 1));
  const json = JSON.stringify(metadata, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return [createHash('sha256').update(file.subarray(0, file.length - 8 - footer)).digest('hex'), json];
}

test('an export through the fast path writes the same Parquet files, byte for byte, as one through Kline objects', async () => {
  const fast = storeSource(store);
  const { parquetRows: _omit, ...slow } = fast;
  expect(typeof fast.parquetRows).toBe('function');
  const files = async (source: ExportSource, out: string, interval: '1m' | '5m' | '15m') => {
    const summary = await exportKlines(source, { marketTypes: ['spot', 'usdm'], interval, from: FROM, to: TO, format: 'parquet', outDir: out });
    const paths = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet')).sort();
    return { summary, contents: paths.map((p) => [p, ...comparable(readFileSync(join(out, p)))]) };
  };
  for (const interval of ['1m', '5m', '15m'] as const) {
    const a = await files(fast, join(dir, `fast-${interval}`), interval);
    const b = await files(slow, join(dir, `slow-${interval}`), interval);
    expect(a.contents.length).toBe(2 * 3); // 2 types × 3 days
    expect(a.summary.klines).toBe(interval === '1m' ? 2 * 2 * (TO - FROM) / MINUTE : interval === '5m' ? 2 * 2 * (TO - FROM) / (5 * MINUTE) : 2 * 2 * (TO - FROM) / (15 * MINUTE));
    expect(a).toEqual(b);
  }
});
