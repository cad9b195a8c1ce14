/**
 * Klines as Apache Arrow record batches, the input of the Parquet writer (core/export/parquet.ts).
 * Column names as Binance names its CSV columns, plus `symbol` and `source_count` (null for 1m
 * klines).
 *
 * One pass over the klines per batch, every field of a kline at once (each Kline object and its
 * strings are visited once, which is what the time goes to: the values are scattered in the heap),
 * into column buffers that a `KlineColumns` allocates once and reuses for every batch: on this
 * machine, fresh memory costs more than the encoding (page faults, garbage collection over the
 * live klines). Nothing is made per value.
 */
import { Decimal, Field, Int32, Int64, makeData, RecordBatch, RecordBatchStreamWriter, Schema, Struct, TimestampMillisecond, Utf8, type Data } from 'apache-arrow';
import type { Kline } from '../kline';
import { DECIMAL_PRECISION, DECIMAL_SCALE, writeDecimalExact, writeDecimalFast } from './decimal128';
import { EXPORT_ROW_FIELDS } from './export-rows';

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
const TWO_32 = 2 ** 32;

function typeOf(field: keyof Kline) {
  if (field === 'symbol') return UTF8;
  if (field === 'openTime' || field === 'closeTime') return TIMESTAMP;
  if (field === 'trades') return INT64;
  if (field === 'sourceCount') return INT32;
  return DECIMAL;
}

export const KLINE_ARROW_SCHEMA = new Schema(COLUMNS.map(([name, field]) => new Field(name, typeOf(field), field === 'sourceCount')));
const STRUCT = new Struct(KLINE_ARROW_SCHEMA.fields);

/** Non-negative integer below 2^53 as int64 (little-endian words, as typed arrays are on every platform Node runs on). */
function int64(words: Uint32Array, i: number, v: number): void {
  const lo = v >>> 0;
  words[2 * i] = lo;
  words[2 * i + 1] = (v - lo) / TWO_32;
}

function decimal(words: Uint32Array, i: number, text: string, field: string): void {
  if (!writeDecimalFast(words, 4 * i, text)) writeDecimalExact(words, 4 * i, text, field);
}

const encoder = new TextEncoder();
/** An IPC stream's end: continuation marker, then a zero length. */
const END_OF_STREAM = new Uint8Array(new Int32Array([-1, 0]).buffer);

/**
 * Arrow's own IPC stream writer, its output copied into one buffer that is reused from stream to
 * stream (`tableToIPC` joins the pieces into a new buffer per call). Built on the same
 * `apache-arrow` import as the batches: a bundler resolves `import` to Arrow's ES build and
 * `require` to its CommonJS build, and the CommonJS writer given an ES-build batch writes a broken
 * schema (test/e2e/moto-exporter.test.ts runs the bundle).
 */
class ReusedBufferIpcWriter extends RecordBatchStreamWriter {
  bytes = new Uint8Array(1 << 20);
  length = 0;

  protected override _write(chunk: ArrayBufferView | ArrayBuffer | ArrayLike<number> | Iterable<number> | string | null | undefined): this {
    if (!this._started || chunk === null || chunk === undefined) return this;
    if (!ArrayBuffer.isView(chunk)) throw new TypeError('unexpected IPC chunk');
    const piece = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.append(piece);
    this._position += piece.length;
    return this;
  }

  /** The schema message, encoded once (encoding it per stream cost more than the batch for a day of one market). */
  private schemaBytes: Uint8Array | undefined;

  /** One record batch of KLINE_ARROW_SCHEMA as a complete IPC stream (schema, batch, end marker): a view valid until the next call. */
  stream(batch: RecordBatch): Uint8Array {
    if (this.schemaBytes === undefined) {
      this.length = 0;
      this.reset(undefined, KLINE_ARROW_SCHEMA); // writes the schema message; the writer stays started on it
      this.schemaBytes = this.bytes.slice(0, this.length);
    }
    this.length = 0;
    this.append(this.schemaBytes);
    this.write(batch); // the same schema: only the record batch message
    (this as unknown as { _recordBatchBlocks: unknown[] })._recordBatchBlocks.length = 0; // kept for a file footer, which a stream has not
    this.append(END_OF_STREAM);
    return this.bytes.subarray(0, this.length);
  }

  private append(piece: Uint8Array): void {
    if (this.length + piece.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + piece.length));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(piece, this.length);
    this.length += piece.length;
  }
}

