/**
 * The ingest → writer message body (one SQS message). Version 1:
 *
 *   {"v":1,
 *    "m":[[symbol, status, at(, marketType)], …],                    market status changes
 *    "g":[[symbol, interval, firstOpenTime, rows(, marketType)], …]}  klines grouped by market and interval
 *
 * `marketType` ("usdm", "coinm") is written for futures only: an event or group without it is
 * spot, which is also how a round-1 body (written before market types existed) reads. Spot bodies
 * are therefore byte-identical to round 1, and a round-1 writer refuses (never mis-files) a
 * futures group, whose length it does not know.
 *
 * where each row is one string of comma-separated fields, `"step,open,high,low,close,volume,
 * quoteVolume,trades,takerBuyBaseVolume,takerBuyQuoteVolume"` (+ `,sourceCount` for resampled
 * bars; + `,r` or `,d` for a 1m kline from REST backfill or a dump: its provenance, absent =
 * the stream, which is how every body written before provenance travelled reads), and `step` is the open time's distance from the previous row of the group in whole
 * intervals (the first row counts from `firstOpenTime`, so it is 0). One string per row instead
 * of a JSON array saves the quotes around every decimal (~15 % of the body). Close times are not
 * sent: they follow from the open time and the interval. Decimals travel as the exact text they
 * arrived as.
 *
 * Klines come out grouped by (market type, symbol, interval) in order of first appearance; within a group
 * in their original order. Every body is ≤ `MAX_BODY_BYTES` of UTF-8.
 */
import { CodecError } from './errors';
import { intervalMs, isInterval } from './interval';
import type { Kline, KlineSource } from './kline';
import { MARKET_TYPES, isMarketStatus, isMarketType, type MarketStatusEvent, type MarketType } from './market';
import { validateKline } from './parse';
import { symbolProblem } from './symbol';

export interface IngestBatch {
  klines: Kline[];
  marketEvents: MarketStatusEvent[];
}

export const CODEC_VERSION = 1;
/** SQS's largest message body: 256 KiB. */
export const MAX_BODY_BYTES = 262_144;

/** The type a tuple without one belongs to (round-1 bodies, and every spot tuple). */
const DEFAULT_MARKET_TYPE: MarketType = 'spot';

const HEAD = `{"v":${CODEC_VERSION},"m":[`;
const MIDDLE = '],"g":[';
const TAIL = ']}';

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Builds one body at a time, tracking its exact size. */
class BodyBuilder {
  private events: string[] = [];
  private groups: string[] = [];
  private openGroup:
    | { head: string; tail: string; rows: string[]; marketType: MarketType; symbol: string; interval: string; lastOpenTime: number; ms: number }
    | undefined;
  private bytes = utf8Bytes(HEAD + MIDDLE + TAIL);
  readonly bodies: string[] = [];

  constructor(private readonly maxBytes: number) {}

  private get empty(): boolean {
    return this.events.length === 0 && this.groups.length === 0 && this.openGroup === undefined;
  }

  addEvent(e: MarketStatusEvent): void {
    const tuple: unknown[] = [e.symbol, e.status, e.at];
    if (e.marketType !== DEFAULT_MARKET_TYPE) tuple.push(e.marketType);
    const text = JSON.stringify(tuple);
    const cost = utf8Bytes(text) + (this.events.length > 0 ? 1 : 0);
    if (this.bytes + cost > this.maxBytes) {
      if (this.empty) throw new CodecError(`market event for ${e.symbol} does not fit in ${this.maxBytes} bytes`);
      this.cut();
      return this.addEvent(e);
    }
    this.events.push(text);
    this.bytes += cost;
  }

