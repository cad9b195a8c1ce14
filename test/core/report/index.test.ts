import { StoreUnavailableError } from '../../../core/errors';
import type { Kline } from '../../../core/kline';
import { buildQualityReport } from '../../../core/report';
import { rebuildRange } from '../../../core/resample-job';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import type { KlineStore } from '../../../core/store/port';
import { makeKline, MINUTE, T0 } from '../store/fixtures';

const t = (h: number, m = 0, s = 0): number => T0 + h * 3_600_000 + m * MINUTE + s * 1000;
const WINDOW = { from: t(0), to: t(2) };
const LONG_AGO = Date.UTC(2023, 0, 1);

/** 1m klines of `symbol` for every minute in [from, to) except those in `skip`. */
function minutes(symbol: string, from: number, to: number, skip: { from: number; to: number }[] = []): Kline[] {
  const out: Kline[] = [];
  for (let m = from; m < to; m += MINUTE) if (!skip.some((s) => m >= s.from && m < s.to)) out.push(makeKline(symbol, m));
  return out;
}

/**
 * A: trading all along, 00:30–00:33 missing (117 of 120).
 * B: first seen TRADING 01:00:30, stored from 01:00 (59 expected, 60 stored).
 * C: in BREAK, 5 klines stored anyway (captured, not expected).
 * D: no status history, stored 00:10–01:50 (expected from 00:10 to the end: 110, 100 present).
 * E: delisted before the window, no data (not in the report).
 */
async function seededStore(): Promise<KlineStore> {
  const store = new SqliteKlineStore(':memory:');
  await store.applySchema();
  await store.recordMarketStatus([
    { marketType: 'spot', symbol: 'AUSDT', status: 'TRADING', at: LONG_AGO },
    { marketType: 'spot', symbol: 'BUSDT', status: 'TRADING', at: t(1, 0, 30) },
    { marketType: 'spot', symbol: 'CUSDT', status: 'BREAK', at: LONG_AGO },
    { marketType: 'spot', symbol: 'EUSDT', status: 'TRADING', at: LONG_AGO },
    { marketType: 'spot', symbol: 'EUSDT', status: 'DELISTED', at: LONG_AGO + 86_400_000 },
  ]);
  const klines = [
    ...minutes('AUSDT', t(0), t(2), [{ from: t(0, 30), to: t(0, 33) }]),
    ...minutes('BUSDT', t(1), t(2)),
    ...minutes('CUSDT', t(0), t(0, 5)),
    ...minutes('DUSDT', t(0, 10), t(1, 50)),
    ...minutes('AUSDT', t(2), t(3)), // after the window: ignored
  ];
  const result = await store.upsert('1m', klines);
  expect(result.failures).toEqual([]);
  return store;
}

