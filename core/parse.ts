/**
 * Turning untrusted Binance input into `Kline`s. Three sources share one validation:
 * a combined-stream kline event, a REST `/api/v3/klines` row and a data.binance.vision CSV line.
 * Nothing here throws on bad input: every rejection is `{ ok: false, reason }` with a reason a
 * person can act on, so one bad frame or line never takes the caller down.
 */
import { compareDecimal, hasLeadingZero, isDecimalText } from './decimal';
import { intervalMs, isInterval, windowStart } from './interval';
import type { Kline, ParseResult } from './kline';
import { isMarketType, type MarketType } from './market';
import { symbolProblem } from './symbol';

/** CSV timestamps at or above this are microseconds (spot dumps from 2025-01-01), below are ms. */
export const MICROSECOND_THRESHOLD = 1e14;


function reject(reason: string): ParseResult {
  return { ok: false, reason };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? typeof value : text.length > 40 ? `${text.slice(0, 40)}…` : text;
  } catch {
    return typeof value;
  }
}

function checkDecimal(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return `missing ${field}`;
  if (isDecimalText(value)) return undefined;
  if (typeof value === 'string' && value.startsWith('-') && isDecimalText(value.slice(1))) {
    return `${field} is negative: ${value}`;
  }
  if (typeof value === 'string' && hasLeadingZero(value)) return `${field} has a leading zero (not canonical decimal text): ${value}`;
  if (typeof value === 'number') return `${field} must be decimal text, got the number ${describe(value)}`;
  return `${field} is not a decimal: ${describe(value)}`;
}

// validateKline runs for every closing kline on the ingest's hot path: the two helpers below
// keep it cheap without changing a rule.

/** intervalMs of a valid interval, cached (valid intervals are a small finite set); undefined if invalid. */
const INTERVAL_MS = new Map<string, number>();
function knownIntervalMs(interval: string): number | undefined {
  const cached = INTERVAL_MS.get(interval);
  if (cached !== undefined) return cached;
  if (!isInterval(interval)) return undefined;
  const ms = intervalMs(interval);
  INTERVAL_MS.set(interval, ms);
  return ms;
}

/** The last symbol symbolProblem passed: batches repeat one market's symbol, and its Unicode regex is the dearest check. */
let lastSoundSymbol: string | undefined;

/**
 * compareDecimal for texts already checked to be decimal. Binance writes a market's prices with
 * the same digits, so they usually share their shape (length and dot position); then text order
 * is value order and no parts need cutting out.
 */
function compareChecked(a: string, b: string): number {
  if (a.length === b.length && a.indexOf('.') === b.indexOf('.')) return a < b ? -1 : a > b ? 1 : 0;
  return compareDecimal(a, b);
}

/**
 * Why a kline must not be stored, or undefined when it is sound. Checks shape and internal
 * consistency: decimal text, low ≤ open/close ≤ high, non-negative volumes, integer trades,
 * a known interval, an open time aligned to it and close time = open time + interval − 1 ms.
 */
export function validateKline(k: Kline): string | undefined {
  if (!isMarketType(k.marketType)) return `unknown market type ${describe(k.marketType)}`;
  if (typeof k.symbol !== 'string' || k.symbol !== lastSoundSymbol) {
    const badSymbol = symbolProblem(k.symbol);
    if (badSymbol !== undefined) return badSymbol;
    lastSoundSymbol = k.symbol;
  }
  const ms = typeof k.interval === 'string' ? knownIntervalMs(k.interval) : undefined;
  if (ms === undefined) return `unknown interval ${describe(k.interval)}`;
  if (!Number.isSafeInteger(k.openTime) || k.openTime < 0) return `openTime is not a timestamp: ${describe(k.openTime)}`;
  if (!Number.isSafeInteger(k.closeTime)) return `closeTime is not a timestamp: ${describe(k.closeTime)}`;
  // windowStart, not `% ms`: 1w windows open on Mondays, not on the epoch's Thursday.
  if (k.interval === '1w' ? windowStart(k.openTime, '1w') !== k.openTime : k.openTime % ms !== 0) return `openTime ${k.openTime} is not aligned to ${k.interval}`;
  if (k.closeTime !== k.openTime + ms - 1) {
    return `closeTime ${k.closeTime} ≠ openTime + ${k.interval} − 1 ms (${k.openTime + ms - 1})`;
  }
  // Field by field rather than looping over names: k[name] with varying names is a slow lookup.
  const problem =
    checkDecimal('open', k.open) ??
    checkDecimal('high', k.high) ??
    checkDecimal('low', k.low) ??
    checkDecimal('close', k.close) ??
    checkDecimal('volume', k.volume) ??
    checkDecimal('quoteVolume', k.quoteVolume) ??
    checkDecimal('takerBuyBaseVolume', k.takerBuyBaseVolume) ??
    checkDecimal('takerBuyQuoteVolume', k.takerBuyQuoteVolume);
  if (problem !== undefined) return problem;
  if (!Number.isSafeInteger(k.trades) || k.trades < 0) return `trades is not a non-negative integer: ${describe(k.trades)}`;
  if (compareChecked(k.high, k.low) < 0) return `high ${k.high} < low ${k.low}`;
  if (compareChecked(k.open, k.low) < 0 || compareChecked(k.open, k.high) > 0) return `open ${k.open} outside [low ${k.low}, high ${k.high}]`;
  if (compareChecked(k.close, k.low) < 0 || compareChecked(k.close, k.high) > 0) return `close ${k.close} outside [low ${k.low}, high ${k.high}]`;
  if (k.sourceCount !== undefined) {
    if (!Number.isSafeInteger(k.sourceCount) || k.sourceCount < 0 || k.sourceCount > ms / 60_000) {
      return `sourceCount ${describe(k.sourceCount)} is not a count of 1m klines in ${k.interval}`;
    }
  }
  return undefined;
}

