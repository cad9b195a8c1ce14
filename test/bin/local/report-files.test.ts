import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQualityReport } from '../../../core/report';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { lastReportedTo, missedWindows, writeReportFiles } from '../../../bin/local/report-files';

const HOUR = 3_600_000;
const T = Date.UTC(2026, 0, 5);

describe('local report files', () => {
  it('writes the HTML, the per-market CSV and the promised -gaps.csv, leaving no temporary file', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'kline-reports-'));
    const store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    await store.recordMarketStatus([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T }]);
    const report = await buildQualityReport(store, { from: T, to: T + HOUR });

    // Act
    const files = writeReportFiles(dir, report);

    // Assess
    expect(readdirSync(dir).sort()).toStrictEqual([`${report.fileBase}-gaps.csv`, `${report.fileBase}.csv`, `${report.fileBase}.html`]);
    expect(readFileSync(files.gapsCsv, 'utf8')).toBe(report.gapsCsv);
    expect(readFileSync(files.gapsCsv, 'utf8')).toContain('BTCUSDT');
    expect(readFileSync(files.html, 'utf8')).toBe(report.html);
    expect(lastReportedTo(dir)).toBe(T + HOUR);
    await store.close();
  });

  it('ignores an empty report left by a crash, so its window is reported again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-reports-'));
    writeFileSync(join(dir, 'quality-20260105T0000Z-20260105T0100Z.html'), 'x');
    writeFileSync(join(dir, 'quality-20260105T0100Z-20260105T0200Z.html'), '');
    writeFileSync(join(dir, 'notes.html'), 'x');
    expect(lastReportedTo(dir)).toBe(T + HOUR);
    expect(lastReportedTo(join(dir, 'absent'))).toBeUndefined();
  });

  it('lists the windows missed between the last report and the first one of this run', () => {
    expect(missedWindows(T + HOUR, T + 4 * HOUR, HOUR)).toStrictEqual([
      { from: T + HOUR, to: T + 2 * HOUR },
      { from: T + 2 * HOUR, to: T + 3 * HOUR },
    ]);
    expect(missedWindows(undefined, T + 4 * HOUR, HOUR)).toStrictEqual([]);
    expect(missedWindows(T + 3 * HOUR, T + 4 * HOUR, HOUR)).toStrictEqual([]);
    expect(missedWindows(T, T + 100 * HOUR, HOUR, 24)).toHaveLength(24);
  });
});
