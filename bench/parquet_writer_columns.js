/**
 * For the `parquet-writers` row (bench/parquet-writers.ts): one Parquet writer writing the value
 * columns of a year of one market's daily files (365 files × 1,440 rows × 8 columns, the same
 * unscaled values, below 2^53, in every variant), snappy, no statistics on them, as the CLI's
 * writer is set up. Prints one JSON line: CPU seconds of the 365 writes to files (the writer
 * loaded and one file written before the timing).
 *
 * - wasm-decimal: parquet-wasm (the CLI's writer) from Arrow Decimal128(38, 8): Parquet
 *   DECIMAL(38,8), 16-byte FIXED_LEN_BYTE_ARRAY, as the CLI writes them.
 * - wasm-fixed: the same 16 bytes as Arrow FixedSizeBinary(16), without the annotation.
 * - wasm-int64: the same values as Arrow Int64, Parquet INT64.
 * - polars-decimal: Polars' own writer (`nodejs-polars`, native) from the same Arrow IPC stream
 *   as wasm-decimal. Not a dependency of the project: `npm i --no-save nodejs-polars`.
 * - hyparquet-decimal: hyparquet-writer (pure JavaScript) with BigInt values, DECIMAL(38,8).
 *   Not a dependency: `npm i --no-save hyparquet-writer`.
 *
 *   node --liftoff-only bench/parquet_writer_columns.js VARIANT OUT_DIR
 */
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const arrow = require('apache-arrow');

const ROWS = 1440;
const FILES = 365;
const COLUMNS = 8;

/** Column c's unscaled values: prices near 30,000.12345678 for four, volumes up to ≈ 10^7 for four. */
function values(c) {
  let seed = 7 + c;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: ROWS }, () => Math.floor((c < 4 ? 3e12 : 1e15) * (0.5 + random())));
}

/** One record batch of the 8 columns as `type`, as an Arrow IPC stream. */
function ipcStream(type) {
  const fields = [];
  const children = [];
  for (let c = 0; c < COLUMNS; c++) {
    const words = new Uint32Array(4 * ROWS);
    const int64 = new BigInt64Array(ROWS);
    values(c).forEach((v, i) => {
      words[4 * i] = v >>> 0;
      words[4 * i + 1] = Math.floor(v / 2 ** 32);
      int64[i] = BigInt(v);
    });
    const data = type instanceof arrow.Int64 ? int64 : type instanceof arrow.FixedSizeBinary ? new Uint8Array(words.buffer) : words;
    fields.push(new arrow.Field(`v${c}`, type, false));
    children.push(arrow.makeData({ type, length: ROWS, data }));
  }
  const batch = new arrow.RecordBatch(new arrow.Schema(fields), arrow.makeData({ type: new arrow.Struct(fields), length: ROWS, children }));
  const writer = new arrow.RecordBatchStreamWriter();
  writer.write(batch);
  writer.finish();
  return writer.toUint8Array(true);
}

function parquetWasm(type) {
  const pw = require('parquet-wasm');
  const ipc = ipcStream(type);
  const properties = () => new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setDictionaryEnabled(false).setStatisticsEnabled(pw.EnabledStatistics.None).build();
  return (path) => writeFileSync(path, pw.writeParquet(pw.Table.fromIPCStream(ipc), properties()));
}

function nodejsPolars() {
  const pl = require('nodejs-polars');
  const ipc = Buffer.from(ipcStream(new arrow.Decimal(8, 38, 128)));
  return (path) => pl.readIPCStream(ipc).writeParquet(path, { compression: 'snappy', statistics: false });
}

async function hyparquetWriter() {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columnData = [];
  const schema = [{ name: 'root', num_children: COLUMNS }];
  for (let c = 0; c < COLUMNS; c++) {
    columnData.push({ name: `v${c}`, data: values(c).map(BigInt) });
    schema.push({ name: `v${c}`, type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, converted_type: 'DECIMAL', scale: 8, precision: 38, repetition_type: 'REQUIRED' });
  }
  return (path) => writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData, schema, statistics: false, codec: 'SNAPPY' })));
}

const WRITERS = {
  'wasm-decimal': () => parquetWasm(new arrow.Decimal(8, 38, 128)),
  'wasm-fixed': () => parquetWasm(new arrow.FixedSizeBinary(16)),
  'wasm-int64': () => parquetWasm(new arrow.Int64()),
  'polars-decimal': nodejsPolars,
  'hyparquet-decimal': hyparquetWriter,
};

async function main() {
  const [variant, out] = process.argv.slice(2);
  if (!(variant in WRITERS) || out === undefined) throw new Error(`usage: parquet_writer_columns.js ${Object.keys(WRITERS).join('|')} OUT_DIR`);
  const write = await WRITERS[variant]();
  mkdirSync(out, { recursive: true });
  write(join(out, 'warm-up.parquet'));
  const before = process.cpuUsage();
  for (let f = 0; f < FILES; f++) write(join(out, `${f}.parquet`));
  const used = process.cpuUsage(before);
  console.log(JSON.stringify({ variant, files: FILES, values: FILES * ROWS * COLUMNS, cpuSeconds: (used.user + used.system) / 1e6 }));
}

main().catch((err) => {
  const missing = err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_MODULE_NOT_FOUND';
  // The last line is what the bench row shows.
  if (!missing) console.error(err.stack);
  console.error(`${missing ? 'not installed: ' : ''}${String(err.message).split('\n')[0]}`);
  process.exit(1);
});
