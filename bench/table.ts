/**
 * Tables for the benchmark output: aligned plain text for the terminal and Markdown for
 * bench/RESULTS.md, from the same rows. Pure functions.
 */

export type Align = 'left' | 'right';

export interface Table {
  title: string;
  headers: string[];
  /** Per column; default left for the first column, right for the others. */
  align?: Align[];
  rows: string[][];
  /** Lines printed under the table. */
  notes?: string[];
}

export type Verdict = 'PASS' | 'MISS' | 'info';

export function verdict(ok: boolean): Verdict {
  return ok ? 'PASS' : 'MISS';
}

function alignments(t: Table): Align[] {
  return t.headers.map((_, i) => t.align?.[i] ?? (i === 0 ? 'left' : 'right'));
}

/** Display width: code points (the tables hold ≥, ×, µ, → which are one column each). */
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'left' ? s + fill : fill + s;
}

export function formatText(t: Table): string {
  const align = alignments(t);
  const widths = t.headers.map((h, i) => Math.max(width(h), ...t.rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => pad(c ?? '', widths[i], align[i]))
      .join('  ')
      .trimEnd();
  const out = [t.title, line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)];
  for (const n of t.notes ?? []) out.push(`  ${n}`);
  return out.join('\n');
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function formatMarkdown(t: Table, level = 3): string {
  const align = alignments(t);
  const out = [`${'#'.repeat(level)} ${t.title}`, '', `| ${t.headers.map(escapeCell).join(' | ')} |`, `|${align.map((a) => (a === 'right' ? '---:' : '---')).join('|')}|`];
  for (const r of t.rows) out.push(`| ${t.headers.map((_, i) => escapeCell(r[i] ?? '')).join(' | ')} |`);
  if (t.notes && t.notes.length > 0) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

/** Thousands separators, fixed fraction digits. */
export function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '–';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
