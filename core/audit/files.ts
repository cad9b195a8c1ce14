/** Audit results kept as `audit-YYYY-MM-DD.json` beside the reports, read back by the report. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TimeRange } from '../store/port';
import { auditDays, parseAuditText } from './record';
import type { AuditResult } from './run';

export function auditFileName(day: string): string {
  return `audit-${day}.json`;
}

/** The audits of the whole UTC days in `range` found in `dir` (days without one are skipped). */
export async function readAudits(dir: string, range: TimeRange): Promise<AuditResult[]> {
  const out: AuditResult[] = [];
  for (const day of auditDays(range)) {
    let text: string;
    try {
      text = await readFile(join(dir, auditFileName(day)), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    out.push(parseAuditText(text, day, auditFileName(day)));
  }
  return out;
}
