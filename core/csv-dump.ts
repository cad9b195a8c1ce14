/**
 * Binance's public kline dumps (data.binance.vision): file names, reading a dump line by line
 * and writing klines back in the same 12-column layout.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { pipeline, type Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { intervalName, MINUTE_MS } from './interval';
import type { Kline } from './kline';
import type { MarketType } from './market';
import { csvTimestampMs, isCsvHeaderLine, parseCsvLine } from './parse';
import { isBinanceInterval } from './windows';

/** What a dump's file name says: `BTCUSDT-1m-2025-01-01.csv` (daily) or `BTCUSDT-1m-2025-01.csv` (or `.zip`). */
export interface DumpFileName {
  symbol: string;
  interval: string;
  /** `YYYY-MM-DD` or `YYYY-MM`. */
  period: string;
}

const DUMP_NAME = /^(.+)-([1-9][0-9]*[mhdwM])-([0-9]{4}-[0-9]{2}(?:-[0-9]{2})?)\.(?:csv|zip)$/u;

/** Parse a dump file name (a path is fine; only the last segment counts). */
export function parseDumpFileName(path: string): DumpFileName | undefined {
  const base = path.split(/[\\/]/).pop() ?? '';
  const m = DUMP_NAME.exec(base);
  if (!m || !isBinanceInterval(m[2])) return undefined;
  return { symbol: m[1], interval: m[2], period: m[3] };
}

/** One kline as a dump line: 12 columns, timestamps in ms, decimals as stored, last column `0`. */
export function formatCsvRow(k: Kline): string {
  return `${k.openTime},${k.open},${k.high},${k.low},${k.close},${k.volume},${k.closeTime},${k.quoteVolume},${k.trades},${k.takerBuyBaseVolume},${k.takerBuyQuoteVolume},0`;
}

/** A bad line of a dump: which line (1-based) and why. */
export class CsvLineError extends Error {
  override readonly name = 'CsvLineError';
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
  }
}

/**
 * The interval a data line describes, from its own open and close times (`closeTime − openTime
 * + 1 ms`); undefined when the line is not a kline or the span is no known interval.
 */
export function intervalOfCsvLine(line: string): string | undefined {
  const cols = line.split(',');
  if (cols.length < 7) return undefined;
  const t = csvTimestampMs(cols[0]);
  const T = csvTimestampMs(cols[6]);
  if (t === undefined || T === undefined) return undefined;
  const span = T - t + 1;
  if (span <= 0 || span % MINUTE_MS !== 0) return undefined;
  return intervalName(span);
}

export interface ReadDumpOptions {
  /** The market type of the dump (its data.binance.vision path says it: `spot/`, `futures/um/`, `futures/cm/`). */
  marketType: MarketType;
  symbol: string;
  /** The dump's interval; when omitted it is taken from the first data line's times. */
  interval?: string;
}

export interface DumpLine {
  /** 1-based line number in the file. */
  line: number;
  kline: Kline;
}

/**
 * Stream a dump's klines line by line. A header on the first line and blank lines are skipped;
 * any other bad line throws `CsvLineError` naming it. Klines must ascend strictly in open time
 * (dumps do), so a repeated or out-of-order line is reported instead of silently merged.
 */
export async function* readDump(input: Readable, options: ReadDumpOptions): AsyncGenerator<DumpLine> {
  let interval = options.interval;
  let lineNo = 0;
  let previous: number | undefined;
  const take = (line: string): DumpLine | undefined => {
    lineNo++;
    if (line.trim() === '') return undefined;
    if (lineNo === 1 && isCsvHeaderLine(line)) return undefined;
    if (interval === undefined) {
      interval = intervalOfCsvLine(line);
      if (interval === undefined) throw new CsvLineError(lineNo, 'cannot tell the interval: closeTime − openTime + 1 ms is no known interval');
    }
    const parsed = parseCsvLine(options.symbol, interval, line, options.marketType);
    if (!parsed.ok) throw new CsvLineError(lineNo, parsed.reason);
    const t = parsed.kline.openTime;
    if (previous !== undefined && t <= previous) {
      throw new CsvLineError(lineNo, t === previous ? `openTime ${t} repeats the previous line` : `openTime ${t} is before the previous line's ${previous}`);
    }
    previous = t;
    return { line: lineNo, kline: parsed.kline };
  };
  // Lines end at \n, \r\n or a lone \r, as node:readline splits them; split here by indexOf,
  // which costs a fraction of readline's event queue per line.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of input) {
      const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        for (const line of crLines(text.slice(start, nl))) {
          const d = take(line);
          if (d) yield d;
        }
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.end();
    if (rest.length > 0) {
      for (const line of crLines(rest)) {
        const d = take(line);
        if (d) yield d;
      }
    }
  } finally {
    decoder.end();
  }
}

/** A line cut at \n, split further at lone \r (a trailing \r ends it and adds no line). */
function crLines(line: string): string[] {
  if (line.indexOf('\r') < 0) return [line];
  const parts = line.split('\r');
  if (line.endsWith('\r')) parts.pop();
  return parts;
}

const ZIP_LOCAL_HEADER = 0x04034b50;

/**
 * A dump file as a byte stream of CSV text: a `.csv` as it is, or the one CSV inside a `.zip`
 * as data.binance.vision serves it (stored or deflated; read with node:zlib, no zip library).
 * Throws a plain Error saying why a zip cannot be read.
 */
export async function openDumpFile(path: string): Promise<Readable> {
  if (!path.toLowerCase().endsWith('.zip')) return createReadStream(path);
  const handle = await open(path, 'r');
  const header = Buffer.alloc(30);
  try {
    const { bytesRead } = await handle.read(header, 0, 30, 0);
    if (bytesRead < 30 || header.readUInt32LE(0) !== ZIP_LOCAL_HEADER) throw new Error('not a zip file');
  } finally {
    await handle.close();
  }
  const flags = header.readUInt16LE(6);
  const method = header.readUInt16LE(8);
  const compressedSize = header.readUInt32LE(18);
  const start = 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (flags & 1) throw new Error('the zip entry is encrypted');
  if (method === 8) {
    // Inflate stops at the end of the entry's deflate stream; the zip's directory after it is ignored.
    const inflate = createInflateRaw();
    pipeline(createReadStream(path, { start }), inflate, () => undefined); // errors surface on `inflate`
    return inflate;
  }
  if (method === 0 && !(flags & 8) && compressedSize > 0) return createReadStream(path, { start, end: start + compressedSize - 1 });
  throw new Error(`unsupported zip entry (compression method ${method}, flags ${flags})`);
}
