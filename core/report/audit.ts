/**
 * The audit's part of the quality report: per audited day, "verified against Binance's dump:
 * N of M minutes equal", the share of what Binance produced that we captured (before and after
 * repair), every missing minute by class, and the differing minutes with both values.
 */
import { gapMinutes } from '../audit/gaps';
import { auditHeadline, restLine, type AuditResult } from '../audit/run';
import { marketKey } from '../market';
import { csvRow } from './csv';
import { escapeHtml } from './html';
import { formatCount, formatPercent } from './format';

const MUTED = '#64748b';
const LINE = '#e2e8f0';

export const AUDIT_CSV_HEADER = ['day', 'market_type', 'symbol', 'open_time', 'field', 'ours', 'binance'] as const;

/** One row per differing field of a differing minute (the report's attachment). */
export function auditDifferencesCsv(audits: readonly AuditResult[]): string {
  const rows = [csvRow(AUDIT_CSV_HEADER)];
  for (const a of audits) {
    for (const m of a.markets) {
      for (const d of m.differing) {
        for (const f of d.fields) rows.push(csvRow([a.day, m.market.marketType, m.market.symbol, new Date(d.openTime).toISOString(), f, String(d.ours[f]), String(d.theirs[f])]));
      }
    }
  }
  return `${rows.join('\r\n')}\r\n`;
}

export function auditSummaryLines(audits: readonly AuditResult[]): string[] {
  return audits.map(auditHeadline);
}

const td = (text: string, align = 'left') => `<td style="padding:4px 6px;border-bottom:1px solid ${LINE};text-align:${align};font-size:12px;">${text}</td>`;

/** The HTML section (table markup, inline styles, as the rest of the e-mail). */
export function auditHtml(audits: readonly AuditResult[], maxRows = 25): string {
  if (audits.length === 0) return '';
  const blocks = audits.map((a) => {
    const t = a.totals;
    const captured = t.exchangeMinutes - t.missingOurs;
    const stillMissing = t.missingOurs - t.repaired;
    const classes = [
      ['Capture loss, repaired from the dump', t.repaired],
      ['Capture loss, still missing', stillMissing],
      ['No kline at the exchange (halt, maintenance)', t.gapMinutes['no-kline-at-exchange']],
      ['Outside the market’s life', t.gapMinutes['outside-life']],
    ] as const;
    const unverified = a.markets.flatMap((m) => m.gaps).reduce((n, g) => n + (g.unverified ? gapMinutes([g])['no-kline-at-exchange'] : 0), 0);
    const diffs = a.markets.flatMap((m) => m.differing.map((d) => ({ m, d })));
    const diffRows = diffs
      .slice(0, maxRows)
      .map(({ m, d }) => `<tr>${td(escapeHtml(marketKey(m.market)))}${td(new Date(d.openTime).toISOString().slice(11, 16))}${td(escapeHtml(d.fields.map((f) => `${f}: ${String(d.ours[f])} → ${String(d.theirs[f])}`).join('; ')))}</tr>`)
      .join('\n');
    const pct = (x: number) => (t.exchangeMinutes === 0 ? '–' : `${formatPercent(x, t.exchangeMinutes)} %`);
    return `<div style="font-size:14px;margin:0 0 6px 0;"><b>${escapeHtml(a.day)}</b>: verified against Binance’s dump: <b>${formatCount(t.equal)} of ${formatCount(t.exchangeMinutes)}</b> minutes equal; ${pct(captured)} of what Binance produced was captured, ${pct(captured + t.repaired)} after repair.</div>
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 8px 0;">
${classes.map(([label, n]) => `<tr>${td(escapeHtml(label))}${td(`${formatCount(n)} min`, 'right')}</tr>`).join('\n')}
<tr>${td('Differing minutes (kept as captured)')}${td(formatCount(t.differing), 'right')}</tr>
<tr>${td('Minutes we have and Binance’s dump has not')}${td(formatCount(t.missingTheirs), 'right')}</tr>${
      t.rest === undefined ? '' : `\n<tr>${td(escapeHtml(`${restLine(t.rest)}; exchange gaps not confirmed by REST`))}${td(`${formatCount(unverified)} min`, 'right')}</tr>`
    }${
      t.bySource === undefined
        ? ''
        : `\n<tr>${td('Our minutes by source (before repair): stream, REST backfill, dump')}${td(`${formatCount(t.bySource.stream)} · ${formatCount(t.bySource.rest)} · ${formatCount(t.bySource.dump)}`, 'right')}</tr>`
    }
</table>${
      diffs.length === 0
        ? ''
        : `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
<tr>${td('<b>Market</b>')}${td('<b>Minute</b>')}${td('<b>Ours → Binance</b>')}</tr>
${diffRows}
</table>${diffs.length > maxRows ? `<div style="font-size:12px;color:${MUTED};">and ${formatCount(diffs.length - maxRows)} more in the attached audit CSV</div>` : ''}`
    }`;
  });
  return `<tr><td class="kq-pad" style="padding:28px 24px 0 24px;">
<div style="font-size:16px;font-weight:700;margin:0 0 2px 0;">Audit against Binance’s dump</div>
<div style="font-size:13px;color:${MUTED};margin:0 0 12px 0;">Every minute compared with data.binance.vision; missing minutes classified. Percentages are of what the exchange produced.</div>
${blocks.join('\n')}
</td></tr>`;
}