  addKline(k: Kline): void {
    const ms = intervalMs(k.interval);
    const g = this.openGroup;
    if (g && g.marketType === k.marketType && g.symbol === k.symbol && g.interval === k.interval && k.openTime >= g.lastOpenTime && (k.openTime - g.lastOpenTime) % ms === 0) {
      const text = rowText(k, (k.openTime - g.lastOpenTime) / ms);
      const cost = utf8Bytes(text) + 1;
      if (this.bytes + cost <= this.maxBytes) {
        g.rows.push(text);
        g.lastOpenTime = k.openTime;
        this.bytes += cost;
        return;
      }
      this.cut();
      return this.addKline(k);
    }
    // A new group: `[symbol,interval,firstOpenTime,[row](,marketType)]` plus a comma before it.
    const head = `${JSON.stringify(k.symbol)},${JSON.stringify(k.interval)},${k.openTime}`;
    const tail = k.marketType === DEFAULT_MARKET_TYPE ? '' : `,${JSON.stringify(k.marketType)}`;
    const text = rowText(k, 0);
    const hasGroupBefore = this.groups.length > 0 || g !== undefined;
    const cost = utf8Bytes(head) + utf8Bytes(tail) + utf8Bytes(text) + 5 + (hasGroupBefore ? 1 : 0);
    if (this.bytes + cost > this.maxBytes) {
      if (this.empty) throw new CodecError(`kline ${k.marketType} ${k.symbol} ${k.interval} at ${k.openTime} does not fit in ${this.maxBytes} bytes`);
      this.cut();
      return this.addKline(k);
    }
    this.closeGroup();
    this.openGroup = { head, tail, rows: [text], marketType: k.marketType, symbol: k.symbol, interval: k.interval, lastOpenTime: k.openTime, ms };
    this.bytes += cost;
  }

  private closeGroup(): void {
    const g = this.openGroup;
    if (g) this.groups.push(`[${g.head},[${g.rows.join(',')}]${g.tail}]`);
    this.openGroup = undefined;
  }

  cut(): void {
    this.closeGroup();
    if (this.events.length === 0 && this.groups.length === 0) return;
    this.bodies.push(`${HEAD}${this.events.join(',')}${MIDDLE}${this.groups.join(',')}${TAIL}`);
    this.events = [];
    this.groups = [];
    this.bytes = utf8Bytes(HEAD + MIDDLE + TAIL);
  }
}

/**
 * Provenance in one letter (two bytes with its comma, on non-stream rows only). A letter can never
 * be a sourceCount, so the row stays unambiguous; a reader from before provenance refuses such a
 * row (its sourceCount is not a count) rather than storing it under another key.
 */
const SOURCE_CODES: Record<KlineSource, string> = { rest: 'r', dump: 'd' };
const SOURCE_OF_CODE = new Map<string, KlineSource>(Object.entries(SOURCE_CODES).map(([source, code]) => [code, source as KlineSource]));

function rowText(k: Kline, step: number): string {
  let fields = `${step},${k.open},${k.high},${k.low},${k.close},${k.volume},${k.quoteVolume},${k.trades},${k.takerBuyBaseVolume},${k.takerBuyQuoteVolume}`;
  if (k.sourceCount !== undefined) fields += `,${k.sourceCount}`;
  if (k.source !== undefined) fields += `,${SOURCE_CODES[k.source] ?? k.source}`;
  // JSON.stringify, not plain quotes: encode does not validate, and text must stay valid JSON.
  return JSON.stringify(fields);
}

/** A trailing provenance code, if the row ends with one (letters only: a count is digits). */
function trailingSource(row: string[]): { source?: KlineSource; unknown?: string } {
  const last = row[row.length - 1];
  if (row.length < 11 || !/^[a-z]+$/.test(last)) return {};
  row.pop();
  const source = SOURCE_OF_CODE.get(last);
  return source ? { source } : { unknown: last };
}

const INTEGER_TEXT = /^(0|[1-9][0-9]{0,15})$/;

/** Integer fields of a row travel as text; anything else is left as text for validateKline to name. */
function integerOrText(text: string): number | string {
  return INTEGER_TEXT.test(text) ? Number(text) : text;
}

