import { ConfigError } from '../../../core/errors';
import { DEFAULT_EXPORT_INTERVALS, parseExportRequest, readBucketExportConfig } from '../../../core/export/bucket-request';
import { bucketKey, daysBetween, dayStart, previousDay } from '../../../core/export/to-bucket';

const NOW = Date.UTC(2026, 11, 2, 0, 45); // 2026-12-02 00:45 UTC

describe('exporter requests', () => {
  it('a scheduled event (or no event) asks for the previous UTC day', () => {
    expect(parseExportRequest({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, NOW)).toEqual({ mode: 'scheduled', days: ['2026-12-01'], overwrite: false });
    expect(parseExportRequest(undefined, NOW).days).toEqual(['2026-12-01']);
    // one millisecond before midnight, the previous day is still the one before
    expect(parseExportRequest({}, Date.UTC(2026, 11, 2) - 1).days).toEqual(['2026-11-30']);
    // catching up: the last N whole days, oldest first, across a year end
    expect(parseExportRequest({}, Date.UTC(2026, 0, 2, 0, 45), 3).days).toEqual(['2025-12-30', '2025-12-31', '2026-01-01']);
  });

  it('on demand: one date or a range of days, both ends included, across a month end', () => {
    expect(parseExportRequest({ date: '2026-02-28', overwrite: true }, NOW)).toEqual({ mode: 'on-demand', days: ['2026-02-28'], overwrite: true });
    expect(parseExportRequest({ from: '2026-11-29', to: '2026-12-01' }, NOW).days).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
  });

  it.each([
    [{ date: '2026-12-02' }, /2026-12-02 has not ended yet \(UTC\); the last whole day is 2026-12-01/],
    [{ date: '2026-02-29' }, /"date" must be a UTC day YYYY-MM-DD, got "2026-02-29"/],
    [{ date: 20261201 }, /"date" must be a UTC day/],
    [{ from: '2026-11-01' }, /give both "from" and "to"/],
    [{ from: '2026-11-03', to: '2026-11-01' }, /"to" \(2026-11-01\) is before "from" \(2026-11-03\)/],
    [{ date: '2026-11-01', from: '2026-11-01', to: '2026-11-02' }, /not both/],
    [{ from: '2024-01-01', to: '2026-01-01' }, /732 days asked; at most 366/],
    [{ date: '2026-11-01', overwrite: 'yes' }, /"overwrite" must be true or false/],
  ])('refuses %j, saying what to send', (event, message) => {
    expect(() => parseExportRequest(event, NOW)).toThrow(message);
  });
});

describe('exporter settings', () => {
  it('defaults: the stored intervals a day holds whole, spot, klines/ prefix', () => {
    expect(readBucketExportConfig({ EXPORT_BUCKET: 'b' })).toEqual({
      bucket: 'b',
      prefix: 'klines/',
      marketTypes: ['spot'],
      intervals: [...DEFAULT_EXPORT_INTERVALS],
      marketsPerBatch: 100,
      stopMarginMs: 180_000,
      catchUpDays: 3,
    });
    expect(readBucketExportConfig({ EXPORT_BUCKET: 'b', EXPORT_MARKET_TYPES: 'usdm,coinm', EXPORT_INTERVALS: '1h, 3m', EXPORT_PREFIX: '' })).toMatchObject({
      prefix: '',
      marketTypes: ['usdm', 'coinm'],
      intervals: ['1h', '3m'],
    });
  });

  it.each([
    [{}, 'EXPORT_BUCKET'],
    [{ EXPORT_BUCKET: 'b', EXPORT_PREFIX: 'klines' }, 'EXPORT_PREFIX'],
    [{ EXPORT_BUCKET: 'b', EXPORT_PREFIX: '/klines/' }, 'EXPORT_PREFIX'],
    [{ EXPORT_BUCKET: 'b', EXPORT_MARKET_TYPES: 'spot,futures' }, 'EXPORT_MARKET_TYPES'],
    [{ EXPORT_BUCKET: 'b', EXPORT_INTERVALS: '1m,7m' }, 'EXPORT_INTERVALS'],
    [{ EXPORT_BUCKET: 'b', EXPORT_STOP_MARGIN_SECONDS: '-1' }, 'EXPORT_STOP_MARGIN_SECONDS'],
    [{ EXPORT_BUCKET: 'b', EXPORT_CATCH_UP_DAYS: '0' }, 'EXPORT_CATCH_UP_DAYS'],
  ])('refuses %j naming %s', (env, setting) => {
    let thrown: unknown;
    try {
      readBucketExportConfig(env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain(setting);
  });
});

describe('day arithmetic and keys', () => {
  it('days are UTC midnights; keys are the hive keys of `export --format parquet` under the prefix', () => {
    expect(dayStart('2026-12-01')).toBe(Date.UTC(2026, 11, 1));
    expect(() => dayStart('2026-12-1')).toThrow(/not a date/);
    expect(previousDay(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe('2025-12-31');
    expect(daysBetween('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(bucketKey('klines/', 'usdm', '1h', '2026-12-01')).toBe('klines/market_type=usdm/interval=1h/date=2026-12-01/klines.parquet');
  });
});
