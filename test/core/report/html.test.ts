import { computeQuality, type QualityInput } from '../../../core/quality';
import { renderQualityReport } from '../../../core/report';
import { bucketHours, escapeHtml, gapRows, STRIP_COLOURS, stripState } from '../../../core/report/html';
import type { TimeRange } from '../../../core/store/port';
import { exampleInput } from './example-figures';

const MIN = 60_000;
const DAY: TimeRange = { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) };
const t = (h: number, m = 0): number => DAY.from + h * 3_600_000 + m * MIN;
const HOSTILE = '<script>alert("x")</script>&\'';

function hostileInput(): QualityInput {
  return {
    marketType: 'spot',
    range: DAY,
    history: [
      { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: 0 },
      { marketType: 'spot', symbol: HOSTILE, status: 'TRADING', at: 0 },
    ],
    counts: new Map([
      ['BTCUSDT', 1440],
      [HOSTILE, 1380],
    ]),
    gaps: new Map([
      ['BTCUSDT', []],
      [HOSTILE, [{ from: t(5), to: t(6) }]],
    ]),
  };
}

const colourCount = (html: string, colour: string): number => html.split(`bgcolor="${colour}"`).length - 1;

describe('report HTML', () => {
  it('escapes a hostile market name everywhere and contains no script', () => {
    // Act
    const { html } = renderQualityReport(computeQuality(hostileInput()), { generatedAt: DAY.to });
    // Assess
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(escapeHtml(HOSTILE)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('shows bidi overrides and invisible characters visibly instead of applying them', () => {
    expect(escapeHtml('ABC\u202eTDSU')).toBe('ABC[U+202E]TDSU');
    expect(escapeHtml('A\u200bB\u0000C\u2028')).toBe('A[U+200B]B[U+0000]C[U+2028]');
    expect(escapeHtml('币安人生USDT')).toBe('币安人生USDT');
  });

  it('escapes a hostile title', () => {
    const { html } = renderQualityReport(computeQuality(hostileInput()), { title: '<img src=x onerror=alert(1)>' });
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('loads nothing from outside: no src attribute, no http link, no stylesheet link', () => {
    const { html } = renderQualityReport(computeQuality(exampleInput()));
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/href\s*=\s*["']?https?:/i);
    expect(html).not.toMatch(/<link|@import|url\(/i);
  });

  it('shows the summary figures first', () => {
    // Prepare: 2 markets, 2,880 expected minutes, 60 missing
    const { html } = renderQualityReport(computeQuality(hostileInput()));
    // Assess
    const hero = html.indexOf('97.91&nbsp;%');
    expect(hero).toBeGreaterThan(0);
    expect(hero).toBeLessThan(html.indexOf('Worst markets'));
    expect(html.indexOf('Worst markets')).toBeLessThan(html.lastIndexOf('>Gaps<'));
    for (const figure of ['2,820 of 2,880 minutes', '>2<', '>2,820<', '>2,880<', '60 missing minutes']) expect(html).toContain(figure);
  });

  it('draws one strip cell per hour for each incomplete market, coloured by completeness', () => {
    // Prepare: a market listed at 10:00, 30 minutes missing at 12:00–12:30, nothing at 20:00–21:00
    const input: QualityInput = {
      marketType: 'spot',
      range: DAY,
      history: [{ marketType: 'spot', symbol: 'NEWUSDT', status: 'TRADING', at: t(10) }],
      counts: new Map([['NEWUSDT', 14 * 60 - 90]]),
      gaps: new Map([['NEWUSDT', [{ from: DAY.from, to: t(10) }, { from: t(12), to: t(12, 30) }, { from: t(20), to: t(21) }]]]),
    };
    // Act
    const { html } = renderQualityReport(computeQuality(input));
    // Assess: 10 not-expected hours, 1 partial (< 90 %), 1 empty, 12 complete
    expect(colourCount(html, STRIP_COLOURS.notExpected)).toBe(10);
    expect(colourCount(html, STRIP_COLOURS.low)).toBe(1);
    expect(colourCount(html, STRIP_COLOURS.none)).toBe(1);
    expect(colourCount(html, STRIP_COLOURS.complete)).toBe(12);
    expect(html).toContain('not trading');
  });

  it('lists the gaps and caps the list with "and N more" pointing to the CSV', () => {
    // Prepare: 30 markets with one distinct 1-minute gap each
    const symbols = Array.from({ length: 30 }, (_, i) => `M${String(i).padStart(2, '0')}USDT`);
    const input: QualityInput = {
      marketType: 'spot',
      range: DAY,
      history: symbols.map((symbol) => ({ marketType: 'spot', symbol, status: 'TRADING' as const, at: 0 })),
      counts: new Map(symbols.map((s) => [s, 1439])),
      gaps: new Map(symbols.map((s, i) => [s, [{ from: t(1, i), to: t(1, i + 1) }]])),
    };
    // Act
    const { html } = renderQualityReport(computeQuality(input), { gapRows: 25, worstCount: 5 });
    // Assess
    expect(html).toContain('and 5 more gaps');
    expect(html).toContain('attached CSV');
    expect(html).toContain('5 of 30 incomplete markets');
  });

  it('says every market is complete when nothing is missing', () => {
    const input: QualityInput = { marketType: 'spot', range: DAY, history: [{ marketType: 'spot', symbol: 'A', status: 'TRADING', at: 0 }], counts: new Map([['A', 1440]]), gaps: new Map([['A', []]]) };
    const { html } = renderQualityReport(computeQuality(input));
    expect(html).toContain('All 1 markets are complete.');
    expect(html).toContain('No gaps.');
    expect(html).toContain('100.00&nbsp;%');
  });

  it('renders an empty window without figures it cannot know', () => {
    const { html, summaryLine, subject } = renderQualityReport(computeQuality({ marketType: 'spot', range: DAY, history: [], counts: new Map(), gaps: new Map() }));
    expect(html).toContain('No market was expected');
    expect(summaryLine).toBe('2024-01-01T00:00Z–2024-01-02T00:00Z: 0 markets, 0 of 0 datapoints (nothing expected), 0 gaps');
    expect(subject).toBe('Kline data quality 2024-01-01: nothing expected available, 0 gaps');
  });

  it('stays under Gmail\'s 102 KB clipping size for a realistic day', () => {
    const { html } = renderQualityReport(computeQuality(exampleInput()));
    expect(Buffer.byteLength(html)).toBeLessThan(100_000);
  });
});

describe('gapRows', () => {
  it('merges the same gap in several markets into one row and puts the largest loss first', () => {
    const input: QualityInput = {
      marketType: 'spot',
      range: DAY,
      history: ['A', 'B', 'C'].map((symbol) => ({ marketType: 'spot', symbol, status: 'TRADING' as const, at: 0 })),
      counts: new Map([
        ['A', 1437],
        ['B', 1432],
        ['C', 1437],
      ]),
      gaps: new Map([
        ['A', [{ from: t(3), to: t(3, 3) }]],
        ['B', [{ from: t(3), to: t(3, 3) }, { from: t(9), to: t(9, 5) }]],
        ['C', [{ from: t(3), to: t(3, 3) }]],
      ]),
    };
    const rows = gapRows(computeQuality(input).markets);
    expect(rows.map((r) => [r.range, [...r.symbols].sort()])).toEqual([
      [{ from: t(3), to: t(3, 3) }, ['A', 'B', 'C']],
      [{ from: t(9), to: t(9, 5) }, ['B']],
    ]);
  });
});

describe('strip helpers', () => {
  it.each([
    [{ expected: 0, present: 0 }, 'notExpected'],
    [{ expected: 60, present: 60 }, 'complete'],
    [{ expected: 60, present: 54 }, 'high'],
    [{ expected: 60, present: 53 }, 'low'],
    [{ expected: 60, present: 0 }, 'none'],
  ])('colours %j as %s', (cell, state) => {
    expect(stripState(cell)).toBe(state);
  });

  it.each([
    [1, 1],
    [24, 1],
    [25, 2],
    [48, 2],
    [168, 8],
    [720, 48],
    [24 * 60, 72],
  ])('groups %d hours into cells of %d hours (at most 24 cells)', (hours, size) => {
    expect(bucketHours(hours)).toBe(size);
    expect(Math.ceil(hours / size)).toBeLessThanOrEqual(24);
  });
});
