import { computeQuality } from '../../../core/quality';
import { csvField, csvText, gapsCsv, marketsCsv, MARKET_CSV_HEADER } from '../../../core/report/csv';
import { formatPercent } from '../../../core/report/format';
import type { TimeRange } from '../../../core/store/port';

const MIN = 60_000;
const DAY: TimeRange = { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) };
const t = (h: number, m = 0): number => DAY.from + h * 3_600_000 + m * MIN;

/** A small RFC 4180 reader, so the tests check what a spreadsheet would read back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('csvField', () => {
  it.each([
    ['BTCUSDT', 'BTCUSDT'],
    ['A,B', '"A,B"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['cr\rhere', '"cr\rhere"'],
    ['币安人生USDT', '币安人生USDT'],
  ])('writes %j as %j', (input, output) => {
    expect(csvField(input)).toBe(output);
  });
});

describe('marketsCsv', () => {
  it('writes one row per market under a header, with hostile symbols read back intact', () => {
    // Prepare
    const hostile = 'EVIL,"CO"\r\nIN';
    const figures = computeQuality({
      marketType: 'spot',
      range: DAY,
      history: [
        { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: 0 },
        { marketType: 'spot', symbol: hostile, status: 'TRADING', at: 0 },
        { marketType: 'spot', symbol: '币安人生USDT', status: 'BREAK', at: 0 },
      ],
      counts: new Map([
        ['BTCUSDT', 1440],
        [hostile, 1440 - 3 - 10],
        ['币安人生USDT', 5],
      ]),
      gaps: new Map([
        ['BTCUSDT', []],
        [hostile, [{ from: t(1), to: t(1, 3) }, { from: t(20), to: t(20, 10) }]],
        ['币安人生USDT', [{ from: DAY.from, to: t(3) }, { from: t(3, 5), to: DAY.to }]],
      ]),
    });
    // Act
    const csv = marketsCsv(figures.markets);
    // Assess
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...MARKET_CSV_HEADER]);
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual(['spot', hostile, '1440', '1427', '13', '99.09', '2', '10', '2024-01-01T01:00:00Z', '2024-01-01T01:03:00Z', '2024-01-01T20:00:00Z', '2024-01-01T20:10:00Z', 'status-history']);
    expect(rows[2]).toEqual(['spot', 'BTCUSDT', '1440', '1440', '0', '100.00', '0', '0', '', '', '', '', 'status-history']);
    expect(rows[3]).toEqual(['spot', '币安人生USDT', '0', '5', '0', '', '0', '0', '', '', '', '', 'status-history']);
  });

  it('writes only a header for an empty report', () => {
    expect(marketsCsv([])).toBe(`${MARKET_CSV_HEADER.join(',')}\r\n`);
  });
});

describe('gapsCsv', () => {
  it('writes one row per gap with its length in minutes', () => {
    const figures = computeQuality({
      marketType: 'spot',
      range: DAY,
      history: [{ marketType: 'spot', symbol: 'A,B', status: 'TRADING', at: 0 }],
      counts: new Map([['A,B', 1440 - 62]]),
      gaps: new Map([['A,B', [{ from: t(0), to: t(0, 2) }, { from: t(23), to: DAY.to }]]]),
    });
    expect(parseCsv(gapsCsv(figures.markets))).toEqual([
      ['market_type', 'symbol', 'from', 'until', 'minutes'],
      ['spot', 'A,B', '2024-01-01T00:00:00Z', '2024-01-01T00:02:00Z', '2'],
      ['spot', 'A,B', '2024-01-01T23:00:00Z', '2024-01-02T00:00:00Z', '60'],
    ]);
  });
});

describe('CSV injection (OWASP): a spreadsheet never runs a market name as a formula', () => {
  const FORMULAS = ['=1+2', '@SUM(1+1)USDT', '+1-1', '-2+3', '\t=1', '\r=1', '=HYPERLINK("http://x","y")', '"=HYPERLINK(1)"', "'quoted"];

  it.each(FORMULAS)('neutralises %j and keeps it recoverable', (symbol) => {
    const cell = csvField(symbol);
    expect(cell.startsWith('"\'')).toBe(true);
    const [[read]] = parseCsv(`${cell}\r\n`);
    expect(read.startsWith("'")).toBe(true);
    expect(csvText(read)).toBe(symbol);
  });

  it('writes numbers and ordinary symbols as they are', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField('BTCUSDT')).toBe('BTCUSDT');
    expect(csvText('BTCUSDT')).toBe('BTCUSDT');
  });

  it('neutralises formula symbols in the per-market and gaps files', () => {
    const symbols = ['=1+2', '@SUM(1+1)USDT'];
    const figures = computeQuality({
      marketType: 'spot',
      range: DAY,
      history: symbols.map((symbol) => ({ marketType: 'spot' as const, symbol, status: 'TRADING' as const, at: 0 })),
      counts: new Map(symbols.map((s) => [s, 1440 - 2])),
      gaps: new Map(symbols.map((s) => [s, [{ from: t(0), to: t(0, 2) }]])),
    });
    for (const csv of [marketsCsv(figures.markets), gapsCsv(figures.markets)]) {
      const cells = parseCsv(csv).slice(1).map((r) => r[1]);
      expect(cells.sort()).toStrictEqual(["'=1+2", "'@SUM(1+1)USDT"]);
      expect(cells.map(csvText).sort()).toStrictEqual([...symbols].sort());
    }
  });
});

describe('formatPercent', () => {
  it.each([
    [29, 100, '29.00'],
    [2_893_117, 2_898_720, '99.80'],
    [99_999, 100_000, '99.99'],
    [1, 3, '33.33'],
    [2, 3, '66.66'],
    [0, 7, '0.00'],
    [7, 7, '100.00'],
    [0, 0, ''],
  ])('formats %d of %d as %j (rounded down, never 100.00 unless complete)', (present, expected, text) => {
    expect(formatPercent(present, expected)).toBe(text);
  });
});
