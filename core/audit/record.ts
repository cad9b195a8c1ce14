/** An audit result as the store keeps it: JSON text, checked on the way back. */
import { dayString } from '../dumps/paths';
import { DAY_MS } from '../interval';
import type { TimeRange } from '../store/port';
import type { AuditResult } from './run';

export function auditText(result: AuditResult): string {
  return JSON.stringify(result);
}

/** Parse a kept audit; `where` names it in the error when the text is not an audit of `day`. */
export function parseAuditText(text: string, day: string, where: string): AuditResult {
  let parsed: AuditResult;
  try {
    parsed = JSON.parse(text) as AuditResult;
  } catch (err) {
    throw new Error(`${where}: not JSON (${(err as Error).message})`);
  }
  if (parsed?.day !== day || !Array.isArray(parsed.markets) || typeof parsed.totals !== 'object') throw new Error(`${where}: not an audit result of ${day}`);
  return parsed;
}

/** The UTC days (`YYYY-MM-DD`) that lie wholly in `range`, oldest first. */
export function auditDays(range: TimeRange): string[] {
  const out: string[] = [];
  for (let d = Math.ceil(range.from / DAY_MS) * DAY_MS; d + DAY_MS <= range.to; d += DAY_MS) out.push(dayString(d));
  return out;
}
