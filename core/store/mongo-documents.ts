/**
 * Everything the MongoDB adapter sends and reads back, as pure functions: documents, bulk
 * operations, filters, pipelines and the exact Decimal128 ⇄ decimal-text conversion. Tested
 * without a server; `mongo.ts` only ships these to the driver.
 *
 * A kline's natural key (symbol, openTime) lives in the unique index `symbol_1_openTime_1`
 * (mongo-schema.ts); `_id` is the server's ObjectId. Round 1 wrote string `_id`s
 * ("BTCUSDT#1700000000000"); those documents stay readable because nothing reads `_id`.
 */
import { Decimal128, type AnyBulkWriteOperation, type Document, type Filter, type ObjectId } from 'mongodb';
import type { StoredInterval } from '../interval';
import { KLINE_SOURCES, type Kline, type KlineSource } from '../kline';
import { isMarketStatus, isMarketType, type MarketRef, type MarketStatusEvent, type MarketType } from '../market';
import { alignUp } from './gaps';
import type { TimeRange } from './port';
import { KLINE_INDEX } from './mongo-schema';

export interface KlineDocument {
  /** ObjectId from the server; a string in round-1 documents. Never read. */
  _id?: ObjectId | string;
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
  /** 1m only: provenance when not the stream (absent = stream). */
  source?: KlineSource;
}

export interface MarketDocument {
  _id: string;
  /** Absent on documents written before market types existed (round 1): those are spot. */
  marketType?: string;
  symbol: string;
  status: string;
  at: Date;
}

const ID_SEPARATOR = '#';

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
  if (interval === '1m' && k.source !== undefined) doc.source = k.source;
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
  if (interval === '1m' && (KLINE_SOURCES as readonly unknown[]).includes(doc.source)) k.source = doc.source;
  return k;
}

/**
 * A whole-document upsert on the natural key, pinned to its unique index. Replacing a document
 * with identical content is a no-op for the server (modifiedCount 0), so a re-sent batch counts
 * as 0 written; the replacement carries no `_id`, so an existing document keeps its own. Two
 * writers inserting the same key race on the unique index; the server retries such an upsert
 * itself (MongoDB ≥ 4.2, equality filter on the unique index's fields).
 */