describe('buildQualityReport', () => {
  let store: KlineStore;
  beforeEach(async () => {
    store = await seededStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('computes the figures from the stored klines and the status history', async () => {
    // Act
    const report = await buildQualityReport(store, WINDOW, { generatedAt: t(2, 5) });
    // Assess
    expect(report.summary).toMatchObject({
      range: WINDOW,
      marketsReported: 4,
      marketsCaptured: 4,
      marketsExpected: 3,
      datapointsCaptured: 282,
      datapointsExpected: 289,
      datapointsPresent: 276,
      datapointsUnexpected: 6,
      missingMinutes: 13,
      gapCount: 2,
    });
    expect(report.markets.map((m) => [m.symbol, m.expected, m.present, m.expectation])).toEqual([
      ['DUSDT', 110, 100, 'first-kline'],
      ['AUSDT', 120, 117, 'status-history'],
      ['BUSDT', 59, 59, 'status-history'],
      ['CUSDT', 0, 0, 'status-history'],
    ]);
    expect(report.markets[0].gaps).toEqual([{ from: t(1, 50), to: t(2) }]);
  });

  it('renders the summary line, subject, CSV and HTML', async () => {
    const report = await buildQualityReport(store, WINDOW, { generatedAt: t(2, 5) });
    expect(report.summaryLine).toBe('2024-03-01T00:00Z–2024-03-01T02:00Z: 4 markets, 276 of 289 datapoints (95.50 %), 2 gaps');
    expect(report.subject).toBe('Kline data quality 2024-03-01T00:00Z–2024-03-01T02:00Z: 95.50 % available, 2 gaps');
    expect(report.fileBase).toBe('quality-20240301T0000Z-20240301T0200Z');
    expect(report.csv.split('\r\n').filter(Boolean)).toHaveLength(5);
    expect(report.gapsCsv.split('\r\n').filter(Boolean)).toEqual([
      'market_type,symbol,from,until,minutes',
      'spot,DUSDT,2024-03-01T01:50:00Z,2024-03-01T02:00:00Z,10',
      'spot,AUSDT,2024-03-01T00:30:00Z,2024-03-01T00:33:00Z,3',
    ]);
    expect(report.html).toContain('95.50&nbsp;%');
    expect(report.html).toContain('276 of 289 minutes');
  });

  it('asks the store for the gaps of reported markets only', async () => {
    // Prepare
    const asked: string[][] = [];
    const spy: KlineStore = Object.create(store);
    spy.gaps = (marketType, interval, range, symbols) => {
      asked.push([...symbols]);
      return store.gaps(marketType, interval, range, symbols);
    };
    // Act
    await buildQualityReport(spy, WINDOW);
    // Assess
    expect(asked).toEqual([['AUSDT', 'BUSDT', 'CUSDT', 'DUSDT']]);
  });

  describe('with 1h bars (bounded reads)', () => {
    it('gives the same figures, reading minutes only for hours that are expected and incomplete', async () => {
      // Prepare: bars for both hours; A lacks 3 minutes at 00:30, B starts 01:00:30, D has no history.
      const fromMinutes = await buildQualityReport(store, WINDOW, { generatedAt: t(2, 5) });
      await rebuildRange(store, WINDOW, t(3));
      const asked: [number, number, string[]][] = [];
      const counted: number[][] = [];
      const spy: KlineStore = Object.create(store);
      spy.gaps = (marketType, interval, range, symbols) => {
        asked.push([range.from, range.to, [...symbols]]);
        return store.gaps(marketType, interval, range, symbols);
      };
      spy.countByMarket = (marketType, interval, range) => {
        counted.push([range.from, range.to]);
        return store.countByMarket(marketType, interval, range);
      };

      // Act
      const fromBars = await buildQualityReport(spy, WINDOW, { generatedAt: t(2, 5) });

      // Assess: A's 00:00 hour (57 of 60), B's 01:00 hour (expected from 01:01; its bar is full, so no read),
      // D's hours from its first bar (10 and 50 minutes); C's 00:00 hour is not expected.
      expect(fromBars.summary).toStrictEqual(fromMinutes.summary);
      expect(fromBars.csv).toBe(fromMinutes.csv);
      expect(counted).toStrictEqual([]);
      expect(asked.sort((a, b) => a[0] - b[0])).toStrictEqual([
        [t(0), t(1), ['AUSDT']],
        [t(0), t(2), ['DUSDT']],
      ]);
    });

    it('reads minutes of the hours no bar exists for yet, for every market with data or expected there', async () => {
      // Prepare: only the first hour is resampled.
      const fromMinutes = await buildQualityReport(store, WINDOW, { generatedAt: t(2, 5) });
      await rebuildRange(store, { from: t(0), to: t(1) }, t(1, 5));
      const asked: [number, number, string[]][] = [];
      const spy: KlineStore = Object.create(store);
      spy.gaps = (marketType, interval, range, symbols) => {
        asked.push([range.from, range.to, [...symbols]]);
        return store.gaps(marketType, interval, range, symbols);
      };

      // Act
      const report = await buildQualityReport(spy, WINDOW, { generatedAt: t(2, 5) });

      // Assess
      expect(report.summary).toStrictEqual(fromMinutes.summary);
      const coveringSecondHour = asked.filter(([from, to]) => from <= t(1) && to >= t(2)).flatMap(([, , symbols]) => symbols);
      expect(coveringSecondHour.sort()).toStrictEqual(['AUSDT', 'BUSDT', 'DUSDT']);
    });
  });

  it('reports an empty window without asking for counts or gaps', async () => {
    const spy: KlineStore = Object.create(store);
    spy.gaps = () => Promise.reject(new Error('gaps asked'));
    spy.countByMarket = () => Promise.reject(new Error('counts asked'));
    const report = await buildQualityReport(spy, { from: t(1), to: t(1) });
    expect(report.summary).toMatchObject({ marketsReported: 0, datapointsExpected: 0, availability: null });
  });

  it('passes a store outage to the caller', async () => {
    const broken: KlineStore = Object.create(store);
    broken.countByMarket = () => Promise.reject(new StoreUnavailableError('count klines_1m: database is locked'));
    await expect(buildQualityReport(broken, WINDOW)).rejects.toThrow(StoreUnavailableError);
  });
});

describe('buildQualityReport with several market types', () => {
  let store: KlineStore;
  beforeEach(async () => {
    // AUSDT spot: complete; AUSDT USDⓈ-M: 00:30–00:40 missing; nothing COIN-M.
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    await store.recordMarketStatus([
      { marketType: 'spot', symbol: 'AUSDT', status: 'TRADING', at: LONG_AGO },
      { marketType: 'usdm', symbol: 'AUSDT', status: 'TRADING', at: LONG_AGO },
    ]);
    const usdm = minutes('AUSDT', t(0), t(2), [{ from: t(0, 30), to: t(0, 40) }]).map((k) => ({ ...k, marketType: 'usdm' as const }));
    expect((await store.upsert('1m', [...minutes('AUSDT', t(0), t(2)), ...usdm])).failures).toEqual([]);
  });
  afterEach(async () => {
    await store.close();
  });

  it('gives each type with history its own section, never mixing the same symbol, and adds them up in the summary', async () => {
    // Act
    const report = await buildQualityReport(store, WINDOW, { generatedAt: t(2, 5) });

    // Assess
    expect(report.sections.map((s) => [s.marketType, s.summary.datapointsPresent, s.summary.missingMinutes])).toStrictEqual([
      ['spot', 120, 0],
      ['usdm', 110, 10],
    ]);
    expect(report.summary).toMatchObject({ marketsReported: 2, datapointsExpected: 240, datapointsPresent: 230, gapCount: 1 });
    expect(report.csv.split('\r\n').filter(Boolean).map((r) => r.split(',').slice(0, 4))).toStrictEqual([
      ['market_type', 'symbol', 'expected_minutes', 'captured'],
      ['spot', 'AUSDT', '120', '120'],
      ['usdm', 'AUSDT', '120', '110'],
    ]);
    expect(report.gapsCsv.split('\r\n').filter(Boolean)).toStrictEqual([
      'market_type,symbol,from,until,minutes',
      'usdm,AUSDT,2024-03-01T00:30:00Z,2024-03-01T00:40:00Z,10',
    ]);
    expect(report.html).toContain('Binance spot, USDⓈ-M futures · 1m klines');
    expect(report.html.indexOf('>Spot<')).toBeGreaterThan(0);
    expect(report.html.indexOf('>USDⓈ-M futures<')).toBeGreaterThan(report.html.indexOf('>Spot<'));
    expect(report.html).not.toContain('COIN-M');
  });

  it('counts every section’s captured klines by source (stream, REST, dump) and adds them up', async () => {
    // Re-store some minutes as backfilled: spot 00:05–00:08 from REST, usdm 01:00–01:10 from a dump; one REST minute after the window.
    const spotRest = minutes('AUSDT', t(0, 5), t(0, 8)).map((k) => ({ ...k, source: 'rest' as const }));
    const usdmDump = minutes('AUSDT', t(1), t(1, 10)).map((k) => ({ ...k, marketType: 'usdm' as const, source: 'dump' as const }));
    const after = minutes('AUSDT', t(2), t(2, 1)).map((k) => ({ ...k, source: 'rest' as const }));
    expect((await store.upsert('1m', [...spotRest, ...usdmDump, ...after])).failures).toEqual([]);

    const report = await buildQualityReport(store, WINDOW, { generatedAt: t(2, 5) });

    expect(report.sections.map((s) => [s.marketType, s.summary.bySource])).toStrictEqual([
      ['spot', { stream: 117, rest: 3, dump: 0 }],
      ['usdm', { stream: 100, rest: 0, dump: 10 }],
    ]);
    expect(report.summary.bySource).toStrictEqual({ stream: 217, rest: 3, dump: 10 });
    expect(report.html).toContain('stream 117 · REST 3 · dump 0');
    expect(report.html).toContain('stream 100 · REST 0 · dump 10');
  });

  it('a store without the provenance index fails the report, naming the migration', async () => {
    const broken: KlineStore = Object.create(store);
    broken.countBySource = () => Promise.reject(new StoreUnavailableError('SQLite store x: no such index: klines_1m_source (run `npm run cli -- store migrate --store sqlite:x`)'));
    await expect(buildQualityReport(broken, WINDOW)).rejects.toThrow(/store migrate/);
  });

  it('reports only the types asked for', async () => {
    const report = await buildQualityReport(store, WINDOW, { marketTypes: ['usdm'] });

    expect(report.sections.map((s) => s.marketType)).toStrictEqual(['usdm']);
    expect(report.summary).toMatchObject({ datapointsExpected: 120, datapointsPresent: 110 });
    expect(report.html).not.toContain('>Spot<');
  });
});
