/**
 * Report files of the local pipeline: written atomically (temp file, fsync, rename) so a crash
 * never leaves a truncated report, and read back at start to find the windows a stopped or
 * crashed run never reported.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { QualityReport } from '../../core/report';

export interface ReportFiles {
  html: string;
  csv: string;
  gapsCsv: string;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Write the HTML, the per-market CSV and the gaps CSV; the HTML last, so it marks a complete set. */
export function writeReportFiles(dir: string, report: QualityReport): ReportFiles {
  const files = { html: join(dir, `${report.fileBase}.html`), csv: join(dir, `${report.fileBase}.csv`), gapsCsv: join(dir, `${report.fileBase}-gaps.csv`) };
  writeAtomic(files.csv, report.csv);
  writeAtomic(files.gapsCsv, report.gapsCsv);
  writeAtomic(files.html, report.html);
  return files;
}

const REPORT_NAME = /^quality-(\d{8}T\d{4}Z)-(\d{8}T\d{4}Z)\.html$/;

function parseCompact(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) : NaN;
}

/** The latest end of a complete (non-empty) report in `dir`, or undefined when there is none. */
export function lastReportedTo(dir: string): number | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  let last: number | undefined;
  for (const name of names) {
    const m = REPORT_NAME.exec(name);
    if (!m) continue;
    const to = parseCompact(m[2]);
    if (!Number.isFinite(to) || statSync(join(dir, name)).size === 0) continue;
    if (last === undefined || to > last) last = to;
  }
  return last;
}

/**
 * The report windows missed between the last report and the first one this run schedules:
 * one window of `everyMs` per boundary in (lastTo, firstTo), at most `max` (the most recent).
 */
export function missedWindows(lastTo: number | undefined, firstTo: number, everyMs: number, max = 24): { from: number; to: number }[] {
  if (lastTo === undefined) return [];
  const out: { from: number; to: number }[] = [];
  for (let to = Math.ceil((lastTo + 1) / everyMs) * everyMs; to < firstTo; to += everyMs) out.push({ from: Math.max(lastTo, to - everyMs), to });
  return out.slice(-max);
}
