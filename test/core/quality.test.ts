import type { MarketStatus, MarketStatusEvent } from '../../core/market';
import type { TimeRange } from '../../core/store/port';
import {
  alignToMinutes,
  computeQuality,
  expectedPeriods,
  intersectRanges,
  normalizeRanges,
  subtractRanges,
  type MarketQuality,
  type QualityInput,
} from '../../core/quality';

const MIN = 60_000;
const DAY: TimeRange = { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) };
/** Time of day on DAY. */
const t = (h: number, m = 0, s = 0): number => DAY.from + h * 3_600_000 + m * MIN + s * 1000;
const LONG_AGO = Date.UTC(2023, 0, 1);

const ev = (symbol: string, status: MarketStatus, at: number): MarketStatusEvent => ({ marketType: 'spot', symbol, status, at });

/**
 * What a store reports for a market whose stored minutes are `stored` (half-open ranges of open
 * times): the count in the window and the gaps, computed minute by minute (independent of the
 * range helpers under test).
 */
function storeView(window: TimeRange, data: Record<string, TimeRange[]>): Pick<QualityInput, 'counts' | 'gaps'> {
  const counts = new Map<string, number>();
  const gaps = new Map<string, TimeRange[]>();
  for (const [symbol, ranges] of Object.entries(data)) {
    const has = (m: number): boolean => ranges.some((r) => m >= r.from && m < r.to);
    let n = 0;
    const list: TimeRange[] = [];
    for (let m = window.from; m < window.to; m += MIN) {
      if (has(m)) n++;
      else if (list.length > 0 && list[list.length - 1].to === m) list[list.length - 1].to = m + MIN;
      else list.push({ from: m, to: m + MIN });
    }
    if (n > 0) counts.set(symbol, n);
    gaps.set(symbol, list);
  }
  return { counts, gaps };
}

function quality(history: MarketStatusEvent[], data: Record<string, TimeRange[]>, window: TimeRange = DAY) {
  return computeQuality({ marketType: 'spot', range: window, history, ...storeView(alignToMinutes(window), data) });
}

function market(markets: MarketQuality[], symbol: string): MarketQuality {
  const m = markets.find((x) => x.symbol === symbol);
  if (!m) throw new Error(`${symbol} not in report`);
  return m;
}

