import { formatStatusLine } from '../../../bin/local/status-line';

describe('formatStatusLine', () => {
  const base = {
    markets: 300, connections: 1, storedLastMinute: 299, lagMs: 420, gapsFound: 3, gapsFilled: 2,
    nextReportAt: Date.UTC(2025, 0, 1, 0, 15), exchangeNow: Date.UTC(2025, 0, 1, 0, 7), storedTotal: 12345,
  };

  it('shows markets, connections, throughput, lag, gaps and the next report', () => {
    expect(formatStatusLine(base)).toBe(
      '00:07Z │ markets 300 │ connections 1 │ stored 12,345 (299/min) │ lag 420 ms │ gaps 2/3 filled │ next report 00:15Z',
    );
  });

  it('shows seconds for long lags and a dash before the first kline', () => {
    expect(formatStatusLine({ ...base, lagMs: 2500 })).toContain('lag 2.5 s');
    // Capture hours behind the exchange shows as such, not as the store's sub-second latency.
    expect(formatStatusLine({ ...base, lagMs: 5 * 3_600_000 })).toContain('lag 5.0 h');
    expect(formatStatusLine({ ...base, lagMs: 600_000 })).toContain('lag 10.0 min');
    expect(formatStatusLine({ ...base, lagMs: undefined, nextReportAt: undefined })).toMatch(/lag – .*next report –$/);
  });

  it('shows each market type compactly: markets and the capture lag per type, a failed venue with its reason', () => {
    const types = [
      { marketType: 'spot' as const, state: 'running' as const, markets: 300, lagMs: 420 },
      { marketType: 'usdm' as const, state: 'running' as const, markets: 100, lagMs: 3 * 3_600_000 },
      { marketType: 'coinm' as const, state: 'failed' as const, markets: 0, lagMs: undefined, error: 'HTTP 451 from http://user:pw@127.0.0.1:9' },
      { marketType: 'usdm' as const, state: 'failed' as const, markets: 0, lagMs: undefined, error: `refused: ${'x'.repeat(80)}` },
    ];
    const line = formatStatusLine({ ...base, types });
    expect(line).toBe(
      `00:07Z │ spot 300 lag 420 ms · usdm 100 lag 3.0 h · coinm FAILED (HTTP 451 from http://***@127.0.0.1:9) · usdm FAILED (refused: ${'x'.repeat(48)}…) │ connections 1 │ stored 12,345 (299/min) │ gaps 2/3 filled │ next report 00:15Z`,
    );
    // The totals' own "markets"/"lag" give way to the per-type figures, and no credential is shown.
    expect(line).not.toMatch(/markets 300|│ lag /);
    expect(line).not.toContain('pw@');
  });
});
