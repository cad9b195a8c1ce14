/**
 * Fast reading of data.binance.vision kline CSVs: lines cut from large chunks (no readline),
 * and a one-regex parse of a sound line. A line the fast parse does not accept goes through
 * `parseCsvLine`, so every rule and every error message stays the one of core/parse.ts; the fast
 * path only checks what `validateKline` would for a line of its shape (the shape is the regex).
 */
import type { Readable } from 'node:stream';
import { compareDecimal } from '../decimal';
import { CsvLineError } from '../csv-dump';
import { intervalMs } from '../interval';
import type { Kline } from '../kline';
import type { MarketType } from '../market';
import { isCsvHeaderLine, MICROSECOND_THRESHOLD, parseCsvLine } from '../parse';

/**
 * Lines of a byte stream (LF or CRLF), a chunk's worth at a time (one await per chunk, not per
 * line), each with its 1-based number; blank lines included.
 */
export async function* chunkLines(input: Readable): AsyncGenerator<{ lines: string[]; firstLineNo: number }> {
  let rest = '';
  let lineNo = 1;
  input.setEncoding('latin1'); // data lines are ASCII; a symbol in a header line is never used
  for await (const chunk of input as AsyncIterable<string>) {
    const text = rest.length === 0 ? chunk : rest + chunk;
    const lines: string[] = [];
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      lines.push(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    if (lines.length > 0) yield { lines, firstLineNo: lineNo };
    lineNo += lines.length;
  }
  if (rest.length > 0) yield { lines: [rest.endsWith('\r') ? rest.slice(0, -1) : rest], firstLineNo: lineNo };
}

// canonical decimal text only (no leading zero): anything else falls back to parseCsvLine's reason
const D = '((?:0|[1-9][0-9]{0,39})(?:\\.[0-9]{1,30})?)';
const T = '([0-9]{1,17})';
const LINE = new RegExp(`^${T},${D},${D},${D},${D},${D},${T},${D},([0-9]{1,15}),${D},${D}(?:,[^,]*)?$`);

function cmp(a: string, b: string): number {
  if (a.length === b.length && a.indexOf('.') === b.indexOf('.')) return a < b ? -1 : a > b ? 1 : 0;
  return compareDecimal(a, b);
}

const ms = (v: number) => (v >= MICROSECOND_THRESHOLD ? Math.floor(v / 1000) : v);

/**
 * One CSV line as a kline of `interval`: the same result as `parseCsvLine` (same kline, same
 * rejection reason), faster for the sound lines that make up a dump.
 */
export function parseCsvLineFast(symbol: string, interval: string, step: number, line: string, marketType: MarketType): ReturnType<typeof parseCsvLine> {
  const m = LINE.exec(line);
  if (m !== null) {
    const openTime = ms(Number(m[1]));
    const closeTime = ms(Number(m[7]));
    const [open, high, low, close] = [m[2], m[3], m[4], m[5]];
    if (
      openTime % step === 0 &&
      closeTime === openTime + step - 1 &&
      cmp(high, low) >= 0 &&
      cmp(open, low) >= 0 &&
      cmp(open, high) <= 0 &&
      cmp(close, low) >= 0 &&
      cmp(close, high) <= 0 &&
      symbol.length > 0 &&
      symbol.length <= 64
    ) {
      const kline: Kline = {
        marketType,
        symbol,
        interval,
        openTime,
        closeTime,
        open,
        high,
        low,
        close,
        volume: m[6],
        quoteVolume: m[8],
        trades: Number(m[9]),
        takerBuyBaseVolume: m[10],
        takerBuyQuoteVolume: m[11],
      };
      return { ok: true, kline };
    }
  }
  return parseCsvLine(symbol, interval, line, marketType); // the rule that failed, in parse.ts's words
}

export interface FastDumpOptions {
  marketType: MarketType;
  symbol: string;
  /** The dump's interval; taken from the first data line when omitted. */
  interval?: string;
  /** Gives the interval of a data line when `interval` is omitted (csv-dump's intervalOfCsvLine). */
  intervalOfLine: (line: string) => string | undefined;
}

/**
 * `readDump` of core/csv-dump.ts, faster, a chunk of klines at a time: the same klines, the same
 * CsvLineError for the same bad line (header on line 1 and blank lines skipped, open times
 * strictly ascending).
 */
export async function* readDumpFast(input: Readable, options: FastDumpOptions): AsyncGenerator<Kline[]> {
  let interval = options.interval;
  let step = interval === undefined ? 0 : intervalMs(interval);
  let previous = -1;
  for await (const { lines, firstLineNo } of chunkLines(input)) {
    const klines: Kline[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const lineNo = firstLineNo + i;
      if (line.length === 0 || line.trim() === '') continue;
      if (lineNo === 1 && isCsvHeaderLine(line)) continue;
      if (interval === undefined) {
        interval = options.intervalOfLine(line);
        if (interval === undefined) throw new CsvLineError(lineNo, 'cannot tell the interval: closeTime − openTime + 1 ms is no known interval');
        step = intervalMs(interval);
      }
      const parsed = parseCsvLineFast(options.symbol, interval, step, line, options.marketType);
      if (!parsed.ok) throw new CsvLineError(lineNo, parsed.reason);
      const t = parsed.kline.openTime;
      if (t <= previous) {
        throw new CsvLineError(lineNo, t === previous ? `openTime ${t} repeats the previous line` : `openTime ${t} is before the previous line's ${previous}`);
      }
      previous = t;
      klines.push(parsed.kline);
    }
    yield klines;
  }
}
