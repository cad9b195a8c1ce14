/**
 * Klines as Parquet, written by parquet-wasm (the Rust `parquet` crate of Apache Arrow, compiled
 * to WebAssembly; no native build) from Arrow record batches (core/export/arrow-batch.ts).
 * Measured 2026-12 (bench/RESULTS.md, `export-parquet`): hyparquet-writer, the pure-JS writer used
 * before, spent more CPU than the whole goal allows in its own per-value encoding, whatever the
 * input; parquet-wasm takes whole columns.
 *
 * Decimals are Parquet DECIMAL(38, 8) (16-byte FIXED_LEN_BYTE_ARRAY): exact values every reader
 * understands as decimals (pyarrow/pandas `decimal.Decimal`, Polars `Decimal(38, 8)`, DuckDB
 * `DECIMAL(38,8)`, Athena `decimal(38,8)`), one schema for every market and file so a Glue table
 * spans them all. Why not INT64 (precision ≤ 18, cheaper): 18 digits with 8 fraction digits leave
 * 10 integer digits, and base-asset volumes of 1d/1w bars (and some 1m volumes of low-priced
 * tokens) pass 10^10; docs/export.md. Binance sends at most 8 fraction digits; a value with more
 * significant digits is refused (never rounded).
 * Timestamps are Parquet TIMESTAMP(MILLIS, UTC). `source_count` is null for 1m klines.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { Kline } from '../kline';

export { DECIMAL_PRECISION, DECIMAL_SCALE, unscaledDecimal } from './decimal128';

interface Libraries {
  wasm: typeof import('parquet-wasm');
  batch: typeof import('./arrow-batch');
}
let loaded: Libraries | undefined;
/**
 * Loaded on the first Parquet file: compiling the 5 MB WebAssembly module and loading Arrow take
 * a noticeable part of a second, a cost only Parquet exports should pay (the CLI imports this
 * module for every command).
 */
function libraries(): Libraries {
  return (loaded ??= {
    wasm: require('parquet-wasm') as Libraries['wasm'],
    batch: require('./arrow-batch') as Libraries['batch'],
  });
}

/**
 * Below this many klines for the process, the writer's WebAssembly runs on V8's baseline compiler
 * (Liftoff) alone. By default V8 also recompiles the writer's hot functions with its optimizing
 * compiler on helper threads: for a year of one market's daily files (525,600 klines in 365 calls
 * to the writer) that cost ≈ 0.4 CPU s of the export's 2.5, with kernel time for code pages made
 * writable and back, and paid back little. The optimized code encodes ≈ 4–6 % faster in a steady
 * stream of large files (≈ 0.05 CPU s per million klines; bench/RESULTS.md `export-vs-polars,
 * round 4`): below 2 million klines the baseline alone costs less, or about the same. A day of all
 * spot markets (≈ 2.9 million 1m klines) keeps the default, as does the exporter Lambda.
 */
export const BASELINE_WASM_KLINES = 2_000_000;

/** The V8 flag for a process about to write `klines` klines to Parquet, or undefined for V8's default. */
export function wasmTierFlag(klines: number): string | undefined {
  return klines < BASELINE_WASM_KLINES ? '--liftoff-only' : undefined;
}

/**
 * Say, before the first Parquet file of the process, about how many klines it will write: a small
 * export then skips the optimizing recompilation of the writer (`BASELINE_WASM_KLINES`). The flag
 * is process-wide and only matters before the writer's WebAssembly is compiled; later calls, and
 * calls after a file was opened, change nothing.
 */
export function expectParquetKlines(klines: number): void {
  if (loaded !== undefined || tierDecided) return;
  tierDecided = true;
  const flag = wasmTierFlag(klines);
  if (flag !== undefined) setFlagsFromString(flag);
}
let tierDecided = false;

