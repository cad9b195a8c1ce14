/**
 * A dump's CSV bytes → batches of validated 1m klines, streaming: memory is one chunk plus one
 * batch, whatever the file's size. A UTF-8 BOM and a header row on the first line (futures
 * files have one, spot files do not) are skipped; timestamps are ms or µs, decided per value by
 * `parseCsvLine`; open times must ascend strictly (a dump never repeats a minute).
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Kline } from '../kline';
import type { MarketType } from '../market';
import { isCsvHeaderLine, parseCsvLine, readCsvLineUnvalidated } from '../parse';

/** A row of a dump that is not a sound kline: the 1-based line and why. */
export class DumpRowError extends Error {
  override readonly name = 'DumpRowError';
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
  }
}

export interface CsvBatchOptions {
  marketType: MarketType;
  symbol: string;
  /** Klines per batch (default 5,000). */
  batchSize?: number;
  /**
   * false: rows are read (columns, integer times, ascending open times) but not put through
   * validateKline, because the caller upserts every batch into a store, which validates each
   * kline itself; a refusal is named by `lines`. Default true.
   */
  validate?: boolean;
}

export interface CsvBatch {
  klines: Kline[];
  /** The 1-based line of each kline in the file. */
  lines: number[];
  /** Bytes of CSV text consumed so far. */
  bytes: number;
}

/** The per-line rules of a dump, shared by the stream and the in-memory readers. */
function lineReader(options: CsvBatchOptions): { take(raw: string): void; batch: Kline[]; lines: number[] } {
  let lineNo = 0;
  let previous = -1;
  const parse = options.validate === false ? readCsvLineUnvalidated : parseCsvLine;
  const state = {
    batch: [] as Kline[],
    lines: [] as number[],
    take(raw: string): void {
      lineNo++;
      let line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
      if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      if (line.length === 0 || line.trim() === '') return;
      if (lineNo === 1 && isCsvHeaderLine(line)) return;
      const parsed = parse(options.symbol, '1m', line, options.marketType);
      if (!parsed.ok) throw new DumpRowError(lineNo, parsed.reason);
      const k = parsed.kline;
      if (k.openTime <= previous) {
        throw new DumpRowError(lineNo, k.openTime === previous ? `openTime ${k.openTime} repeats the previous row` : `openTime ${k.openTime} is before the previous row's ${previous}`);
      }
      previous = k.openTime;
      state.batch.push(k);
      state.lines.push(lineNo);
    },
  };
  return state;
}

export async function* readCsvBatches(input: Readable, options: CsvBatchOptions): AsyncGenerator<CsvBatch> {
  const batchSize = options.batchSize ?? 5000;
  const decoder = new StringDecoder('utf8');
  const reader = lineReader(options);
  let rest = '';
  let bytes = 0;

  for await (const chunk of input) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    const text = rest + decoder.write(buf);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      reader.take(text.slice(start, nl));
      start = nl + 1;
      if (reader.batch.length >= batchSize) {
        yield { klines: reader.batch, lines: reader.lines, bytes };
        reader.batch = [];
        reader.lines = [];
      }
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) reader.take(rest);
  if (reader.batch.length > 0) yield { klines: reader.batch, lines: reader.lines, bytes };
}

/** Text decoded per piece: V8 puts a string over ~256 KB in its large-object space, 20× dearer per byte. */
const PIECE_BYTES = 64 * 1024;

/**
 * The same batches from a CSV already in memory (a checked zip entry, `VerifiedDump.csv`): no
 * stream, no per-chunk decoder; decoded in pieces cut after a newline (a 0x0A byte never sits
 * inside a UTF-8 sequence). `bytes` counts the CSV's bytes consumed.
 */
export function* csvBatchesFromBuffer(csv: Buffer, options: CsvBatchOptions): Generator<CsvBatch> {
  const batchSize = options.batchSize ?? 5000;
  const reader = lineReader(options);
  let at = 0;
  while (at < csv.length) {
    let end = csv.length;
    if (end - at > PIECE_BYTES) {
      const nl = csv.lastIndexOf(10, at + PIECE_BYTES - 1);
      end = nl >= at ? nl + 1 : csv.indexOf(10, at + PIECE_BYTES) + 1 || csv.length;
    }
    const text = csv.toString('utf8', at, end);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      reader.take(text.slice(start, nl));
      start = nl + 1;
      if (reader.batch.length >= batchSize) {
        yield { klines: reader.batch, lines: reader.lines, bytes: at + Buffer.byteLength(text.slice(0, start)) };
        reader.batch = [];
        reader.lines = [];
      }
    }
    if (start < text.length) reader.take(text.slice(start)); // only the last piece ends without a newline
    at = end;
  }
  if (reader.batch.length > 0) yield { klines: reader.batch, lines: reader.lines, bytes: csv.length };
}