describe('computeQuality', () => {
  it('counts a market trading all day with every minute stored as complete', () => {
    // Prepare
    const history = [ev('BTCUSDT', 'TRADING', LONG_AGO)];
    // Act
    const { summary, markets } = quality(history, { BTCUSDT: [DAY] });
    // Assess
    expect(market(markets, 'BTCUSDT')).toMatchObject({ expected: 1440, captured: 1440, present: 1440, missing: 0, availability: 1, gaps: [] });
    expect(summary).toMatchObject({ marketsCaptured: 1, marketsExpected: 1, marketsComplete: 1, datapointsExpected: 1440, gapCount: 0, availability: 1 });
  });

  it('expects a market listed mid-window from the first full minute after it was first seen', () => {
    // Prepare: first seen TRADING at 10:00:20, so 10:01 is its first expected minute; the 10:00
    // minute was stored anyway (captured, not expected).
    const history = [ev('NEWUSDT', 'TRADING', t(10, 0, 20))];
    // Act
    const { summary, markets } = quality(history, { NEWUSDT: [{ from: t(10), to: DAY.to }] });
    // Assess: 14 h minus one minute
    const m = market(markets, 'NEWUSDT');
    expect(m).toMatchObject({ expected: 839, captured: 840, present: 839, missing: 0, availability: 1, gaps: [] });
    expect(m.hours[9]).toMatchObject({ expected: 0, present: 0 });
    expect(m.hours[10]).toMatchObject({ expected: 59, present: 59 });
    expect(summary.datapointsUnexpected).toBe(1);
  });

  it('reports a listed market whose first minutes are missing as a gap from its first expected minute', () => {
    const history = [ev('NEWUSDT', 'TRADING', t(10, 20))];
    const { markets } = quality(history, { NEWUSDT: [{ from: t(10, 25), to: DAY.to }] });
    const m = market(markets, 'NEWUSDT');
    expect(m.gaps).toEqual([{ from: t(10, 20), to: t(10, 25) }]);
    expect(m).toMatchObject({ expected: 820, present: 815, missing: 5, largestGapMinutes: 5 });
    expect(m.hours[10]).toEqual({ start: t(10), expected: 40, present: 35 });
  });

  it('stops expecting minutes while a market is halted and counts only gaps in trading time', () => {
    // Prepare: halted at 12:00:30 (12:00 opened while trading, so it is expected), trading again
    // at 13:00:00; nothing stored 12:01–13:00, and 15:00–15:05 lost.
    const history = [ev('HALTUSDT', 'TRADING', LONG_AGO), ev('HALTUSDT', 'HALT', t(12, 0, 30)), ev('HALTUSDT', 'TRADING', t(13))];
    const stored = [{ from: DAY.from, to: t(12, 1) }, { from: t(13), to: t(15) }, { from: t(15, 5), to: DAY.to }];
    // Act
    const { markets, summary } = quality(history, { HALTUSDT: stored });
    // Assess: 12 h 1 min + 11 h expected, only 15:00–15:05 missing
    const m = market(markets, 'HALTUSDT');
    expect(m).toMatchObject({ expected: 1381, captured: 1376, present: 1376, missing: 5, gaps: [{ from: t(15), to: t(15, 5) }] });
    expect(m.availability).toBeCloseTo(1376 / 1381, 12);
    expect(m.hours[12]).toEqual({ start: t(12), expected: 1, present: 1 });
    expect(m.hours[15]).toEqual({ start: t(15), expected: 60, present: 55 });
    expect(summary.gapCount).toBe(1);
  });

  it('expects the minute in which a market stopped trading, since it opened while trading', () => {
    const history = [ev('A', 'TRADING', LONG_AGO), ev('A', 'BREAK', t(6, 30, 1))];
    expect(expectedPeriods(history, DAY).get('A')).toEqual([{ from: DAY.from, to: t(6, 31) }]);
  });

  it('stops expecting a delisted market at its break and does not count the silence after it', () => {
    const history = [ev('OLDBTC', 'TRADING', LONG_AGO), ev('OLDBTC', 'BREAK', t(18)), ev('OLDBTC', 'DELISTED', t(18, 30))];
    const { markets } = quality(history, { OLDBTC: [{ from: DAY.from, to: t(18) }] });
    expect(market(markets, 'OLDBTC')).toMatchObject({ expected: 1080, present: 1080, missing: 0, availability: 1, gaps: [] });
  });

  it('counts klines stored outside trading periods as captured, never as expected', () => {
    // Prepare: in BREAK all day, yet 10 klines stored; and a trading market with extra data before listing.
    const history = [ev('BRKUSDT', 'BREAK', LONG_AGO), ev('LATEUSDT', 'TRADING', t(12))];
    // Act
    const { markets, summary } = quality(history, { BRKUSDT: [{ from: t(1), to: t(1, 10) }], LATEUSDT: [DAY] });
    // Assess
    expect(market(markets, 'BRKUSDT')).toMatchObject({ expected: 0, captured: 10, present: 0, missing: 0, availability: null });
    expect(market(markets, 'LATEUSDT')).toMatchObject({ expected: 720, captured: 1440, present: 720, availability: 1 });
    expect(summary).toMatchObject({
      marketsCaptured: 2,
      marketsExpected: 1,
      datapointsCaptured: 1450,
      datapointsExpected: 720,
      datapointsPresent: 720,
      datapointsUnexpected: 730,
      availability: 1,
    });
  });

  it('reports every expected market of an empty store as entirely missing', () => {
    const history = [ev('AUSDT', 'TRADING', LONG_AGO), ev('BUSDT', 'TRADING', t(6))];
    const { markets, summary } = computeQuality({ marketType: 'spot', range: DAY, history, counts: new Map(), gaps: new Map([['AUSDT', [DAY]], ['BUSDT', [DAY]]]) });
    expect(market(markets, 'AUSDT')).toMatchObject({ expected: 1440, captured: 0, present: 0, missing: 1440, availability: 0, gaps: [DAY] });
    expect(market(markets, 'BUSDT')).toMatchObject({ expected: 1080, missing: 1080, gaps: [{ from: t(6), to: DAY.to }] });
    expect(summary).toMatchObject({ marketsReported: 2, marketsCaptured: 0, marketsExpected: 2, datapointsExpected: 2520, datapointsPresent: 0, missingMinutes: 2520, gapCount: 2, availability: 0 });
  });

  it('treats a missing gaps entry of a market without data as the whole window missing', () => {
    const history = [ev('AUSDT', 'TRADING', LONG_AGO)];
    const { markets } = computeQuality({ marketType: 'spot', range: DAY, history, counts: new Map(), gaps: new Map() });
    expect(market(markets, 'AUSDT')).toMatchObject({ missing: 1440, gaps: [DAY] });
  });

  it('reports nothing for an empty store with no history', () => {
    const { markets, summary } = computeQuality({ marketType: 'spot', range: DAY, history: [], counts: new Map(), gaps: new Map() });
    expect(markets).toEqual([]);
    expect(summary).toMatchObject({ marketsReported: 0, datapointsExpected: 0, availability: null, gapCount: 0 });
  });

  it('leaves out markets delisted before the window that have no data in it', () => {
    const history = [ev('GONEUSDT', 'TRADING', LONG_AGO), ev('GONEUSDT', 'DELISTED', LONG_AGO + 86_400_000), ev('BTCUSDT', 'TRADING', LONG_AGO)];
    const { markets } = quality(history, { BTCUSDT: [DAY] });
    expect(markets.map((m) => m.symbol)).toEqual(['BTCUSDT']);
  });

  it('expects a market without status history from its first stored minute to the window end', () => {
    // Prepare: imported data from 02:00, a 10-minute hole at 05:00, and nothing after 23:00.
    const stored = [{ from: t(2), to: t(5) }, { from: t(5, 10), to: t(23) }];
    // Act
    const { markets } = quality([], { DUMPUSDT: stored });
    // Assess
    const m = market(markets, 'DUMPUSDT');
    expect(m).toMatchObject({ expectation: 'first-kline', expected: 1320, captured: 1250, present: 1250, missing: 70 });
    expect(m.gaps).toEqual([{ from: t(5), to: t(5, 10) }, { from: t(23), to: DAY.to }]);
    expect(m.hours[1].expected).toBe(0);
  });

  it('never reports more than 100 % even when more klines are stored than expected', () => {
    const history = [ev('XUSDT', 'TRADING', t(23, 30))];
    const { markets, summary } = quality(history, { XUSDT: [DAY] });
    expect(market(markets, 'XUSDT')).toMatchObject({ expected: 30, captured: 1440, present: 30, availability: 1 });
    expect(summary.availability).toBe(1);
  });

  it('covers the minutes whose open time is in an unaligned window', () => {
    // Prepare: [00:00:30, 01:00:30) holds the minutes 00:01 … 01:00
    const window = { from: t(0, 0, 30), to: t(1, 0, 30) };
    const history = [ev('BTCUSDT', 'TRADING', LONG_AGO)];
    // Act
    const { summary, markets } = quality(history, { BTCUSDT: [{ from: DAY.from, to: t(0, 30) }] }, window);
    // Assess
    expect(summary.range).toEqual({ from: t(0, 1), to: t(1, 1) });
    const m = market(markets, 'BTCUSDT');
    expect(m).toMatchObject({ expected: 60, present: 29, gaps: [{ from: t(0, 30), to: t(1, 1) }] });
    expect(m.hours).toEqual([
      { start: t(0), expected: 59, present: 29 },
      { start: t(1), expected: 1, present: 0 },
    ]);
  });

  it('reports an empty window as nothing expected', () => {
    const { summary, markets } = computeQuality({ marketType: 'spot', range: { from: t(5), to: t(5) }, history: [ev('A', 'TRADING', LONG_AGO)], counts: new Map(), gaps: new Map() });
    expect(markets).toEqual([]);
    expect(summary).toMatchObject({ range: { from: t(5), to: t(5) }, datapointsExpected: 0, availability: null });
  });

  it('ignores repeated TRADING events and the order events are given in', () => {
    const ordered = [ev('A', 'TRADING', t(1)), ev('A', 'TRADING', t(2)), ev('A', 'BREAK', t(3)), ev('A', 'TRADING', t(4))];
    const shuffled = [ordered[3], ordered[1], ordered[0], ordered[2]];
    const expected = [{ from: t(1), to: t(3) }, { from: t(4), to: DAY.to }];
    expect(expectedPeriods(ordered, DAY).get('A')).toEqual(expected);
    expect(expectedPeriods(shuffled, DAY).get('A')).toEqual(expected);
  });

  it('expects nothing for a trading period shorter than one full minute', () => {
    const history = [ev('A', 'TRADING', t(1, 0, 10)), ev('A', 'HALT', t(1, 0, 50))];
    expect(expectedPeriods(history, DAY).get('A')).toEqual([]);
  });

  it('orders markets worst first: lowest availability, then most missing, nothing-expected last', () => {
    const history = ['A', 'B', 'C', 'D'].map((s) => ev(s, 'TRADING', LONG_AGO)).concat(ev('E', 'BREAK', LONG_AGO));
    const { markets } = quality(history, {
      A: [DAY],
      B: [{ from: DAY.from, to: t(12) }],
      C: [{ from: DAY.from, to: t(23) }],
      D: [{ from: DAY.from, to: t(23) }],
      E: [{ from: t(1), to: t(2) }],
    });
    expect(markets.map((m) => m.symbol)).toEqual(['B', 'C', 'D', 'A', 'E']);
  });

  it('sums the summary over markets', () => {
    const history = [ev('A', 'TRADING', LONG_AGO), ev('B', 'TRADING', LONG_AGO)];
    const { summary } = quality(history, {
      A: [{ from: DAY.from, to: t(1) }, { from: t(1, 3), to: t(2) }, { from: t(2, 1), to: DAY.to }],
      B: [DAY],
    });
    expect(summary).toMatchObject({ marketsComplete: 1, datapointsCaptured: 2876, datapointsExpected: 2880, datapointsPresent: 2876, missingMinutes: 4, gapCount: 2 });
    expect(summary.availability).toBeCloseTo(2876 / 2880, 12);
  });
});

describe('range helpers', () => {
  const r = (from: number, to: number): TimeRange => ({ from, to });
  it('merges overlapping and touching ranges and drops empty ones', () => {
    expect(normalizeRanges([r(5, 7), r(1, 3), r(3, 4), r(6, 9), r(10, 10)])).toEqual([r(1, 4), r(5, 9)]);
  });
  it('intersects two range lists', () => {
    expect(intersectRanges([r(0, 10), r(20, 30)], [r(5, 25), r(28, 40)])).toEqual([r(5, 10), r(20, 25), r(28, 30)]);
  });
  it('subtracts holes from ranges', () => {
    expect(subtractRanges([r(0, 10), r(20, 30)], [r(-5, 2), r(4, 6), r(9, 21), r(25, 40)])).toEqual([r(2, 4), r(6, 9), r(21, 25)]);
  });
});
