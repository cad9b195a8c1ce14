/**
 * The SQLite store's CSV fast path (`binanceCsvRows`, SQL from `binanceCsvRowSql`) must write the
 * same bytes as `binanceCsvRow` of each kline: spot in ms before 2025 and µs after, futures in ms
 * with a header, and whatever decimal text Binance sent (kept as stored).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binanceCsvRow, SPOT_MICROS_FROM } from '../../../core/export/binance-csv';
import { exportKlines, type ExportSource } from '../../../core/export/run';
import { storeSource } from '../../../core/export/store-source';
import type { Kline } from '../../../core/kline';
import type { MarketType } from '../../../core/market';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { makeKline, MINUTE } from '../store/fixtures';

const HOUR = 60 * MINUTE;
// 2024-12-31 22:00 → 2025-01-01 02:00 UTC: spot switches from ms to µs at midnight.
const FROM = SPOT_MICROS_FROM - 2 * HOUR;
const TO = SPOT_MICROS_FROM + 2 * HOUR;

function klines(marketType: MarketType, symbol: string): Kline[] {
  const out: Kline[] = [];
  for (let t = FROM; t < TO; t += MINUTE) {
    const k = { ...makeKline(symbol, t), marketType };
    // Binance's own variety of decimal text: fewer fraction digits (futures), zero, big integers.
    if (t % (7 * MINUTE) === 0) Object.assign(k, { open: '0.1', low: '0.1', volume: '0', quoteVolume: '123456789012.5' });
    out.push(k);
  }
  return out;
}

let dir: string;
let store: SqliteKlineStore;
const data = new Map<MarketType, Kline[]>();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'csv-sql-'));
  store = new SqliteKlineStore(join(dir, 'k.db'));
  await store.applySchema();
  for (const type of ['spot', 'usdm', 'coinm'] as const) {
    const all = [...klines(type, 'AUSDT'), ...klines(type, 'BUSDT')];
    data.set(type, all);
    expect((await store.upsert('1m', all)).failures).toEqual([]);
  }
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test.each(['spot', 'usdm', 'coinm'] as const)('%s: rows built by SQLite equal binanceCsvRow of each kline, in open-time order, within the range', async (type) => {
  const range = { from: FROM + 30 * MINUTE, to: TO - 30 * MINUTE };
  const got = await store.binanceCsvRows(type, '1m', 'BUSDT', range);
  const want = data.get(type)!.filter((k) => k.symbol === 'BUSDT' && k.openTime >= range.from && k.openTime < range.to);
  expect(got.klines).toBe(180);
  expect(got.text).toBe(want.map((k) => binanceCsvRow(k, type)).join(''));
  expect(await store.binanceCsvRows(type, '1m', 'NONE', range)).toEqual({ klines: 0, text: '' });
});

test('an export through the fast path writes the same files, byte for byte, as one through Kline objects', async () => {
  const fast = storeSource(store);
  const { binanceCsvRows: _omit, ...slow } = fast;
  expect(typeof fast.binanceCsvRows).toBe('function');
  const files = async (source: ExportSource, out: string) => {
    const summary = await exportKlines(source, { marketTypes: ['spot', 'usdm', 'coinm'], interval: '1m', from: FROM, to: TO, format: 'csv', outDir: out });
    const paths = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.csv')).sort();
    return { summary, contents: paths.map((p) => [p, readFileSync(join(out, p), 'utf8')]) };
  };
  const a = await files(fast, join(dir, 'fast'));
  const b = await files(slow, join(dir, 'slow'));
  expect(a.contents.length).toBe(12); // 3 types × 2 markets × 2 days
  expect(a.summary.klines).toBe(3 * 2 * 240);
  expect(a).toEqual(b);
  expect(a.contents.find(([p]) => p.startsWith('futures/um/'))![1]).toMatch(/^open_time,open,/);
});