/** Klines converted and handed to the writer at a time. */
const SLICE_ROWS = 16_384;
type KlineColumns = import('./arrow-batch').KlineColumns;
let sharedColumns: KlineColumns | undefined;
/** The open file whose rows the shared buffers hold, if any. */
let sharedOwner: KlineParquetFile | undefined;

/**
 * Rows per row group (a row group is buffered, encoded, in the writer until it is full): about
 * DuckDB's default (122,880). With 500,000 the writer's WebAssembly memory grew to 119 MiB, against
 * 56 MiB, and the first file of a process pays for every fresh page.
 */
export const ROW_GROUP_ROWS = 131_072;

/** Columns with row-group min/max statistics. */
export const STATISTICS_COLUMNS = ['symbol', 'open_time', 'close_time', 'count'];

/**
 * A Parquet file written batch by batch to `path` (callers write to a temporary name and rename
 * when `close` resolves). Rows are gathered in column buffers of 16,384 klines; each full set is
 * handed to a streaming writer, which `write` and `writeRows` wait for, so memory is bounded by
 * one row group and one batch. A file that never fills the buffers (a day of a few markets) is
 * written by one call at `close`.
 */
export class KlineParquetFile {
  private readonly fd: number;
  /** The streaming writer, started when the first full batch is handed over (never for a file that fits one batch). */
  private stream: { controller: ReadableStreamDefaultController<unknown>; finished: Promise<void> } | undefined;
  /** Called when the writer asks for the next batch. */
  private wanted: (() => void) | undefined;
  private failure: unknown;
  private closed = false;
  /** Buffers of this file's own, made only when another open file holds the shared ones. */
  private own: KlineColumns | undefined;
  rows = 0;

  constructor(
    path: string,
    private readonly metadata: Record<string, string> = {},
    private readonly rowGroupRows = ROW_GROUP_ROWS,
  ) {
    libraries();
    this.fd = openSync(path, 'w');
  }

  /** The writer's settings (consumed by each writer that takes them). */
  private properties(): import('parquet-wasm').WriterProperties {
    const pw = libraries().wasm;
    let builder = new pw.WriterPropertiesBuilder()
      .setCompression(pw.Compression.SNAPPY)
      // Dictionaries only where values repeat (a day of 1m klines holds ~1,440 rows per symbol).
      .setDictionaryEnabled(false)
      .setColumnDictionaryEnabled('symbol', true)
      // Min/max per row group where readers prune by them (market, time range); not on the
      // decimals, whose 16-byte comparisons were a third of the writer's CPU.
      .setStatisticsEnabled(pw.EnabledStatistics.None)
      .setMaxRowGroupSize(this.rowGroupRows)
      .setKeyValueMetadata(new Map(Object.entries(this.metadata)))
      .setCreatedBy('kline-capture (parquet-wasm)');
    // Each setter consumes the builder and returns the next one.
    for (const column of STATISTICS_COLUMNS) builder = builder.setColumnStatisticsEnabled(column, pw.EnabledStatistics.Chunk);
    return builder.build();
  }

