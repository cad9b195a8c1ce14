/**
 * data.binance.vision's kline CSV layout, to write files byte-identical to Binance's own:
 *
 * - 12 columns: open time, o, h, l, c, volume, close time, quote volume, trades, taker-buy base,
 *   taker-buy quote, ignore (`0`); decimals exactly as stored (Binance's fraction digits); LF
 *   line ends, a newline after the last row.
 * - Spot: no header row; timestamps in microseconds for klines from 2025-01-01, milliseconds
 *   before (Binance switched its spot dumps to µs then).
 * - Futures (USDⓈ-M `um`, COIN-M `cm`): a header row, timestamps in milliseconds.
 * - Paths as on data.binance.vision: `spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-01.csv`,
 *   `futures/um/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2025-03.csv`.
 */
import type { Kline } from '../kline';
import type { MarketType } from '../market';

/** Spot dumps carry µs timestamps for klines opening from this instant on. */
export const SPOT_MICROS_FROM = Date.UTC(2025, 0, 1);

export const FUTURES_CSV_HEADER = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';

export type CsvPeriod = 'daily' | 'monthly';

const VENUE_PATH: Record<MarketType, string> = { spot: 'spot', usdm: 'futures/um', coinm: 'futures/cm' };

/** `2025-03-01` (daily) or `2025-03` (monthly) of a period starting at `start` in zone `tzOffsetMs`. */
export function periodLabel(start: number, period: CsvPeriod, tzOffsetMs = 0): string {
  const iso = new Date(start + tzOffsetMs).toISOString();
  return period === 'daily' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** Where data.binance.vision keeps the file of one market, interval and period (relative path). */
export function binanceCsvPath(marketType: MarketType, symbol: string, interval: string, period: CsvPeriod, label: string): string {
  return `${VENUE_PATH[marketType]}/${period}/klines/${symbol}/${interval}/${symbol}-${interval}-${label}.csv`;
}

/** The header line (with its newline) a file of this market type starts with: '' for spot. */
export function csvHeader(marketType: MarketType): string {
  return marketType === 'spot' ? '' : `${FUTURES_CSV_HEADER}\n`;
}

/** One kline as Binance writes it in a dump of `marketType` (with its newline). */
export function binanceCsvRow(k: Kline, marketType: MarketType): string {
  const micros = marketType === 'spot' && k.openTime >= SPOT_MICROS_FROM;
  const open = micros ? `${k.openTime}000` : `${k.openTime}`;
  // closeTime + 1 ms is a whole ms, so its µs form is closeTime·1000 + 999.
  const close = micros ? `${k.closeTime}999` : `${k.closeTime}`;
  return `${open},${k.open},${k.high},${k.low},${k.close},${k.volume},${close},${k.quoteVolume},${k.trades},${k.takerBuyBaseVolume},${k.takerBuyQuoteVolume},0\n`;
}

/**
 * `binanceCsvRow` as an SQLite expression over a stored table's columns, so the SQLite store can
 * build a whole file in one statement (the export's fast path: one string per file instead of
 * thirteen values per kline). Integers print as their exact digits; decimals are stored text.
 * Test: test/core/export/binance-csv-sql.test.ts holds it byte-equal to `binanceCsvRow`.
 */
export function binanceCsvRowSql(marketType: MarketType): string {
  const micros = marketType === 'spot' ? `open_time >= ${SPOT_MICROS_FROM}` : '0';
  const open = `(CASE WHEN ${micros} THEN open_time || '000' ELSE open_time END)`;
  const close = `(CASE WHEN ${micros} THEN close_time || '999' ELSE close_time END)`;
  return [open, 'open', 'high', 'low', 'close', 'volume', close, 'quote_volume', 'trades', 'taker_buy_base_volume', 'taker_buy_quote_volume', "'0' || char(10)"].join(" || ',' || ");
}
