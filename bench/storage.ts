/**
 * Storage figures for the two KlineStore adapters:
 * - SQLite: sustained upsert rate (new klines, then the same batches again, which write nothing)
 *   and bytes per stored 1m kline (database file size / klines, after a WAL checkpoint).
 * - MongoDB: BSON bytes per 1m kline of exactly the document the adapter writes (`_id`
 *   included), next to a seed-style document of seven strings and a few alternative layouts,
 *   plus a block-compression estimate. No server is needed: sizes come from the driver's BSON.
 *
 *   npx tsx bench/storage.ts [--klines 200000] [--batch 1000]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { BSON, ObjectId } from 'mongodb';
import type { Kline } from '../core/kline';
import { klineDocument } from '../core/store/mongo-documents';
import { SqliteKlineStore } from '../core/store/sqlite';
import { generateMarketDay } from './resample';

export interface StorageBenchOptions {
  /** 1m klines to store (whole market-days of 1,440, truncated to this). */
  klines?: number;
  /** Klines per upsert call (the writer's batch). */
  batch?: number;
}

export interface BsonLayout {
  layout: string;
  bytesPerKline: number;
  exact: string;
}

export interface StorageBenchFigures {
  klines: number;
  batch: number;
  /** New klines per second, sustained over all batches. */
  sqliteUpsertRate: number;
  /** Identical re-writes per second (each counts 0 written). */
  sqliteRewriteRate: number;
  sqliteBytesPerKline: number;
  /** What the Mongo adapter writes, `_id` included. */
  mongoBsonBytesPerKline: number;
  /** Same documents, concatenated and compressed in 32 KiB blocks (an on-disk estimate). */
  mongoCompressedBytesPerKline: number;
  compressor: string;
  layouts: BsonLayout[];
  goalBsonBytes: number;
  goalUpsertRate: number;
}

