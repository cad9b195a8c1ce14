/**
 * Klines as Parquet, written with hyparquet-writer (a maintained pure-JS writer; no native
 * build, bundles with esbuild).
 *
 * Decimals are Parquet DECIMAL(38, 8) (16-byte FIXED_LEN_BYTE_ARRAY): exact values every reader
 * understands as decimals (pyarrow/pandas `decimal.Decimal`, Polars `Decimal(38, 8)`, DuckDB
 * `DECIMAL(38,8)`, Athena `decimal(38,8)`), one schema for every market and file so a Glue table
 * spans them all. Why not exact text beside a double: two columns per field, and users would
 * read the double. Binance sends at most 8 fraction digits; a value with more significant digits
 * is refused (never rounded). 38 digits hold 30 integer digits: any volume sum.
 * Timestamps are Parquet TIMESTAMP(MILLIS, UTC). `source_count` is null for 1m klines.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { Kline } from '../kline';

export const DECIMAL_SCALE = 8;
export const DECIMAL_PRECISION = 38;

/** Column names, as Binance names its CSV columns, plus `symbol` and `source_count`. */
export const PARQUET_COLUMNS = [
  'symbol',
  'open_time',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'close_time',
  'quote_volume',
  'count',
  'taker_buy_volume',
  'taker_buy_quote_volume',
  'source_count',
] as const;

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

// hyparquet-writer re-encodes every value of a column annotated DECIMAL through BigInt (25×
// slower, measured); a column with only the logical type takes the 16 bytes we encode as they
// are. So rows are written with the logical type alone and the legacy converted_type (which
// older readers and hyparquet look for) is added to the schema before the footer is written.
const decimal = (name: string): SchemaElement => ({
  name,
  type: 'FIXED_LEN_BYTE_ARRAY',
  type_length: 16,
  repetition_type: 'REQUIRED',
  precision: DECIMAL_PRECISION,
  scale: DECIMAL_SCALE,
  logical_type: { type: 'DECIMAL', precision: DECIMAL_PRECISION, scale: DECIMAL_SCALE },
});
const timestamp = (name: string): SchemaElement => ({
  name,
  type: 'INT64',
  repetition_type: 'REQUIRED',
  converted_type: 'TIMESTAMP_MILLIS',
  logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
});

