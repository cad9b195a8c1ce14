/**
 * The report as an e-mail body. Mail clients drop <style> blocks, scripts and external resources
 * in places, so: inline styles on every element that matters, tables for layout (bgcolor too,
 * for clients that ignore CSS backgrounds), no scripts, no images, no web fonts, and every piece
 * of text escaped (market names come from the exchange and are untrusted).
 * Width: a 680 px card that shrinks to the screen; the hour strip is a fixed-layout table whose
 * cells share the width, so it stays readable on a phone.
 */
import type { HourCompleteness, MarketQuality, QualityFigures, QualitySummary } from '../quality';
import { combineSummaries, minutesIn } from '../quality';
import type { TimeRange } from '../store/port';
import { MARKET_TYPE_LABELS, dateOnly, dateTime, endOfDayTime, formatCount, formatMinutes, formatPercent, timeOnly, withinOneDate } from './format';

export interface HtmlOptions {
  title: string;
  generatedAt: number;
  /** How many incomplete markets get a row with an hour strip. */
  worstCount: number;
  /** How many gap rows before "and N more". */
  gapRows: number;
  /** Extra sections (table rows) after the gaps, e.g. the dump audit. */
  extraSections?: string;
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const INK = '#111827';
const MUTED = '#6b7280';
const LINE = '#e5e7eb';
const PAGE = '#f3f4f6';

/** Strip colours: complete, mostly there, partly there, nothing, not expected. */
export const STRIP_COLOURS = {
  complete: '#22a55b',
  high: '#f5c542',
  low: '#f08c2e',
  none: '#dc3b3b',
  notExpected: '#e9ebef',
} as const;
export type StripState = keyof typeof STRIP_COLOURS;

const MAX_STRIP_CELLS = 24;
const BUCKET_HOURS = [1, 2, 3, 4, 6, 8, 12, 24];

/** Control, format (bidi overrides, zero-width) and line/paragraph separator characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Escape text for HTML element content and attribute values. Invisible and bidi-control
 * characters are shown as a visible `[U+202E]` instead, so an untrusted market name cannot
 * reorder or hide the text around it.
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
    .replace(INVISIBLE, (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

export function stripState(cell: { expected: number; present: number }): StripState {
  if (cell.expected === 0) return 'notExpected';
  if (cell.present >= cell.expected) return 'complete';
  if (cell.present === 0) return 'none';
  return cell.present * 10 >= cell.expected * 9 ? 'high' : 'low';
}

/** Hours per strip cell: one hour when the window has ≤ 24 hours, coarser for longer windows. */
export function bucketHours(hourCount: number): number {
  for (const b of BUCKET_HOURS) if (Math.ceil(hourCount / b) <= MAX_STRIP_CELLS) return b;
  return 24 * Math.ceil(hourCount / 24 / MAX_STRIP_CELLS);
}

export function bucketize(hours: readonly HourCompleteness[], size: number): HourCompleteness[] {
  const cells: HourCompleteness[] = [];
  for (let i = 0; i < hours.length; i += size) {
    const group = hours.slice(i, i + size);
    cells.push({
      start: group[0].start,
      expected: group.reduce((s, h) => s + h.expected, 0),
      present: group.reduce((s, h) => s + h.present, 0),
    });
  }
  return cells;
}

// ---------------------------------------------------------------------------------------------

function availabilityColour(present: number, expected: number): string {
  if (expected === 0 || present >= expected) return '#15803d';
  return present * 100 >= expected * 99 ? '#b45309' : '#b91c1c';
}

function section(title: string, subtitle: string, body: string): string {
  return `<tr><td class="kq-pad" style="padding:28px 24px 0 24px;">
<div style="font-size:16px;font-weight:700;color:${INK};margin:0 0 2px 0;">${escapeHtml(title)}</div>
<div style="font-size:13px;color:${MUTED};margin:0 0 12px 0;">${subtitle}</div>
${body}
</td></tr>`;
}

function tile(label: string, value: string, note: string): string {
  return `<td width="50%" valign="top" style="padding:6px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border:1px solid ${LINE};border-radius:8px;border-collapse:separate;">
<tr><td style="padding:14px 16px;">
<div style="font-size:12px;letter-spacing:.04em;text-transform:uppercase;color:${MUTED};">${escapeHtml(label)}</div>
<div style="font-size:24px;line-height:32px;font-weight:700;color:${INK};font-variant-numeric:tabular-nums;">${escapeHtml(value)}</div>
<div style="font-size:12px;color:${MUTED};">${note}</div>
</td></tr></table></td>`;
}

function summaryBlock(s: QualitySummary): string {
  const pct = formatPercent(s.datapointsPresent, s.datapointsExpected);
  const hero =
    s.datapointsExpected === 0
      ? `<div style="font-size:40px;line-height:48px;font-weight:800;color:${MUTED};">—</div>
<div style="font-size:14px;color:${MUTED};">No market was expected to trade in this window.</div>`
      : `<div style="font-size:44px;line-height:52px;font-weight:800;color:${availabilityColour(s.datapointsPresent, s.datapointsExpected)};font-variant-numeric:tabular-nums;">${pct}&nbsp;%</div>
<div style="font-size:14px;color:${INK};">of expected 1m klines available: ${formatCount(s.datapointsPresent)} of ${formatCount(s.datapointsExpected)} minutes in ${formatCount(s.marketsExpected)} markets</div>`;
  const within =
    s.datapointsUnexpected > 0 ? `incl. ${formatCount(s.datapointsUnexpected)} outside trading periods` : 'all within trading periods';
  const unexpected = s.bySource
    ? `${within}<br>stream ${formatCount(s.bySource.stream)} · REST ${formatCount(s.bySource.rest)} · dump ${formatCount(s.bySource.dump)}`
    : within;
  const notCaptured = s.marketsReported - s.marketsCaptured;
  return `<tr><td class="kq-pad" style="padding:24px 24px 8px 24px;">${hero}</td></tr>
<tr><td class="kq-tiles" style="padding:8px 18px 0 18px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr>${tile('Markets captured', formatCount(s.marketsCaptured), notCaptured > 0 ? `<span style="color:#b91c1c;">${formatCount(notCaptured)} expected with no data</span>` : `${formatCount(s.marketsComplete)} complete`)}
${tile('Gaps', formatCount(s.gapCount), s.missingMinutes > 0 ? `${formatCount(s.missingMinutes)} missing minutes` : 'no missing minute')}</tr>
<tr>${tile('Datapoints captured', formatCount(s.datapointsCaptured), unexpected)}
${tile('Datapoints expected', formatCount(s.datapointsExpected), 'minutes while TRADING')}</tr>
</table></td></tr>`;
}

function strip(cells: readonly HourCompleteness[]): string {
  // Terse on purpose: 20 markets × 24 cells must stay well under Gmail's 102 KB clipping limit.
  // The first cell's height sets the row's; empty cells keep the colour in every client tested.
  const tds = cells
    .map((c, i) => {
      const colour = STRIP_COLOURS[stripState(c)];
      return `<td${i === 0 ? ' height="16"' : ''} bgcolor="${colour}" style="background:${colour}"></td>`;
    })
    .join('');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="2" border="0" style="table-layout:fixed"><tr>${tds}</tr></table>`;
}

function tickLabel(start: number, hoursPerCell: number, multiDate: boolean): string {
  if (hoursPerCell >= 24) return dateOnly(start).slice(5);
  const t = timeOnly(start);
  return multiDate && t === '00:00' ? dateOnly(start).slice(5) : t.slice(0, 2);
}

function stripAxis(cells: readonly HourCompleteness[], hoursPerCell: number, multiDate: boolean): string {
  const every = Math.max(1, Math.ceil(cells.length / 4));
  const tds: string[] = [];
  for (let i = 0; i < cells.length; i += every) {
    const span = Math.min(every, cells.length - i);
    tds.push(
      `<td colspan="${span}" style="font-size:10px;line-height:12px;color:${MUTED};text-align:left;padding:0 0 0 2px;white-space:nowrap;overflow:hidden;">${escapeHtml(tickLabel(cells[i].start, hoursPerCell, multiDate))}</td>`,
    );
  }
  const spacer = cells.map(() => '<td style="height:0;padding:0;font-size:0;line-height:0;"></td>').join('');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="2" border="0" style="table-layout:fixed;border-collapse:separate;"><tr>${spacer}</tr><tr>${tds.join('')}</tr></table>`;
}

function legend(): string {
  const items: [StripState, string][] = [
    ['complete', '100 %'],
    ['high', '90–99 %'],
    ['low', '1–89 %'],
    ['none', 'none'],
    ['notExpected', 'not trading'],
  ];
  const spans = items
    .map(
      ([state, label]) =>
        `<span style="display:inline-block;white-space:nowrap;margin:0 14px 4px 0;font-size:12px;color:${MUTED};"><span style="display:inline-block;width:10px;height:10px;border-radius:2px;background-color:${STRIP_COLOURS[state]};vertical-align:-1px;"></span>&nbsp;${label}</span>`,
    )
    .join(' ');
  return `<div style="margin:10px 0 0 0;line-height:16px;">${spans}</div>`;
}

function worstBlock(markets: readonly MarketQuality[], summary: QualitySummary, options: HtmlOptions): string {
  const incomplete = markets.filter((m) => m.missing > 0);
  if (incomplete.length === 0) {
    const text = summary.marketsExpected > 0 ? `All ${formatCount(summary.marketsExpected)} markets are complete.` : 'No market was expected in this window.';
    return section('Worst markets', '', `<div style="font-size:14px;color:#15803d;background-color:#f0fdf4;border:1px solid #bbf7d0;border-radius:8px;padding:12px 14px;">${text}</div>`);
  }
  const shown = incomplete.slice(0, options.worstCount);
  const hourCount = shown[0].hours.length;
  const perCell = bucketHours(hourCount);
  const multiDate = !withinOneDate(summary.range);
  const axisCells = bucketize(shown[0].hours, perCell);
  const rows = shown
    .map((m, i) => {
      const border = i === 0 ? '' : `border-top:1px solid ${LINE};`;
      const note = m.expectation === 'first-kline' ? `<div style="font-size:11px;color:${MUTED};">no status history</div>` : '';
      return `<tr>
<td class="kq-name" valign="middle" style="${border}padding:8px 8px 8px 0;font-size:13px;font-weight:600;color:${INK};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(m.symbol)}${note}</td>
<td valign="middle" align="right" style="${border}padding:8px 10px 8px 0;font-variant-numeric:tabular-nums;">
<div style="font-size:13px;font-weight:700;white-space:nowrap;color:${availabilityColour(m.present, m.expected)};">${formatPercent(m.present, m.expected)}&nbsp;%</div>
<div class="kq-miss" style="font-size:11px;color:${MUTED};">${formatMinutes(m.missing)} missing</div></td>
<td valign="middle" style="${border}padding:8px 0;">${strip(bucketize(m.hours, perCell))}</td>
</tr>`;
    })
    .join('\n');
  const cellUnit = perCell === 1 ? 'hour' : perCell >= 24 ? `${perCell / 24} day${perCell > 24 ? 's' : ''}` : `${perCell} hours`;
  const subtitle = `${shown.length < incomplete.length ? `${shown.length} of ${formatCount(incomplete.length)}` : formatCount(incomplete.length)} incomplete market${incomplete.length === 1 ? '' : 's'}, lowest availability first. One cell per ${cellUnit} (UTC).`;
  const table = `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
<tr><td width="24%" style="font-size:11px;color:${MUTED};padding:0 0 4px 0;">Market</td><td width="19%" align="right" style="font-size:11px;color:${MUTED};padding:0 10px 4px 0;">Available</td><td style="padding:0;">${stripAxis(axisCells, perCell, multiDate)}</td></tr>
${rows}
</table>${legend()}`;
  return section('Worst markets', subtitle, table);
}

interface GapRow {
  range: TimeRange;
  symbols: string[];
}

const lostMinutes = (row: GapRow): number => minutesIn([row.range]) * row.symbols.length;

/**
 * Gaps with the same range in several markets (an outage) are one row. Largest loss (minutes ×
 * markets) first, then earliest.
 */
export function gapRows(markets: readonly MarketQuality[]): GapRow[] {
  const byRange = new Map<string, GapRow>();
  for (const m of markets) {
    for (const g of m.gaps) {
      const key = `${g.from}-${g.to}`;
      const row = byRange.get(key);
      if (row) row.symbols.push(m.symbol);
      else byRange.set(key, { range: g, symbols: [m.symbol] });
    }
  }
  return [...byRange.values()].sort(
    (a, b) => lostMinutes(b) - lostMinutes(a) || a.range.from - b.range.from || b.range.to - a.range.to,
  );
}

function lengthText(row: GapRow): string {
  const length = formatMinutes(minutesIn([row.range])).replace(/ /g, '&nbsp;');
  return row.symbols.length > 1 ? `${length}<div style="font-size:11px;color:${MUTED};">× ${formatCount(row.symbols.length)} markets</div>` : length;
}

function marketsCell(symbols: readonly string[]): string {
  const sorted = [...symbols].sort();
  const shown = sorted.slice(0, 3).map(escapeHtml).join(', ');
  return sorted.length > 3 ? `${shown} <span style="color:${MUTED};font-weight:400;">and ${formatCount(sorted.length - 3)} more</span>` : shown;
}

function gapsBlock(markets: readonly MarketQuality[], summary: QualitySummary, options: HtmlOptions): string {
  const rows = gapRows(markets);
  if (rows.length === 0) return section('Gaps', '', `<div style="font-size:14px;color:${MUTED};">No gaps.</div>`);
  const oneDate = withinOneDate(summary.range);
  const when = (t: number): string => (oneDate ? timeOnly(t) : dateTime(t));
  const until = (t: number): string => (oneDate ? endOfDayTime(t) : dateTime(t));
  const shown = rows.slice(0, options.gapRows);
  const th = (text: string, align = 'left'): string =>
    `<td align="${align}" style="font-size:11px;color:${MUTED};padding:0 8px 6px 0;border-bottom:1px solid ${LINE};">${text}</td>`;
  const body = shown
    .map((r) => {
      const td = (content: string, align = 'left', extra = ''): string =>
        `<td align="${align}" valign="top" style="padding:7px 8px 7px 0;border-bottom:1px solid ${LINE};font-size:13px;color:${INK};font-variant-numeric:tabular-nums;${extra}">${content}</td>`;
      return `<tr>${td(marketsCell(r.symbols), 'left', 'font-weight:600;word-break:break-word;')}${td(when(r.range.from), 'left', 'white-space:nowrap;')}${td(until(r.range.to), 'left', 'white-space:nowrap;')}${td(lengthText(r), 'right', 'white-space:nowrap;')}</tr>`;
    })
    .join('\n');
  const rest = rows.slice(shown.length);
  const restGaps = rest.reduce((n, r) => n + r.symbols.length, 0);
  const more =
    rest.length > 0
      ? `<div style="font-size:13px;color:${MUTED};padding:10px 0 0 0;">…and ${formatCount(restGaps)} more gap${restGaps === 1 ? '' : 's'} (${formatCount(rest.length)} more time range${rest.length === 1 ? '' : 's'}). Every market's gaps are in the attached CSV.</div>`
      : '';
  const subtitle = `${formatCount(summary.gapCount)} gap${summary.gapCount === 1 ? '' : 's'} while trading, largest first. Times are UTC${oneDate ? ` on ${dateOnly(summary.range.from)}` : ''}; “until” is the first minute present again.`;
  const table = `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
<tr>${th('Market')}${th('From')}${th('Until')}${th('Length', 'right')}</tr>
${body}
</table>${more}`;
  return section('Gaps', subtitle, table);
}

/** A market type's heading, shown when the report has more than one. */
function typeHeading(figures: QualityFigures): string {
  return `<tr><td class="kq-pad" style="padding:32px 24px 0 24px;">
<div style="font-size:20px;font-weight:800;color:${INK};border-bottom:2px solid #0f172a;padding:0 0 6px 0;">${escapeHtml(MARKET_TYPE_LABELS[figures.marketType])}</div>
</td></tr>`;
}

/** One market type's blocks: summary, worst markets, gaps. */
function typeSection(figures: QualityFigures, options: HtmlOptions, withHeading: boolean): string {
  const { summary, markets } = figures;
  return `${withHeading ? `${typeHeading(figures)}\n` : ''}${summaryBlock(summary)}
${worstBlock(markets, summary, options)}
${gapsBlock(markets, summary, options)}`;
}

/** The whole e-mail body: one section per market type (in the order given). */
export function renderHtml(sections: readonly QualityFigures[], options: HtmlOptions): string {
  if (sections.length === 0) throw new RangeError('a report needs at least one market type section');
  const summary = combineSummaries(sections[0].summary.range, sections.map((s) => s.summary));
  const r = summary.range;
  const venues = sections.map((s) => (s.marketType === 'spot' ? 'spot' : MARKET_TYPE_LABELS[s.marketType])).join(', ');
  const windowText = `${dateTime(r.from)} – ${withinOneDate(r) ? endOfDayTime(r.to) : dateTime(r.to)} UTC`;
  const title = escapeHtml(options.title);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>
<style>@media (max-width:480px){.kq-name{font-size:11px!important}.kq-miss{display:none!important}.kq-pad{padding-left:14px!important;padding-right:14px!important}.kq-tiles{padding-left:8px!important;padding-right:8px!important}}</style></head>
<body style="margin:0;padding:0;background-color:${PAGE};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${PAGE}" style="background-color:${PAGE};">
<tr><td align="center" style="padding:20px 8px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="max-width:680px;background-color:#ffffff;border-radius:10px;font-family:${FONT};color:${INK};">
<tr><td bgcolor="#0f172a" style="background-color:#0f172a;border-radius:10px 10px 0 0;padding:20px 24px;">
<div style="font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#94a3b8;">Binance ${escapeHtml(venues)} · 1m klines</div>
<div style="font-size:22px;line-height:30px;font-weight:700;color:#ffffff;">${title}</div>
<div style="font-size:14px;color:#cbd5e1;">${escapeHtml(windowText)}</div>
</td></tr>
${sections.map((figures) => typeSection(figures, options, sections.length > 1)).join('\n')}
${options.extraSections ?? ''}
<tr><td style="padding:28px 24px;font-size:12px;line-height:18px;color:${MUTED};">
A market is expected to have a 1m kline for every minute that opens while its status is TRADING (from the recorded status history); klines stored outside those minutes count as captured but not as expected. Percentages are rounded down. Per-market figures for all ${formatCount(summary.marketsReported)} markets are in the attached CSV.<br>
Generated ${escapeHtml(dateTime(options.generatedAt))} UTC.
</td></tr>
</table>
</td></tr></table>
</body></html>
`;
}