/**
 * Pack a batch into as few bodies as fit (each ≤ `maxBytes` UTF-8 bytes). An empty batch
 * gives no body. Klines are not validated here (the writer validates on decode); a kline with
 * an unknown interval throws.
 */
export function encodeBatch(batch: IngestBatch, maxBytes = MAX_BODY_BYTES): string[] {
  const builder = new BodyBuilder(maxBytes);
  for (const e of batch.marketEvents) builder.addEvent(e);
  // Group each market's klines together so its type, symbol and interval are written once.
  const order = new Map<string, Kline[]>();
  for (const k of batch.klines) {
    const key = `${k.interval}\u0000${k.marketType}\u0000${k.symbol}`;
    const list = order.get(key);
    if (list) list.push(k);
    else order.set(key, [k]);
  }
  for (const list of order.values()) for (const k of list) builder.addKline(k);
  builder.cut();
  return builder.bodies;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The optional market type of a tuple: absent is spot; anything else present must be a known type. */
function marketTypeOf(value: unknown): MarketType | string {
  if (value === undefined) return DEFAULT_MARKET_TYPE;
  return isMarketType(value) ? value : `unknown market type ${JSON.stringify(value)} (expected ${MARKET_TYPES.join(', ')})`;
}

/** One kline, kline group or market event a body carried that can never be stored, and why. */
export interface RejectedItem {
  kind: 'kline' | 'group' | 'event';
  marketType?: MarketType;
  symbol?: string;
  openTime?: number;
  reason: string;
}

/** A decoded body: what may be stored, and what was rejected alone (the rest is still stored). */
export interface DecodedBody extends IngestBatch {
  rejected: RejectedItem[];
}

function symbolOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function decodeEvent(value: unknown, index: number, rejected: RejectedItem[]): MarketStatusEvent | undefined {
  if (!Array.isArray(value) || (value.length !== 3 && value.length !== 4)) {
    rejected.push({ kind: 'event', reason: `market event #${index}: expected [symbol, status, at] or [symbol, status, at, marketType]` });
    return undefined;
  }
  const [symbol, status, at, type] = value as unknown[];
  const reject = (reason: string) => {
    rejected.push({ kind: 'event', symbol: symbolOf(symbol), reason: `market event #${index}: ${reason}` });
    return undefined;
  };
  const badSymbol = symbolProblem(symbol);
  if (badSymbol !== undefined) return reject(badSymbol);
  if (!isMarketStatus(status)) return reject(`unknown status ${JSON.stringify(status)}`);
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) return reject('"at" is not a timestamp');
  const marketType = marketTypeOf(type);
  if (!isMarketType(marketType)) return reject(marketType);
  return { marketType, symbol: symbol as string, status, at };
}

