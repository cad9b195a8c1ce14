/** Audit results kept as `audit-YYYY-MM-DD.json` beside the reports, read back by the report. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dayString } from '../dumps/paths';
import { DAY_MS } from '../interval';
import type { TimeRange } from '../store/port';
import type { AuditResult } from './run';

export function auditFileName(day: string): string {
  return `audit-${day}.json`;
}

/** The audits of the whole UTC days in `range` found in `dir` (days without one are skipped). */
export async function readAudits(dir: string, range: TimeRange): Promise<AuditResult[]> {
  const out: AuditResult[] = [];
  for (let d = Math.ceil(range.from / DAY_MS) * DAY_MS; d + DAY_MS <= range.to; d += DAY_MS) {
    let text: string;
    try {
      text = await readFile(join(dir, auditFileName(dayString(d))), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const parsed = JSON.parse(text) as AuditResult;
    if (parsed?.day !== dayString(d) || !Array.isArray(parsed.markets) || typeof parsed.totals !== 'object') throw new Error(`${auditFileName(dayString(d))}: not an audit result`);
    out.push(parsed);
  }
  return out;
}