/** Digits of text[start, end) as a non-negative integer below 10^15, or -1 when they are not that. */
function integerIn(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let v = 0;
  for (let j = start; j < end; j++) {
    const c = text.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function badRow(symbol: string, text: string, field: string): never {
  throw new RangeError(`${symbol}: export row "${text}" has no valid ${field}`);
}

/** Decimal fields of an export row (core/export/export-rows.ts), from its fifth field on. */
const ROW_DECIMALS = EXPORT_ROW_FIELDS.slice(4);

/**
 * Reusable column buffers for up to `capacity` klines, filled in order (klines, or export rows of
 * one market at a time) and read as one record batch of what they hold.
 */
export class KlineColumns {
  private readonly openTime: Uint32Array;
  private readonly closeTime: Uint32Array;
  private readonly trades: Uint32Array;
  private readonly decimals: Uint32Array[];
  private readonly offsets: Int32Array;
  private symbolBytes = new Uint8Array(1 << 16);
  private readonly counts: Int32Array;
  private readonly valid: Uint8Array;
  /** UTF-8 of symbols seen (a batch holds a few hundred markets at most). */
  private readonly utf8 = new Map<string, Uint8Array>();
  private ipc: ReusedBufferIpcWriter | undefined;
  /** Klines held, bytes of their symbols, null source counts among them. */
  length = 0;
  private symbolTotal = 0;
  private nulls = 0;

  constructor(readonly capacity: number) {
    const words = (per: number) => new Uint32Array(per * capacity);
    this.openTime = words(2);
    this.closeTime = words(2);
    this.trades = words(2);
    this.decimals = Array.from({ length: 8 }, () => words(4));
    this.offsets = new Int32Array(capacity + 1);
    this.counts = new Int32Array(capacity);
    this.valid = new Uint8Array((capacity + 7) >> 3);
  }

  get full(): boolean {
    return this.length === this.capacity;
  }

  /** Empty the buffers (nothing is freed). */
  clear(): void {
    this.valid.fill(0, 0, (this.length + 7) >> 3);
    this.length = 0;
    this.symbolTotal = 0;
    this.nulls = 0;
  }

  /** Keep only the first `n` klines (drops what a refused call had appended). */
  truncate(n: number): void {
    for (let i = n; i < this.length; i++) {
      const bit = 1 << (i & 7);
      if ((this.valid[i >> 3] & bit) === 0) this.nulls--;
      else this.valid[i >> 3] &= ~bit;
    }
    if (n < this.length) {
      this.length = n;
      this.symbolTotal = this.offsets[n];
    }
  }

  private symbolUtf8(symbol: string): Uint8Array {
    let b = this.utf8.get(symbol);
    if (b === undefined) {
      if (this.utf8.size > 100_000) this.utf8.clear();
      this.utf8.set(symbol, (b = encoder.encode(symbol)));
    }
    return b;
  }

  /** The symbol of the next kline (position `length`). */
  private pushSymbol(s: Uint8Array): void {
    let bytes = this.symbolBytes;
    const total = this.symbolTotal;
    if (total + s.length > bytes.length) {
      const grown = new Uint8Array(Math.max(2 * bytes.length, total + s.length));
      grown.set(bytes.subarray(0, total));
      this.symbolBytes = bytes = grown;
    }
    bytes.set(s, total);
    this.symbolTotal = total + s.length;
    this.offsets[this.length + 1] = this.symbolTotal;
  }

  private pushSourceCount(i: number, c: number | undefined): void {
    if (c === undefined) {
      this.counts[i] = 0;
      this.nulls++;
    } else {
      this.counts[i] = c;
      this.valid[i >> 3] |= 1 << (i & 7);
    }
  }

  /**
   * Appends klines[from, to) (any symbols, any order) as far as the capacity allows; returns how
   * many it took. Throws naming a decimal that DECIMAL(38, 8) would round or cannot hold.
   */
  addKlines(klines: readonly Kline[], from = 0, to = klines.length): number {
    const n = Math.min(to - from, this.capacity - this.length);
    const { openTime, closeTime, trades } = this;
    const [open, high, low, close, volume, quoteVolume, takerBase, takerQuote] = this.decimals;
    let lastSymbol: string | undefined;
    let lastUtf8: Uint8Array | undefined;
    for (let r = 0; r < n; r++) {
      const k = klines[from + r];
      const i = this.length;
      if (k.symbol !== lastSymbol) {
        lastSymbol = k.symbol;
        lastUtf8 = this.symbolUtf8(k.symbol);
      }
      int64(openTime, i, k.openTime);
      int64(closeTime, i, k.closeTime);
      int64(trades, i, k.trades);
      decimal(open, i, k.open, 'open');
      decimal(high, i, k.high, 'high');
      decimal(low, i, k.low, 'low');
      decimal(close, i, k.close, 'close');
      decimal(volume, i, k.volume, 'volume');
      decimal(quoteVolume, i, k.quoteVolume, 'quoteVolume');
      decimal(takerBase, i, k.takerBuyBaseVolume, 'takerBuyBaseVolume');
      decimal(takerQuote, i, k.takerBuyQuoteVolume, 'takerBuyQuoteVolume');
      this.pushSymbol(lastUtf8!);
      this.pushSourceCount(i, k.sourceCount);
      this.length = i + 1;
    }
    return n;
  }

  /**
   * Appends export rows (core/export/export-rows.ts) rows[from, …) of one market as far as the
   * capacity allows; returns how many it took. Throws naming the field of a row that is not
   * exactly that layout, and a decimal that DECIMAL(38, 8) would round or cannot hold.
   */
  addRows(symbol: string, rows: readonly string[], from = 0): number {
    const n = Math.min(rows.length - from, this.capacity - this.length);
    const utf8 = this.symbolUtf8(symbol);
    const { openTime, closeTime, trades, decimals } = this;
    for (let r = 0; r < n; r++) {
      const text = rows[from + r];
      const i = this.length;
      let p = 0;
      let q = text.indexOf(',');
      const ot = integerIn(text, p, q);
      if (ot < 0) badRow(symbol, text, 'openTime');
      p = q + 1;
      q = text.indexOf(',', p);
      const ct = integerIn(text, p, q);
      if (ct < 0) badRow(symbol, text, 'closeTime');
      p = q + 1;
      q = text.indexOf(',', p);
      const tr = integerIn(text, p, q);
      if (tr < 0) badRow(symbol, text, 'trades');
      p = q + 1;
      q = text.indexOf(',', p);
      if (q < 0) badRow(symbol, text, 'sourceCount');
      const sc = q === p ? undefined : integerIn(text, p, q);
      if (sc !== undefined && (sc < 0 || sc > 0x7fff_ffff)) badRow(symbol, text, 'sourceCount');
      for (let d = 0; d < 8; d++) {
        p = q + 1;
        q = d === 7 ? text.length : text.indexOf(',', p);
        if (q < 0) badRow(symbol, text, ROW_DECIMALS[d]);
        if (!writeDecimalFast(decimals[d], 4 * i, text, p, q)) writeDecimalExact(decimals[d], 4 * i, text.slice(p, q), ROW_DECIMALS[d]);
      }
      this.pushSymbol(utf8);
      int64(openTime, i, ot);
      int64(closeTime, i, ct);
      int64(trades, i, tr);
      this.pushSourceCount(i, sc);
      this.length = i + 1;
    }
    return n;
  }

  /** What the buffers hold as one record batch over them: valid until they change. */
  recordBatch(): RecordBatch {
    const n = this.length;
    const { openTime, closeTime, trades, offsets, counts, valid } = this;
    const [open, high, low, close, volume, quoteVolume, takerBase, takerQuote] = this.decimals;
    // Arrow's typed views of these words: int64 as BigInt64Array, Decimal128 as Uint32Array.
    const i64 = (words: Uint32Array) => new BigInt64Array(words.buffer, 0, n);
    const dec = (words: Uint32Array) => makeData({ type: DECIMAL, length: n, data: words.subarray(0, 4 * n) });
    const children: Data[] = [
      makeData({ type: UTF8, length: n, valueOffsets: offsets.subarray(0, n + 1), data: this.symbolBytes.subarray(0, this.symbolTotal) }),
      makeData({ type: TIMESTAMP, length: n, data: i64(openTime) }),
      dec(open),
      dec(high),
      dec(low),
      dec(close),
      dec(volume),
      makeData({ type: TIMESTAMP, length: n, data: i64(closeTime) }),
      dec(quoteVolume),
      makeData({ type: INT64, length: n, data: i64(trades) }),
      dec(takerBase),
      dec(takerQuote),
      makeData({ type: INT32, length: n, data: counts.subarray(0, n), nullBitmap: valid.subarray(0, (n + 7) >> 3), nullCount: this.nulls }),
    ];
    return new RecordBatch(KLINE_ARROW_SCHEMA, makeData({ type: STRUCT, length: n, children }));
  }

  /** What the buffers hold as one Arrow IPC stream, for parquet-wasm: a view of a reused buffer, valid until the next call. */
  recordBatchIpc(): Uint8Array {
    return (this.ipc ??= new ReusedBufferIpcWriter()).stream(this.recordBatch());
  }

  /**
   * klines[from, to) (at most `capacity`) alone as one record batch over these buffers: valid
   * until the next change. Throws naming a decimal that DECIMAL(38, 8) would round or cannot hold.
   */
  batch(klines: readonly Kline[], from = 0, to = klines.length): RecordBatch {
    const n = to - from;
    if (n > this.capacity) throw new RangeError(`${n} klines exceed the batch capacity ${this.capacity}`);
    this.clear();
    this.addKlines(klines, from, to);
    return this.recordBatch();
  }

  /** klines[from, to) alone as one Arrow IPC stream: a view of a reused buffer, valid until the next call. */
  ipcStream(klines: readonly Kline[], from = 0, to = klines.length): Uint8Array {
    this.batch(klines, from, to);
    return this.recordBatchIpc();
  }
}

/** One record batch of klines in buffers of its own (tests and one-off use). */
export function klineRecordBatch(klines: readonly Kline[]): RecordBatch {
  return new KlineColumns(Math.max(1, klines.length)).batch(klines);
}