export function klineUpsertOperation(k: Kline, interval: StoredInterval): AnyBulkWriteOperation<KlineDocument> {
  const replacement = klineDocument(k, interval);
  return { replaceOne: { filter: { symbol: k.symbol, openTime: replacement.openTime }, replacement, upsert: true, hint: KLINE_INDEX } };
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

/**
 * Symbols in the server's string order (UTF-8 bytes, as SQLite's BINARY collation), which differs
 * from JS string order for a few non-ASCII characters. Duplicates removed.
 */
export function sortSymbols(symbols: readonly string[]): string[] {
  return [...new Set(symbols)].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

/**
 * Open times in [from, to) of the given markets, or of every market. Both forms are served by
 * `symbol_1_openTime_1` (named by the caller's hint): without symbols the server walks the index
 * one market at a time, seeking to each market's `from`.
 */
export function klineRangeFilter(from: number, to: number, symbols?: readonly string[]): Filter<KlineDocument> {
  const openTime = { $gte: new Date(from), $lt: new Date(to) };
  if (symbols === undefined) return { openTime };
  const sorted = sortSymbols(symbols);
  return sorted.length === 1 ? { symbol: sorted[0], openTime } : { symbol: { $in: sorted }, openTime };
}

/**
 * REST and dump klines per symbol and source in a range, on the partial provenance index: the
 * match repeats the index's filter (`source` exists) so the planner may use it. The index is
 * keyed (symbol, openTime, source): with every symbol in bounds and the range on openTime, the
 * index scan reads a symbol's entries in the range and then seeks to the next symbol (explain's
 * `seeks`), so it reads the range's non-stream entries plus one seek per symbol, not the history.
 */
export function sourceCountPipeline(range: TimeRange): Document[] {
  return [
    { $match: { source: { $exists: true }, openTime: { $gte: new Date(range.from), $lt: new Date(range.to) } } },
    { $group: { _id: { symbol: '$symbol', source: '$source' }, n: { $sum: 1 } } },
  ];
}

/** Index order, which is also the order `read` promises (symbol, then openTime). */
export const KLINE_ORDER = { symbol: 1, openTime: 1 } as const;

/**
 * The edges of each market's runs of consecutive klines in a range, computed by the server so
 * a gap search returns O(gaps) rows instead of every key: per market (index order), each kline
 * with its neighbours' open times, kept only when it starts the market, ends it, or follows a gap.
 * Needs MongoDB ≥ 5.0 ($setWindowFields).
 */
export function gapEdgesPipeline(range: TimeRange, stepMs: number, symbols: readonly string[]): Document[] {
  const from = alignUp(range.from, stepMs);
  const end = alignUp(range.to, stepMs);
  return [
    { $match: klineRangeFilter(from, end, symbols) },
    { $project: { _id: 0, symbol: 1, openTime: 1 } },
    {
      $setWindowFields: {
        partitionBy: '$symbol',
        sortBy: { openTime: 1 },
        output: { previous: { $shift: { output: '$openTime', by: -1 } }, next: { $shift: { output: '$openTime', by: 1 } } },
      },
    },
    { $match: { $expr: { $or: [{ $eq: ['$previous', null] }, { $eq: ['$next', null] }, { $gt: [{ $subtract: ['$openTime', '$previous'] }, stepMs] }] } } },
  ];
}

export interface GapEdge {
  symbol: string;
  openTime: Date;
  previous: Date | null;
  next: Date | null;
}

/**
 * Gaps of each market from the rows of `gapEdgesPipeline` (any order): the same result as
 * `gapsFromOpenTimes` over every stored open time. A market without rows is one gap: the range.
 */
export function gapsFromEdges(edges: readonly GapEdge[], range: TimeRange, stepMs: number, symbols: readonly string[]): Map<string, TimeRange[]> {
  const from = alignUp(range.from, stepMs);
  const end = alignUp(range.to, stepMs);
  const bySymbol = new Map<string, GapEdge[]>(symbols.map((s) => [s, []]));
  for (const e of edges) bySymbol.get(e.symbol)?.push(e);
  const out = new Map<string, TimeRange[]>();
  for (const [symbol, rows] of bySymbol) {
    rows.sort((a, b) => a.openTime.getTime() - b.openTime.getTime());
    const gaps: TimeRange[] = [];
    for (const r of rows) {
      const t = r.openTime.getTime();
      const before = r.previous === null ? from : r.previous.getTime() + stepMs;
      if (t > before) gaps.push({ from: before, to: t });
      if (r.next === null && t + stepMs < end) gaps.push({ from: t + stepMs, to: end });
    }
    out.set(symbol, rows.length === 0 && from < end ? [{ from, to: end }] : gaps);
  }
  return out;
}

/**
 * Latest open time per market: index order walked backwards, first document per market. The
 * server answers `$sort` + `$group`/`$first` on an index prefix with a DISTINCT_SCAN: one index
 * seek per market, whatever the collection holds.
 */
export function lastOpenTimesPipeline(symbols?: readonly string[]): Document[] {
  return [
    ...(symbols === undefined ? [] : [{ $match: { symbol: { $in: sortSymbols(symbols) } } }]),
    { $sort: { symbol: -1, openTime: -1 } },
    { $group: { _id: '$symbol', last: { $first: '$openTime' } } },
  ];
}

/**
 * `SYMBOL#AT#STATUS` for spot (round 1's `_id`, so re-recording a round-1 event stays a no-op),
 * `TYPE#SYMBOL#AT#STATUS` for futures: symbols hold no '#', so the two shapes never collide.
 */
export function marketId(e: MarketStatusEvent): string {
  const id = `${e.symbol}${ID_SEPARATOR}${e.at}${ID_SEPARATOR}${e.status}`;
  return e.marketType === 'spot' ? id : `${e.marketType}${ID_SEPARATOR}${id}`;
}

/** The `_id` range of one market's status documents: every id that starts with its prefix. */
export function marketIdRange(m: MarketRef): { $gte: string; $lt: string } {
  const prefix = `${m.marketType === 'spot' ? '' : `${m.marketType}${ID_SEPARATOR}`}${m.symbol}${ID_SEPARATOR}`;
  // The next string after every id with the prefix: its last character (the separator) plus one.
  return { $gte: prefix, $lt: `${prefix.slice(0, -1)}${String.fromCharCode(ID_SEPARATOR.charCodeAt(0) + 1)}` };
}

/** Insert-if-absent: recording the same (marketType, symbol, status, at) twice leaves one document. */
export function marketStatusOperation(e: MarketStatusEvent): AnyBulkWriteOperation<MarketDocument> {
  return {
    updateOne: {
      filter: { _id: marketId(e) },
      update: { $setOnInsert: { marketType: e.marketType, symbol: e.symbol, status: e.status, at: new Date(e.at) } },
      upsert: true,
      hint: { _id: 1 },
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
