/**
 * Klines as one Apache Arrow record batch, built column by column into typed arrays (no object
 * per value): the input of the Parquet writer (core/export/parquet.ts). Column names as Binance
 * names its CSV columns, plus `symbol` and `source_count` (null for 1m klines).
 */
import { Decimal, Field, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, TimestampMillisecond, tableToIPC, Utf8, type Data } from 'apache-arrow';
import type { Kline } from '../kline';
import { DECIMAL_PRECISION, DECIMAL_SCALE, writeDecimal128 } from './decimal128';

type DecimalField = 'open' | 'high' | 'low' | 'close' | 'volume' | 'quoteVolume' | 'takerBuyBaseVolume' | 'takerBuyQuoteVolume';

/** Parquet column → kline field, in file order. */
const COLUMNS: readonly [string, keyof Kline][] = [
  ['symbol', 'symbol'],
  ['open_time', 'openTime'],
  ['open', 'open'],
  ['high', 'high'],
  ['low', 'low'],
  ['close', 'close'],
  ['volume', 'volume'],
  ['close_time', 'closeTime'],
  ['quote_volume', 'quoteVolume'],
  ['count', 'trades'],
  ['taker_buy_volume', 'takerBuyBaseVolume'],
  ['taker_buy_quote_volume', 'takerBuyQuoteVolume'],
  ['source_count', 'sourceCount'],
];
export const PARQUET_COLUMNS = COLUMNS.map(([name]) => name);

const DECIMAL = new Decimal(DECIMAL_SCALE, DECIMAL_PRECISION, 128);
const TIMESTAMP = new TimestampMillisecond('UTC');
const TWO_32 = 2 ** 32;

function typeOf(field: keyof Kline) {
  if (field === 'symbol') return new Utf8();
  if (field === 'openTime' || field === 'closeTime') return TIMESTAMP;
  if (field === 'trades') return new Int64();
  if (field === 'sourceCount') return new Int32();
  return DECIMAL;
}

export const KLINE_ARROW_SCHEMA = new Schema(COLUMNS.map(([name, field]) => new Field(name, typeOf(field), field === 'sourceCount')));

/** Non-negative integers below 2^53 as int64 (little-endian words, as typed arrays are on every platform Node runs on). */
function int64s(klines: readonly Kline[], field: 'openTime' | 'closeTime' | 'trades'): Uint32Array {
  const words = new Uint32Array(2 * klines.length);
  for (let i = 0; i < klines.length; i++) {
    const v = klines[i][field];
    words[2 * i] = v % TWO_32;
    words[2 * i + 1] = Math.floor(v / TWO_32);
  }
  return words;
}

// One reader per field, so each property read is monomorphic (a computed key made this the hot spot).
const READ: Record<DecimalField, (k: Kline) => string> = {
  open: (k) => k.open,
  high: (k) => k.high,
  low: (k) => k.low,
  close: (k) => k.close,
  volume: (k) => k.volume,
  quoteVolume: (k) => k.quoteVolume,
  takerBuyBaseVolume: (k) => k.takerBuyBaseVolume,
  takerBuyQuoteVolume: (k) => k.takerBuyQuoteVolume,
};

function decimals(klines: readonly Kline[], field: DecimalField): Uint32Array {
  const words = new Uint32Array(4 * klines.length);
  const read = READ[field];
  writeDecimal128(words, klines.length, (i) => read(klines[i]), field);
  return words;
}

const encoder = new TextEncoder();

function symbols(klines: readonly Kline[]): Data {
  const bytes = new Map<string, Uint8Array>();
  const offsets = new Int32Array(klines.length + 1);
  let total = 0;
  for (let i = 0; i < klines.length; i++) {
    const s = klines[i].symbol;
    let b = bytes.get(s);
    if (b === undefined) bytes.set(s, (b = encoder.encode(s)));
    total += b.length;
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < klines.length; i++) data.set(bytes.get(klines[i].symbol)!, offsets[i]);
  return makeData({ type: new Utf8(), length: klines.length, valueOffsets: offsets, data });
}

function sourceCounts(klines: readonly Kline[]): Data {
  const values = new Int32Array(klines.length);
  const valid = new Uint8Array((klines.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < klines.length; i++) {
    const c = klines[i].sourceCount;
    if (c === undefined) nulls++;
    else {
      values[i] = c;
      valid[i >> 3] |= 1 << (i & 7);
    }
  }
  return makeData({ type: new Int32(), length: klines.length, data: values, nullBitmap: valid, nullCount: nulls });
}

/** One record batch of klines (any symbols, any order); throws naming a decimal that DECIMAL(38, 8) would round. */
export function klineRecordBatch(klines: readonly Kline[]): RecordBatch {
  const n = klines.length;
  const children: Data[] = COLUMNS.map(([, field]) => {
    if (field === 'symbol') return symbols(klines);
    if (field === 'sourceCount') return sourceCounts(klines);
    // Arrow's typed views of these words: int64 as BigInt64Array, Decimal128 as Uint32Array.
    if (field === 'openTime' || field === 'closeTime') return makeData({ type: TIMESTAMP, length: n, data: new BigInt64Array(int64s(klines, field).buffer) });
    if (field === 'trades') return makeData({ type: new Int64(), length: n, data: new BigInt64Array(int64s(klines, field).buffer) });
    return makeData({ type: DECIMAL, length: n, data: decimals(klines, field as DecimalField) });
  });
  return new RecordBatch(KLINE_ARROW_SCHEMA, makeData({ type: new Struct(KLINE_ARROW_SCHEMA.fields), length: n, children }));
}

/**
 * The klines as one Arrow IPC stream, for parquet-wasm. Built here, with the same `apache-arrow`
 * import as the batch: a bundler resolves `import` to Arrow's ES build and `require` to its
 * CommonJS build, and the CommonJS `tableToIPC` given an ES-build batch writes a broken schema
 * (test/e2e/moto-exporter.test.ts runs the bundle).
 */
export function klineIpcStream(klines: readonly Kline[]): Uint8Array {
  return tableToIPC(new Table([klineRecordBatch(klines)]), 'stream');
}