function klinesFor(count: number): Kline[] {
  const out: Kline[] = [];
  for (let market = 0; out.length < count; market++) out.push(...generateMarketDay(market));
  out.length = count;
  return out;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function benchSqlite(klines: Kline[], batch: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-storage-'));
  const path = join(dir, 'klines.db');
  try {
    const store = new SqliteKlineStore({ path });
    await store.applySchema();
    const writeAll = async () => {
      let written = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < klines.length; i += batch) {
        const r = await store.upsert('1m', klines.slice(i, i + batch));
        if (r.failures.length > 0) throw new Error(`bench klines refused: ${r.failures[0].reason}`);
        written += r.written;
      }
      return { written, seconds: seconds(start) };
    };
    const first = await writeAll();
    const again = await writeAll();
    if (first.written !== klines.length || again.written !== 0) {
      throw new Error(`expected ${klines.length} then 0 written, got ${first.written} then ${again.written}`);
    }
    await store.close(); // checkpoints the WAL into the database file
    return {
      upsertRate: klines.length / first.seconds,
      rewriteRate: klines.length / again.seconds,
      bytesPerKline: statSync(path).size / klines.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The document a typical kline collector writes: seven strings, no natural key. */
function seedStyleDocument(k: Kline): Record<string, string> {
  return { Timestamp: String(k.openTime), Symbol: k.symbol, Open: k.open, High: k.high, Low: k.low, Close: k.close, Volume: k.volume };
}

function averageBson(klines: readonly Kline[], toDocument: (k: Kline) => object): number {
  let total = 0;
  for (const k of klines) total += BSON.calculateObjectSize(toDocument(k));
  return total / klines.length;
}

/** Concatenated BSON compressed in WiredTiger-like 32 KiB blocks, bytes per kline. */
function compressedBson(klines: readonly Kline[]): { bytesPerKline: number; compressor: string } {
  const zstd = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
  const compress = zstd ?? ((b: Buffer) => deflateSync(b, { level: 6 }));
  const block = 32 * 1024;
  const buffers = klines.map((k) => Buffer.from(BSON.serialize(klineDocument(k, '1m'))));
  let total = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes > 0) total += compress(Buffer.concat(pending)).length;
    pending = [];
    pendingBytes = 0;
  };
  for (const b of buffers) {
    if (pendingBytes + b.length > block) flush();
    pending.push(b);
    pendingBytes += b.length;
  }
  flush();
  return { bytesPerKline: total / klines.length, compressor: zstd ? 'zstd' : 'zlib' };
}

function bsonLayouts(sample: readonly Kline[]): BsonLayout[] {
  const adapter = (k: Kline) => klineDocument(k, '1m');
  return [
    { layout: 'adapter document (written)', bytesPerKline: averageBson(sample, adapter), exact: 'all 12 fields, Decimal128' },
    {
      layout: 'seed style {_id:ObjectId, Timestamp, Symbol, O,H,L,C, Volume} strings',
      bytesPerKline: averageBson(sample, (k) => ({ _id: new ObjectId(), ...seedStyleDocument(k) })),
      exact: '7 of 12 fields (no quote/taker volumes, trades, close time); no natural key',
    },
    {
      layout: 'seed style without _id',
      bytesPerKline: averageBson(sample, seedStyleDocument),
      exact: 'as above; MongoDB always adds an _id',
    },
    {
      layout: 'alt: adapter without closeTime (derivable)',
      bytesPerKline: averageBson(sample, (k) => {
        const { closeTime: _closeTime, ...d } = adapter(k);
        return d;
      }),
      exact: 'all fields (closeTime = openTime + 1m - 1)',
    },
    {
      layout: 'alt: one-letter names, no closeTime',
      bytesPerKline: averageBson(sample, (k) => {
        const d = adapter(k);
        return { _id: d._id, s: d.symbol, t: d.openTime, o: d.open, h: d.high, l: d.low, c: d.close, v: d.volume, q: d.quoteVolume, n: d.trades, V: d.takerBuyBaseVolume, Q: d.takerBuyQuoteVolume };
      }),
      exact: 'all fields, cryptic names',
    },
  ];
}

export async function benchStorage(options: StorageBenchOptions = {}): Promise<StorageBenchFigures> {
  const count = options.klines ?? 200_000;
  const batch = options.batch ?? 1000;
  const klines = klinesFor(count);
  const sqlite = await benchSqlite(klines, batch);
  const sample = klines.length > 20_000 ? klines.filter((_, i) => i % Math.ceil(klines.length / 20_000) === 0) : klines;
  const layouts = bsonLayouts(sample);
  const compressed = compressedBson(sample);
  return {
    klines: count,
    batch,
    sqliteUpsertRate: sqlite.upsertRate,
    sqliteRewriteRate: sqlite.rewriteRate,
    sqliteBytesPerKline: sqlite.bytesPerKline,
    mongoBsonBytesPerKline: layouts[0].bytesPerKline,
    mongoCompressedBytesPerKline: compressed.bytesPerKline,
    compressor: compressed.compressor,
    layouts,
    goalBsonBytes: 200,
    goalUpsertRate: 20_000,
  };
}

export function printTable(f: StorageBenchFigures): void {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const rows: [string, string][] = [
    ['1m klines stored', `${n(f.klines)} (batches of ${n(f.batch)})`],
    ['SQLite upsert rate, new klines', `${n(f.sqliteUpsertRate)} klines/s (goal ≥ ${n(f.goalUpsertRate)})`],
    ['SQLite upsert rate, identical re-write', `${n(f.sqliteRewriteRate)} klines/s (0 written)`],
    ['SQLite bytes per 1m kline (file)', `${f.sqliteBytesPerKline.toFixed(1)} B`],
    ['MongoDB BSON bytes per 1m kline', `${f.mongoBsonBytesPerKline.toFixed(1)} B (goal ≤ ${f.goalBsonBytes})`],
    [`MongoDB, ${f.compressor} in 32 KiB blocks`, `${f.mongoCompressedBytesPerKline.toFixed(1)} B (estimate of on-disk data, no indexes)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('storage');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  const lw = Math.max(...f.layouts.map((l) => l.layout.length));
  console.log('\nBSON bytes per 1m kline by document layout');
  for (const l of f.layouts) console.log(`  ${l.layout.padEnd(lw)}  ${l.bytesPerKline.toFixed(1).padStart(6)} B  ${l.exact}`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  benchStorage({ klines: arg('--klines'), batch: arg('--batch') })
    .then(printTable)
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