/** A fresh schema per file (`close` annotates its decimal columns). */
export const klineParquetSchema = (): SchemaElement[] => [
  { name: 'root', num_children: PARQUET_COLUMNS.length },
  { name: 'symbol', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  timestamp('open_time'),
  decimal('open'),
  decimal('high'),
  decimal('low'),
  decimal('close'),
  decimal('volume'),
  timestamp('close_time'),
  decimal('quote_volume'),
  { name: 'count', type: 'INT64', repetition_type: 'REQUIRED' },
  decimal('taker_buy_volume'),
  decimal('taker_buy_quote_volume'),
  { name: 'source_count', type: 'INT32', repetition_type: 'OPTIONAL' },
];

const ZEROS = '0'.repeat(DECIMAL_SCALE);

/** Decimal text as the unscaled integer of DECIMAL(38, 8); throws naming the value if that would round. */
export function unscaledDecimal(text: string, field = 'value'): bigint {
  const dot = text.indexOf('.');
  if (dot < 0) return BigInt(text) * 100_000_000n;
  const frac = text.slice(dot + 1);
  if (frac.length > DECIMAL_SCALE) {
    if (!/^0*$/.test(frac.slice(DECIMAL_SCALE))) throw new RangeError(`${field} ${text} has more than ${DECIMAL_SCALE} fraction digits: DECIMAL(38, 8) would round it`);
    return BigInt(text.slice(0, dot) + frac.slice(0, DECIMAL_SCALE));
  }
  return BigInt(text.slice(0, dot) + frac + ZEROS.slice(frac.length));
}

const TWO_32 = 2 ** 32;

/**
 * A decimal column as 16-byte big-endian two's-complement unscaled integers (Parquet's DECIMAL
 * in a FIXED_LEN_BYTE_ARRAY), one buffer per column. Values are non-negative (core/decimal.ts).
 */
function decimals(klines: readonly Kline[], field: 'open' | 'high' | 'low' | 'close' | 'volume' | 'quoteVolume' | 'takerBuyBaseVolume' | 'takerBuyQuoteVolume'): Uint8Array[] {
  const bytes = new Uint8Array(16 * klines.length);
  const view = new DataView(bytes.buffer);
  const out = new Array<Uint8Array>(klines.length);
  for (let i = 0; i < klines.length; i++) {
    const text = klines[i][field];
    const at = 16 * i;
    const dot = text.indexOf('.');
    const fracLength = dot < 0 ? 0 : text.length - dot - 1;
    // Up to 15 significant digits fit a double exactly: the usual case, no BigInt.
    if (text.length <= 16 && fracLength <= DECIMAL_SCALE) {
      const digits = dot < 0 ? Number(text) : Number(text.slice(0, dot)) * 10 ** fracLength + Number(text.slice(dot + 1));
      const unscaled = digits * 10 ** (DECIMAL_SCALE - fracLength);
      if (Number.isSafeInteger(unscaled) && Number.isSafeInteger(digits)) {
        view.setUint32(at + 8, Math.floor(unscaled / TWO_32));
        view.setUint32(at + 12, unscaled % TWO_32);
        out[i] = bytes.subarray(at, at + 16);
        continue;
      }
    }
    const big = unscaledDecimal(text, field);
    view.setBigUint64(at, big >> 64n);
    view.setBigUint64(at + 8, big & 0xffff_ffff_ffff_ffffn);
    out[i] = bytes.subarray(at, at + 16);
  }
  return out;
}

/** One row group's columns from klines (any symbols, any order). */
export function klineColumns(klines: readonly Kline[]) {
  return [
    { name: 'symbol', data: klines.map((k) => k.symbol) },
    { name: 'open_time', data: klines.map((k) => k.openTime) },
    { name: 'open', data: decimals(klines, 'open'), encoding: 'PLAIN' as const, statistics: false },
    { name: 'high', data: decimals(klines, 'high'), encoding: 'PLAIN' as const, statistics: false },
    { name: 'low', data: decimals(klines, 'low'), encoding: 'PLAIN' as const, statistics: false },
    { name: 'close', data: decimals(klines, 'close'), encoding: 'PLAIN' as const, statistics: false },
    { name: 'volume', data: decimals(klines, 'volume'), encoding: 'PLAIN' as const, statistics: false },
    { name: 'close_time', data: klines.map((k) => k.closeTime) },
    { name: 'quote_volume', data: decimals(klines, 'quoteVolume'), encoding: 'PLAIN' as const, statistics: false },
    { name: 'count', data: klines.map((k) => BigInt(k.trades)) },
    { name: 'taker_buy_volume', data: decimals(klines, 'takerBuyBaseVolume'), encoding: 'PLAIN' as const, statistics: false },
    { name: 'taker_buy_quote_volume', data: decimals(klines, 'takerBuyQuoteVolume'), encoding: 'PLAIN' as const, statistics: false },
    { name: 'source_count', data: klines.map((k) => k.sourceCount ?? null) },
  ];
}

/**
 * A Parquet file written a row group at a time (memory bounded by the largest row group), to
 * `path` directly: callers write to a temporary name and rename when `close` resolves.
 */
export class KlineParquetFile {
  private readonly fd: number;
  private readonly bytes = new ByteWriter();
  private readonly writer: ParquetWriter;
  private closed = false;
  rows = 0;

  constructor(path: string, metadata: Record<string, string> = {}) {
    this.fd = openSync(path, 'w');
    // The writer appends to `bytes`; each row group is moved to the file and the buffer reset.
    this.writer = new ParquetWriter({
      writer: this.bytes,
      schema: klineParquetSchema(),
      kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      createdBy: 'kline-capture (hyparquet-writer)',
    });
    this.drain();
  }

  /** Append klines as one row group (nothing for an empty batch). */
  write(klines: readonly Kline[]): void {
    if (klines.length === 0) return;
    this.writer.write({ columnData: klineColumns(klines), rowGroupSize: klines.length });
    this.rows += klines.length;
    this.drain();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const element of this.writer.schema) {
        if (element.logical_type?.type === 'DECIMAL') element.converted_type = 'DECIMAL';
      }
      this.writer.finish();
      this.drain();
    } finally {
      closeSync(this.fd);
    }
  }

  /** Abandon the file (the caller removes it). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private drain(): void {
    if (this.bytes.index === 0) return;
    writeSync(this.fd, new Uint8Array(this.bytes.buffer, 0, this.bytes.index));
    this.bytes.index = 0;
  }
}
