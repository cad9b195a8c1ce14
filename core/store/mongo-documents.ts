/**
 * Everything the MongoDB adapter sends and reads back, as pure functions: documents, `_id`s,
 * bulk operations, filters and the exact Decimal128 ⇄ decimal-text conversion. Tested without a
 * server; `mongo.ts` only ships these to the driver.
 *
 * `_id` is the text `SYMBOL#OPENTIME_MS` (e.g. "BTCUSDT#1700000000000"): open times are 13 digits
 * and '#' sorts below every symbol character, so `_id` order is (symbol, openTime) order and the
 * `_id` index alone serves per-market range reads, gaps and ordered reads.
 */
import { Decimal128, type AnyBulkWriteOperation, type Filter } from 'mongodb';
import { MAX_STORED_TIME, MIN_STORED_TIME } from './batch';
import type { StoredInterval } from '../interval';
import type { Kline } from '../kline';
import { isMarketStatus, isMarketType, type MarketStatusEvent, type MarketType } from '../market';

export interface KlineDocument {
  _id: string;
  symbol: string;
  openTime: Date;
  closeTime: Date;
  open: Decimal128;
  high: Decimal128;
  low: Decimal128;
  close: Decimal128;
  volume: Decimal128;
  quoteVolume: Decimal128;
  trades: number;
  takerBuyBaseVolume: Decimal128;
  takerBuyQuoteVolume: Decimal128;
  /** Resampled collections only. */
  sourceCount?: number;
}

export interface MarketDocument {
  _id: string;
  /** Absent on documents written before market types existed (round 1): those are spot. */
  marketType?: string;
  symbol: string;
  status: string;
  at: Date;
}

export const ID_SEPARATOR = '#';

export function klineId(symbol: string, openTime: number): string {
  return `${symbol}${ID_SEPARATOR}${openTime}`;
}

/** Symbol and open time of a kline `_id`; undefined for an `_id` this adapter did not write. */
export function parseKlineId(id: unknown): { symbol: string; openTime: number } | undefined {
  if (typeof id !== 'string') return undefined;
  const at = id.lastIndexOf(ID_SEPARATOR);
  if (at <= 0) return undefined;
  const time = id.slice(at + 1);
  if (!/^[0-9]{13}$/.test(time)) return undefined;
  return { symbol: id.slice(0, at), openTime: Number(time) };
}

/** Exact: refuses (throws) a value Decimal128 would round. `storeProblem` refuses those first. */
export function decimalFromText(text: string): Decimal128 {
  return Decimal128.fromString(text);
}

/**
 * The decimal text a Decimal128 was made from, with its trailing zeros. `Decimal128.toString()`
 * switches to exponent notation for small values ("0.00000001" → "1E-8", "0.00000010" →
 * "1.0E-7"); the coefficient and exponent it prints are exact, so they are rewritten as plain text.
 */