function decodeGroup(group: unknown, gi: number, klines: Kline[], rejected: RejectedItem[]): void {
  if (!Array.isArray(group) || (group.length !== 4 && group.length !== 5)) {
    rejected.push({ kind: 'group', reason: `group #${gi}: expected [symbol, interval, firstOpenTime, rows] or [symbol, interval, firstOpenTime, rows, marketType]` });
    return;
  }
  const [symbol, interval, first, rows, type] = group as unknown[];
  const rejectGroup = (reason: string) => {
    rejected.push({ kind: 'group', marketType: isMarketType(type) ? type : undefined, symbol: symbolOf(symbol), reason: `group #${gi}: ${reason}` });
  };
  const badSymbol = symbolProblem(symbol);
  if (badSymbol !== undefined) return rejectGroup(badSymbol);
  const marketType = marketTypeOf(type);
  if (!isMarketType(marketType)) return rejectGroup(marketType);
  if (typeof interval !== 'string' || !isInterval(interval)) return rejectGroup(`unknown interval ${JSON.stringify(interval)}`);
  if (typeof first !== 'number' || !Number.isSafeInteger(first)) return rejectGroup('firstOpenTime is not a timestamp');
  if (!Array.isArray(rows) || rows.length === 0) return rejectGroup('rows is not a non-empty array');
  const sym = symbol as string;
  const ms = intervalMs(interval);
  let openTime = first;
  for (let ri = 0; ri < rows.length; ri++) {
    const value = (rows as unknown[])[ri];
    const row = typeof value === 'string' ? value.split(',') : undefined;
    const step = row ? integerOrText(row[0]) : undefined;
    if (!row || typeof step !== 'number') {
      // Without this row's step, the open times of the rows after it are unknown too.
      const why = !row ? 'row is not a string' : `step is not a non-negative integer: ${JSON.stringify(row[0])}`;
      rejected.push({ kind: 'kline', marketType, symbol: sym, reason: `group #${gi} (${marketType} ${sym}) row #${ri}: ${why}; ${rows.length - ri} row(s) rejected` });
      return;
    }
    openTime += step * ms;
    const provenance = trailingSource(row);
    if (provenance.unknown !== undefined) {
      rejected.push({ kind: 'kline', marketType, symbol: sym, openTime, reason: `kline ${marketType} ${sym} ${interval} at ${openTime}: unknown source code ${JSON.stringify(provenance.unknown)} (expected ${[...SOURCE_OF_CODE.keys()].join(', ')})` });
      continue;
    }
    if (row.length !== 10 && row.length !== 11) {
      rejected.push({ kind: 'kline', marketType, symbol: sym, openTime, reason: `kline ${marketType} ${sym} ${interval} at ${openTime}: expected 10 or 11 fields, got ${row.length}` });
      continue;
    }
    const k: Kline = {
      marketType,
      symbol: sym,
      interval,
      openTime,
      closeTime: openTime + ms - 1,
      open: row[1],
      high: row[2],
      low: row[3],
      close: row[4],
      volume: row[5],
      quoteVolume: row[6],
      trades: integerOrText(row[7]) as number,
      takerBuyBaseVolume: row[8],
      takerBuyQuoteVolume: row[9],
    };
    if (row.length === 11) k.sourceCount = integerOrText(row[10]) as number;
    if (provenance.source !== undefined) k.source = provenance.source;
    const problem = validateKline(k);
    if (problem) rejected.push({ kind: 'kline', marketType, symbol: sym, openTime, reason: `kline ${marketType} ${sym} ${interval} at ${openTime}: ${problem}` });
    else klines.push(k);
  }
}

/**
 * Decode and validate one body. A body that is not a v1 message at all throws CodecError; inside
 * a sound body, each bad market event, kline group or kline is rejected alone (`rejected`) and
 * everything else is returned, so one hostile symbol never holds back the other markets.
 */
export function decodeBatch(body: string): DecodedBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new CodecError(`body is not JSON (${(err as Error).message}): ${body.slice(0, 60)}`);
  }
  if (!isRecord(parsed)) throw new CodecError('body is not a JSON object');
  if (parsed.v !== CODEC_VERSION) throw new CodecError(`unknown version ${JSON.stringify(parsed.v) ?? 'missing'} (this reader knows ${CODEC_VERSION})`);
  const events = parsed.m ?? [];
  const groups = parsed.g ?? [];
  if (!Array.isArray(events)) throw new CodecError('"m" (market events) is not an array');
  if (!Array.isArray(groups)) throw new CodecError('"g" (kline groups) is not an array');
  const rejected: RejectedItem[] = [];
  const marketEvents: MarketStatusEvent[] = [];
  events.forEach((value: unknown, i: number) => {
    const e = decodeEvent(value, i, rejected);
    if (e) marketEvents.push(e);
  });
  const klines: Kline[] = [];
  groups.forEach((group: unknown, gi: number) => decodeGroup(group, gi, klines, rejected));
  return { klines, marketEvents, rejected };
}