  /** Start the streaming writer: batches in as the writer pulls them, Parquet bytes out to the file. */
  private start(): NonNullable<KlineParquetFile['stream']> {
    if (this.stream) return this.stream;
    const pw = libraries().wasm;
    let controller!: ReadableStreamDefaultController<unknown>;
    const input = new ReadableStream<unknown>(
      {
        start: (c) => {
          controller = c;
        },
        pull: () => {
          this.wanted?.();
        },
      },
      { highWaterMark: 0 },
    );
    const fd = this.fd;
    const properties = this.properties();
    const finished = (async () => {
      const output = (await pw.transformParquetStream(input, properties)) as ReadableStream<Uint8Array>;
      const reader = output.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        writeSync(fd, value);
      }
    })();
    finished.catch((err: unknown) => {
      this.failure = err;
      this.wanted?.();
    });
    return (this.stream = { controller, finished });
  }

  /** Append klines (nothing for an empty batch); rejects naming a decimal that would round. */
  async write(klines: readonly Kline[]): Promise<void> {
    if (this.closed) throw new Error('Parquet file already closed');
    // Through one set of column buffers and one IPC buffer, reused: no garbage and no fresh
    // memory per slice (both were most of the CPU, bench/RESULTS.md `export-parquet`).
    const columns = this.columns();
    for (let i = 0; i < klines.length; ) {
      const added = this.adding(columns, () => columns.addKlines(klines, i));
      i += added;
      this.rows += added;
      if (columns.full) await this.flush();
    }
  }

  /**
   * Append one market's export rows (core/export/export-rows.ts, the store's fast path); rejects
   * naming a row that is not that layout or a decimal that would round. Rows are handed to the
   * writer when the buffers are full or the file closes.
   */
  async writeRows(symbol: string, rows: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('Parquet file already closed');
    const columns = this.columns();
    for (let i = 0; i < rows.length; ) {
      const added = this.adding(columns, () => columns.addRows(symbol, rows, i));
      i += added;
      this.rows += added;
      if (columns.full) await this.flush();
    }
  }

  /** `add` (a call that appends to `columns`); on a refusal none of the rows that call appended is kept, earlier ones are. */
  private adding(columns: KlineColumns, add: () => number): number {
    const before = columns.length;
    try {
      return add();
    } catch (err) {
      columns.truncate(before);
      throw err;
    }
  }

  /**
   * The process's shared column buffers, held by this file until it is closed or aborted (fresh
   * buffers per file, 365 for a year of daily files, cost more than the encoding), or buffers of
   * its own while another open file holds the shared ones.
   */
  private columns(): KlineColumns {
    if (this.own) return this.own;
    if (sharedOwner === undefined || sharedOwner === this) {
      sharedOwner = this;
      return (sharedColumns ??= new (libraries().batch.KlineColumns)(SLICE_ROWS));
    }
    return (this.own = new (libraries().batch.KlineColumns)(SLICE_ROWS));
  }

  /** Give the shared buffers back, empty. */
  private disown(): void {
    this.own = undefined;
    if (sharedOwner !== this) return;
    sharedColumns?.clear();
    sharedOwner = undefined;
  }

  /** Hand what the buffers hold to the writer (a copy into it) and wait until it has taken it. */
  private async flush(): Promise<void> {
    const columns = this.columns();
    if (columns.length === 0) return;
    const { controller } = this.start();
    const taken = new Promise<void>((resolve) => {
      this.wanted = resolve;
    });
    try {
      this.enqueue(controller, columns.recordBatchIpc());
    } finally {
      columns.clear();
    }
    await taken;
    this.wanted = undefined;
    if (this.failure !== undefined) throw this.failure;
  }

  private enqueue(controller: ReadableStreamDefaultController<unknown>, ipc: Uint8Array): void {
    const table = libraries().wasm.Table.fromIPCStream(ipc);
    try {
      for (const batch of table.recordBatches()) controller.enqueue(batch);
    } finally {
      table.free();
    }
  }

  /** Write the footer and close the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.stream === undefined) {
        // Everything is in one batch (a day of a few markets): one call to the writer, without the
        // stream's machinery, which cost more than the encoding for a year of one market's daily
        // files. An empty batch gives a valid file with no rows.
        const columns = this.columns();
        const wasm = libraries().wasm;
        const table = wasm.Table.fromIPCStream(columns.recordBatchIpc()); // a copy into the writer's memory
        columns.clear();
        writeSync(this.fd, wasm.writeParquet(table, this.properties())); // consumes the table
        return;
      }
      await this.flush();
      this.stream.controller.close();
      await this.stream.finished;
    } finally {
      this.disown();
      closeSync(this.fd);
    }
  }

  /** Abandon the file (the caller removes it). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disown();
    if (this.stream) {
      this.stream.controller.error(new Error('export aborted'));
      await this.stream.finished.catch(() => undefined);
    }
    closeSync(this.fd);
  }
}
