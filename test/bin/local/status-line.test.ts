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
});