export function decimalToText(value: Decimal128): string {
  const s = value.toString();
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:E([+-][0-9]+))?$/.exec(s);
  if (!m) throw new RangeError(`Decimal128 ${s} is not a finite decimal`);
  const [, sign, whole, fraction = '', exponentText] = m;
  if (exponentText === undefined) return s;
  const digits = (whole + fraction).replace(/^0+(?=[0-9])/, '');
  const scale = fraction.length - Number(exponentText); // value = digits × 10^-scale
  if (scale <= 0) return sign + (digits === '0' ? '0' : digits + '0'.repeat(-scale));
  const padded = digits.padStart(scale + 1, '0');
  return `${sign}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}

export function klineDocument(k: Kline, interval: StoredInterval): KlineDocument {
  const doc: KlineDocument = {
    _id: klineId(k.symbol, k.openTime),
    symbol: k.symbol,
    openTime: new Date(k.openTime),
    closeTime: new Date(k.closeTime),
    open: decimalFromText(k.open),
    high: decimalFromText(k.high),
    low: decimalFromText(k.low),
    close: decimalFromText(k.close),
    volume: decimalFromText(k.volume),
    quoteVolume: decimalFromText(k.quoteVolume),
    trades: k.trades,
    takerBuyBaseVolume: decimalFromText(k.takerBuyBaseVolume),
    takerBuyQuoteVolume: decimalFromText(k.takerBuyQuoteVolume),
  };
  if (interval !== '1m' && k.sourceCount !== undefined) doc.sourceCount = k.sourceCount;
  return doc;
}

/** A kline read back from the collection of `marketType` (documents do not repeat their type). */
export function klineFromDocument(doc: KlineDocument, marketType: MarketType, interval: StoredInterval): Kline {
  const k: Kline = {
    marketType,
    symbol: doc.symbol,
    interval,
    openTime: doc.openTime.getTime(),
    closeTime: doc.closeTime.getTime(),
    open: decimalToText(doc.open),
    high: decimalToText(doc.high),
    low: decimalToText(doc.low),
    close: decimalToText(doc.close),
    volume: decimalToText(doc.volume),
    quoteVolume: decimalToText(doc.quoteVolume),
    trades: doc.trades,
    takerBuyBaseVolume: decimalToText(doc.takerBuyBaseVolume),
    takerBuyQuoteVolume: decimalToText(doc.takerBuyQuoteVolume),
  };
  if (doc.sourceCount !== undefined && doc.sourceCount !== null) k.sourceCount = doc.sourceCount;
  return k;
}

/**
 * A whole-document upsert keyed on `_id`. Replacing a document with identical content is a no-op
 * for the server (modifiedCount 0), so a re-sent batch counts as 0 written.
 */
export function klineUpsertOperation(k: Kline, interval: StoredInterval): AnyBulkWriteOperation<KlineDocument> {
  const { _id, ...replacement } = klineDocument(k, interval);
  return { replaceOne: { filter: { _id }, replacement, upsert: true } };
}

export interface KlineBulk {
  operations: AnyBulkWriteOperation<KlineDocument>[];
  /** `batchIndexes[i]` is the index in the caller's batch of `operations[i]`. */
  batchIndexes: number[];
}

/** One upsert per accepted kline (see `prepareBatch`), remembering where each came from. */
export function klineBulk(klines: readonly Kline[], accepted: readonly number[], interval: StoredInterval): KlineBulk {
  return {
    operations: accepted.map((i) => klineUpsertOperation(klines[i], interval)),
    batchIndexes: [...accepted],
  };
}

/** Lowest and highest `_id` bounds of one market's open times in [from, to). */
export function klineIdRange(symbol: string, from: number, to: number): { $gte: string; $lt: string } {
  // Keys below 13 digits or above them cannot exist (storeProblem refuses them), so clamp to the
  // bare prefix "SYMBOL#" and to "SYMBOL#:" (':' sorts after every digit).
  const low = from <= MIN_STORED_TIME ? `${symbol}${ID_SEPARATOR}` : klineId(symbol, Math.ceil(from));
  const high = to > MAX_STORED_TIME ? `${symbol}${ID_SEPARATOR}:` : to <= MIN_STORED_TIME ? low : klineId(symbol, Math.ceil(to));
  return { $gte: low, $lt: high };
}

/**
 * Filter for open times in [from, to) of the given markets (an `_id` range each, served by the
 * `_id` index), or of every market (served by the `openTime` index).
 */
/**
 * Symbols in the server's order for `_id` strings (UTF-8 bytes, as SQLite's BINARY collation),
 * which differs from JS string order for a few non-ASCII characters. Duplicates removed.
 */
export function sortSymbols(symbols: readonly string[]): string[] {
  return [...new Set(symbols)].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

export function klineRangeFilter(from: number, to: number, symbols?: readonly string[]): Filter<KlineDocument> {
  if (symbols === undefined) return { openTime: { $gte: new Date(from), $lt: new Date(to) } };
  const ranges = sortSymbols(symbols).map((s) => ({ _id: klineIdRange(s, from, to) }));
  if (ranges.length === 1) return ranges[0];
  return ranges.length === 0 ? { _id: { $in: [] } } : { $or: ranges };
}

/**
 * `SYMBOL#AT#STATUS` for spot (round 1's `_id`, so re-recording a round-1 event stays a no-op),
 * `TYPE#SYMBOL#AT#STATUS` for futures: symbols hold no '#', so the two shapes never collide.
 */
export function marketId(e: MarketStatusEvent): string {
  const id = `${e.symbol}${ID_SEPARATOR}${e.at}${ID_SEPARATOR}${e.status}`;
  return e.marketType === 'spot' ? id : `${e.marketType}${ID_SEPARATOR}${id}`;
}

/** Insert-if-absent: recording the same (marketType, symbol, status, at) twice leaves one document. */
export function marketStatusOperation(e: MarketStatusEvent): AnyBulkWriteOperation<MarketDocument> {
  return {
    updateOne: {
      filter: { _id: marketId(e) },
      update: { $setOnInsert: { marketType: e.marketType, symbol: e.symbol, status: e.status, at: new Date(e.at) } },
      upsert: true,
    },
  };
}

/**
 * The event a `markets` document records; a document without `marketType` (round 1) is spot.
 * Undefined when the document holds a status or type this code does not know.
 */
export function marketEventFromDocument(doc: MarketDocument): MarketStatusEvent | undefined {
  const marketType = doc.marketType ?? 'spot';
  if (!isMarketType(marketType) || !isMarketStatus(doc.status)) return undefined;
  return { marketType, symbol: doc.symbol, status: doc.status, at: doc.at.getTime() };
}

/** TTL for `klines_1m` in seconds, when retention is configured. */
export function retentionSeconds(retentionDays: number | undefined): number | undefined {
  if (retentionDays === undefined) return undefined;
  if (!Number.isInteger(retentionDays) || retentionDays <= 0) throw new RangeError(`retentionDays must be a positive integer, got ${retentionDays}`);
  return retentionDays * 86_400;
}

/** Options for `createCollection`: zstd block compression (WiredTiger). */
export const ZSTD_COLLECTION_OPTIONS = { storageEngine: { wiredTiger: { configString: 'block_compressor=zstd' } } } as const;
