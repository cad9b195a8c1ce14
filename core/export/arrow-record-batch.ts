/**
 * The kline columns (arrow-batch.ts `KlineColumns`) as an apache-arrow record batch, and the
 * Arrow schema they follow. The export itself never loads apache-arrow (it hands the writer an
 * IPC stream built from the buffers, arrow-ipc.ts); this is for tests and one-off use, and the
 * reference the IPC stream is checked against.
 */
import { Decimal, Field, Int32, Int64, makeData, RecordBatch, Schema, Struct, TimestampMillisecond, Utf8, type Data, type DataType } from 'apache-arrow';
import type { Kline } from '../kline';
import { KlineColumns } from './arrow-batch';
import { DECIMAL_PRECISION, DECIMAL_SCALE } from './decimal128';

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
const INT64 = new Int64();
const INT32 = new Int32();
const UTF8 = new Utf8();

function typeOf(field: keyof Kline): DataType {
  if (field === 'symbol') return UTF8;
  if (field === 'openTime' || field === 'closeTime') return TIMESTAMP;
  if (field === 'trades') return INT64;
  if (field === 'sourceCount') return INT32;
  return DECIMAL;
}

export const KLINE_ARROW_SCHEMA = new Schema(COLUMNS.map(([name, field]) => new Field(name, typeOf(field), field === 'sourceCount')));
const STRUCT = new Struct(KLINE_ARROW_SCHEMA.fields);

/** What `columns` hold as one record batch over their buffers: valid until they change. */
export function recordBatchOf(columns: KlineColumns): RecordBatch {
  const n = columns.length;
  const children: Data[] = columns.ipcColumns().map(({ nulls, buffers }, i) => {
    const type = KLINE_ARROW_SCHEMA.fields[i].type as DataType;
    const [validity, first, second] = buffers;
    const nullBitmap = nulls > 0 ? (validity as Uint8Array) : undefined;
    const words = first as Uint32Array;
    if (type === UTF8) return makeData({ type: UTF8, length: n, valueOffsets: first as Int32Array, data: second as Uint8Array });
    // Arrow's typed views of these words: int64 as BigInt64Array, Decimal128 as Uint32Array.
    if (type === TIMESTAMP) return makeData({ type: TIMESTAMP, length: n, data: new BigInt64Array(words.buffer, words.byteOffset, n) });
    if (type === INT64) return makeData({ type: INT64, length: n, data: new BigInt64Array(words.buffer, words.byteOffset, n) });
    if (type === INT32) return makeData({ type: INT32, length: n, data: first as Int32Array, nullBitmap, nullCount: nulls });
    return makeData({ type: DECIMAL, length: n, data: words });
  });
  return new RecordBatch(KLINE_ARROW_SCHEMA, makeData({ type: STRUCT, length: n, children }));
}

/** One record batch of klines in buffers of its own. Throws naming a decimal that DECIMAL(38, 8) would round or cannot hold. */
export function klineRecordBatch(klines: readonly Kline[]): RecordBatch {
  const columns = new KlineColumns(Math.max(1, klines.length));
  columns.fill(klines);
  return recordBatchOf(columns);
}
