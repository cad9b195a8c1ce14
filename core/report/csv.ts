/**
 * The report's CSV files (RFC 4180: CRLF line ends, fields quoted when needed, quotes doubled).
 *
 * Spreadsheets run a cell that starts with = + - @ TAB or CR as a formula (CSV injection), and
 * market names come from the exchange. As OWASP recommends, such a text cell is prefixed with a
 * single quote and quoted; a text cell that itself starts with a single or double quote is prefixed too, so the
 * original is always the cell without its one leading quote when it starts with one.
 */
import type { MarketQuality } from '../quality';
import { minutesIn } from '../quality';
import { formatPercent, isoSecond } from './format';

const FORMULA_LEAD = /^[=+\-@\t\r'"]/;

/**
 * Quote a field when it holds a comma, a quote, CR or LF (RFC 4180 §2.6–2.7); neutralise a text
 * field a spreadsheet would run as a formula. Numbers are written as they are.
 */
export function csvField(value: string | number): string {
  let text = String(value);
  const neutralise = typeof value === 'string' && FORMULA_LEAD.test(text);
  if (neutralise) text = `'${text}`;
  return neutralise || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The text a `csvField` cell held, given the cell's unquoted value (undoes the formula guard). */
export function csvText(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

export function csvRow(fields: readonly (string | number)[]): string {
  return fields.map(csvField).join(',');
}

function csvDocument(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map(csvRow).join('\r\n') + '\r\n';
}

export const MARKET_CSV_HEADER = [
  'market_type',
  'symbol',
  'expected_minutes',
  'captured',
  'missing_minutes',
  'available_pct',
  'gap_count',
  'largest_gap_minutes',
  'first_gap_from',
  'first_gap_until',
  'last_gap_from',
  'last_gap_until',
  'expected_from',
] as const;

/**
 * One row per market (a market is a market type and a symbol), in the order given (by type, worst first). `available_pct` is empty when nothing
 * was expected; gap times are UTC open times, `until` exclusive. `expected_from` says whether the
 * expectation came from the status history or, lacking one, from the first stored kline.
 */
export function marketsCsv(markets: readonly MarketQuality[]): string {
  return csvDocument(
    MARKET_CSV_HEADER,
    markets.map((m) => {
      const first = m.gaps[0];
      const last = m.gaps[m.gaps.length - 1];
      return [
        m.marketType,
        m.symbol,
        m.expected,
        m.captured,
        m.missing,
        formatPercent(m.present, m.expected),
        m.gaps.length,
        m.largestGapMinutes,
        first ? isoSecond(first.from) : '',
        first ? isoSecond(first.to) : '',
        last ? isoSecond(last.from) : '',
        last ? isoSecond(last.to) : '',
        m.expectation,
      ];
    }),
  );
}

export const GAPS_CSV_HEADER = ['market_type', 'symbol', 'from', 'until', 'minutes'] as const;

/** Every gap of every market: one row per gap, by market (in the order given), then time. */
export function gapsCsv(markets: readonly MarketQuality[]): string {
  const rows: (string | number)[][] = [];
  for (const m of markets) for (const g of m.gaps) rows.push([m.marketType, m.symbol, isoSecond(g.from), isoSecond(g.to), minutesIn([g])]);
  return csvDocument(GAPS_CSV_HEADER, rows);
}