function accept(k: Kline): ParseResult {
  const problem = validateKline(k);
  return problem === undefined ? { ok: true, kline: k } : reject(problem);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON integer field (timestamps, trade counts): numbers only, never text. */
function intField(name: string, value: unknown): number | string {
  if (value === undefined || value === null) return `missing ${name}`;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return `${name} is not an integer: ${describe(value)}`;
  return value;
}

/**
 * The `data` object of a combined-stream kline event:
 * `{ e: 'kline', E, s, k: { t, T, s, i, f, L, o, c, h, l, v, n, x, q, V, Q, B } }`.
 * Does not look at `k.x`: deciding what a closed kline is belongs to the caller. The frame does
 * not say which venue it came from; the connection does, so the caller names the market type.
 */
export function parseStreamKline(data: unknown, marketType: MarketType): ParseResult {
  return guarded(() => streamKline(data, marketType));
}

/** Last line of defence for "never throws": hostile input (throwing getters, BigInt, …) becomes a rejection. */
function guarded(parse: () => ParseResult): ParseResult {
  try {
    return parse();
  } catch (err) {
    return reject(`unreadable input: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function streamKline(data: unknown, marketType: MarketType): ParseResult {
  if (!isRecord(data)) return reject(`event is not an object: ${describe(data)}`);
  if (data.e !== 'kline') return reject(`event type is ${describe(data.e)}, not "kline"`);
  const k = data.k;
  if (!isRecord(k)) return reject('missing k (the kline object)');
  if (typeof k.s !== 'string' || k.s === '') return reject('missing k.s (symbol)');
  if (data.s !== undefined && data.s !== k.s) return reject(`event symbol ${describe(data.s)} ≠ kline symbol ${describe(k.s)}`);
  if (typeof k.i !== 'string') return reject('missing k.i (interval)');
  const t = intField('k.t (open time)', k.t);
  if (typeof t === 'string') return reject(t);
  const T = intField('k.T (close time)', k.T);
  if (typeof T === 'string') return reject(T);
  const n = k.n;
  if (n === undefined || n === null) return reject('missing k.n (trades)');
  const fields = { o: 'open', h: 'high', l: 'low', c: 'close', v: 'volume', q: 'quoteVolume', V: 'takerBuyBaseVolume', Q: 'takerBuyQuoteVolume' } as const;
  for (const [key, name] of Object.entries(fields)) {
    if (k[key] === undefined || k[key] === null) return reject(`missing k.${key} (${name})`);
  }
  return accept({
    marketType,
    symbol: k.s,
    interval: k.i,
    openTime: t,
    closeTime: T,
    open: k.o as string,
    high: k.h as string,
    low: k.l as string,
    close: k.c as string,
    volume: k.v as string,
    quoteVolume: k.q as string,
    trades: n as number,
    takerBuyBaseVolume: k.V as string,
    takerBuyQuoteVolume: k.Q as string,
  });
}

const ROW_COLUMNS = ['openTime', 'open', 'high', 'low', 'close', 'volume', 'closeTime', 'quoteVolume', 'trades', 'takerBuyBaseVolume', 'takerBuyQuoteVolume'] as const;

/**
 * A `/api/v3/klines` row (or `/fapi/v1/klines`, `/dapi/v1/klines`: same columns): `[openTime, o, h, l, c, volume, closeTime, quoteVolume, trades,
 * takerBuyBase, takerBuyQuote, ignore]`. Times and trades are JSON numbers, decimals are text.
 */
export function parseRestRow(symbol: string, interval: string, row: unknown, marketType: MarketType): ParseResult {
  return guarded(() => restRow(symbol, interval, row, marketType));
}

function restRow(symbol: string, interval: string, row: unknown, marketType: MarketType): ParseResult {
  if (!Array.isArray(row)) return reject(`row is not an array: ${describe(row)}`);
  for (let i = 0; i < ROW_COLUMNS.length; i++) {
    if (row[i] === undefined || row[i] === null) return reject(`missing ${ROW_COLUMNS[i]} (column ${i + 1} of ${row.length})`);
  }
  const t = intField('openTime', row[0]);
  if (typeof t === 'string') return reject(t);
  const T = intField('closeTime', row[6]);
  if (typeof T === 'string') return reject(T);
  return accept({
    marketType,
    symbol,
    interval,
    openTime: t,
    closeTime: T,
    open: row[1] as string,
    high: row[2] as string,
    low: row[3] as string,
    close: row[4] as string,
    volume: row[5] as string,
    quoteVolume: row[7] as string,
    trades: row[8] as number,
    takerBuyBaseVolume: row[9] as string,
    takerBuyQuoteVolume: row[10] as string,
  });
}

/** A header line of a kline CSV (some futures dumps have one; spot dumps do not). */
export function isCsvHeaderLine(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c >= 48 && c <= 57) return false; // a data line starts with its open time
  return /^\s*"?open_time"?\s*,/i.test(line);
}

/** A CSV timestamp in ms or µs (decided per value), as ms. */
export function csvTimestampMs(text: string): number | undefined {
  if (!isDigits(text, 17)) return undefined;
  const value = Number(text);
  return value >= MICROSECOND_THRESHOLD ? Math.floor(value / 1000) : value;
}

/**
 * One data.binance.vision kline CSV line: the REST row's 12 columns as text. Timestamps are
 * ms (before 2025) or µs (spot, from 2025-01-01), detected per value and stored as ms. A header
 * line is rejected with reason "header line"; readers skip it with `isCsvHeaderLine`.
 */
export function parseCsvLine(symbol: string, interval: string, line: string, marketType: MarketType): ParseResult {
  // guarded() without its closure: this runs once per row of every imported dump.
  try {
    return csvLineFast(symbol, interval, line, marketType, accept) ?? csvLine(symbol, interval, line, marketType, accept);
  } catch (err) {
    return reject(`unreadable input: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function unchecked(k: Kline): ParseResult {
  return { ok: true, kline: k };
}

/**
 * parseCsvLine without `validateKline`: the columns are read and checked as numbers and
 * non-empty text, nothing more. Only for a caller that hands every kline to a store, whose
 * upsert runs the same validation (storeProblem) anyway: the history import, where validating
 * twice was a tenth of the time per kline.
 */
export function readCsvLineUnvalidated(symbol: string, interval: string, line: string, marketType: MarketType): ParseResult {
  try {
    return csvLineFast(symbol, interval, line, marketType, unchecked) ?? csvLine(symbol, interval, line, marketType, unchecked);
  } catch (err) {
    return reject(`unreadable input: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** True when `text` is 1 to `max` ASCII digits (the CSV_INTEGER test, without a regex). */
function isDigits(text: string, max: number): boolean {
  const n = text.length;
  if (n === 0 || n > max) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const CSV_DECIMAL_COLUMNS = [1, 2, 3, 4, 5, 7, 9, 10] as const;

/** text[from, to) as a number when it is 1 to `max` digits, else -1; exact (Number()'s value) past 2^53 too. */
function digitsValue(text: string, from: number, to: number, max: number): number {
  const n = to - from;
  if (n <= 0 || n > max) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : Number(text.slice(from, to));
}

/**
 * The common line (11 or 12 columns, integer times and trades, no empty decimal, no CR) read
 * by comma positions: no column array, no substrings for numbers. Anything else returns
 * undefined and `csvLine` reads it and names the problem, so both accept and refuse the same
 * lines (test/core/parse.test.ts compares them); validateKline then judges the kline either way.
 */
function csvLineFast(symbol: string, interval: string, line: string, marketType: MarketType, finish: (k: Kline) => ParseResult): ParseResult | undefined {
  const first = line.charCodeAt(0);
  if (first < 48 || first > 57 || line.charCodeAt(line.length - 1) === 13) return undefined;
  const p0 = line.indexOf(',');
  if (p0 < 0) return undefined;
  const p1 = line.indexOf(',', p0 + 1);
  if (p1 < 0) return undefined;
  const p2 = line.indexOf(',', p1 + 1);
  if (p2 < 0) return undefined;
  const p3 = line.indexOf(',', p2 + 1);
  if (p3 < 0) return undefined;
  const p4 = line.indexOf(',', p3 + 1);
  if (p4 < 0) return undefined;
  const p5 = line.indexOf(',', p4 + 1);
  if (p5 < 0) return undefined;
  const p6 = line.indexOf(',', p5 + 1);
  if (p6 < 0) return undefined;
  const p7 = line.indexOf(',', p6 + 1);
  if (p7 < 0) return undefined;
  const p8 = line.indexOf(',', p7 + 1);
  if (p8 < 0) return undefined;
  const p9 = line.indexOf(',', p8 + 1);
  if (p9 < 0) return undefined;
  const p10 = line.indexOf(',', p9 + 1);
  const end = p10 < 0 ? line.length : p10;
  if (p10 >= 0 && line.indexOf(',', p10 + 1) >= 0) return undefined;
  // Empty decimals: a comma right after the previous one (or at the end).
  if (p1 === p0 + 1 || p2 === p1 + 1 || p3 === p2 + 1 || p4 === p3 + 1 || p5 === p4 + 1 || p7 === p6 + 1 || p9 === p8 + 1 || end === p9 + 1) return undefined;
  let openTime = digitsValue(line, 0, p0, 17);
  let closeTime = digitsValue(line, p5 + 1, p6, 17);
  const trades = digitsValue(line, p7 + 1, p8, 15);
  if (openTime < 0 || closeTime < 0 || trades < 0) return undefined;
  if (openTime >= MICROSECOND_THRESHOLD) openTime = Math.floor(openTime / 1000);
  if (closeTime >= MICROSECOND_THRESHOLD) closeTime = Math.floor(closeTime / 1000);
  return finish({
    marketType,
    symbol,
    interval,
    openTime,
    closeTime,
    open: line.slice(p0 + 1, p1),
    high: line.slice(p1 + 1, p2),
    low: line.slice(p2 + 1, p3),
    close: line.slice(p3 + 1, p4),
    volume: line.slice(p4 + 1, p5),
    quoteVolume: line.slice(p6 + 1, p7),
    trades,
    takerBuyBaseVolume: line.slice(p8 + 1, p9),
    takerBuyQuoteVolume: line.slice(p9 + 1, end),
  });
}

/** The column-array reading of a CSV line that parseCsvLine's fast path must agree with (tests compare them). */
export function parseCsvLineByColumns(symbol: string, interval: string, line: string, marketType: MarketType): ParseResult {
  return guarded(() => csvLine(symbol, interval, line, marketType, accept));
}

function csvLine(symbol: string, interval: string, line: string, marketType: MarketType, finish: (k: Kline) => ParseResult): ParseResult {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.trim() === '') return reject('empty line');
  if (isCsvHeaderLine(text)) return reject('header line');
  const cols = text.split(',');
  if (cols.length < 11) return reject(`expected 12 columns, got ${cols.length}: missing ${ROW_COLUMNS[cols.length]}`);
  if (cols.length > 12) return reject(`expected 12 columns, got ${cols.length}`);
  const openTime = csvTimestampMs(cols[0]);
  if (openTime === undefined) return reject(`openTime is not an integer timestamp: ${describe(cols[0])}`);
  const closeTime = csvTimestampMs(cols[6]);
  if (closeTime === undefined) return reject(`closeTime is not an integer timestamp: ${describe(cols[6])}`);
  if (!isDigits(cols[8], 15)) return reject(`trades is not a non-negative integer: ${describe(cols[8])}`);
  for (const i of CSV_DECIMAL_COLUMNS) {
    if (cols[i] === '') return reject(`missing ${ROW_COLUMNS[i]} (column ${i + 1})`);
  }
  return finish({
    marketType,
    symbol,
    interval,
    openTime,
    closeTime,
    open: cols[1],
    high: cols[2],
    low: cols[3],
    close: cols[4],
    volume: cols[5],
    quoteVolume: cols[7],
    trades: Number(cols[8]),
    takerBuyBaseVolume: cols[9],
    takerBuyQuoteVolume: cols[10],
  });
}
