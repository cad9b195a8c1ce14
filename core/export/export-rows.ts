/**
 * The Parquet export's fast path from a store that can build text (SQLite): each kline as one
 * line of text, made by the store in one value per row (`exportRowSql`) and parsed straight into
 * the column buffers (arrow-batch.ts `KlineColumns.addRows`), without a Kline object or a string
 * per field. Reading a SQLite row as one string costs half of reading its 13 values, and the
 * parse is one pass over characters that are already flat (bench/RESULTS.md `export-parquet,
 * round 3`).
 *
 * Layout, comma-separated, no newline: openTime, closeTime, trades, sourceCount (empty for 1m),
 * open, high, low, close, volume, quoteVolume, takerBuyBaseVolume, takerBuyQuoteVolume: integers
 * in decimal digits, decimals exactly as stored. `exportRow` is the JavaScript reference of
 * `exportRowSql` (test/core/export/export-rows.test.ts holds them equal).
 */
import type { StoredInterval } from '../interval';
import { DECIMAL_FIELDS, type Kline } from '../kline';

/** Fields of a row, in order; the parser names them in its errors. */
export const EXPORT_ROW_FIELDS = ['openTime', 'closeTime', 'trades', 'sourceCount', ...DECIMAL_FIELDS] as const;

/** One kline as an export row. */
export function exportRow(k: Kline): string {
  return `${k.openTime},${k.closeTime},${k.trades},${k.sourceCount ?? ''},${k.open},${k.high},${k.low},${k.close},${k.volume},${k.quoteVolume},${k.takerBuyBaseVolume},${k.takerBuyQuoteVolume}`;
}

/**
 * `exportRow` as an SQLite expression over a stored table of `interval` (1m tables have no
 * source_count). `concat_ws` builds the row in one buffer: eleven `||` made ten intermediate
 * strings per row (≈ 10 % more of the read's CPU). Every column is NOT NULL, so none is skipped.
 */
export function exportRowSql(interval: StoredInterval): string {
  const count = interval === '1m' ? "''" : 'source_count';
  return `concat_ws(',', ${['open_time', 'close_time', 'trades', count, 'open', 'high', 'low', 'close', 'volume', 'quote_volume', 'taker_buy_base_volume', 'taker_buy_quote_volume'].join(', ')})`;
}
