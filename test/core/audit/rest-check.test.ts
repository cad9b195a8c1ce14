import { askRest, restWindows, type RestBudget } from '../../../core/audit/rest-check';
import type { HistoryRest } from '../../../core/history/run';
import type { Kline } from '../../../core/kline';

const DAY = Date.UTC(2025, 5, 1);
const M = 60_000;
const MARKET = { marketType: 'spot', symbol: 'XUSDT' } as const;
const k = (t: number): Kline => ({
  marketType: 'spot', symbol: 'XUSDT', interval: '1m', openTime: t, closeTime: t + M - 1,
  open: '1', high: '1', low: '1', close: '1', volume: '0', quoteVolume: '0', trades: 0, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0',
});
const gap = (fromMin: number, toMin: number) => ({ from: DAY + fromMin * M, to: DAY + toMin * M });

/** A REST stand-in that has the klines of `has` (open times) and records every request. */
function fakeRest(has: ReadonlySet<number>, fail?: (from: number) => boolean): HistoryRest & { asked: [number, number][] } {
  const asked: [number, number][] = [];
  return {
    asked,
    firstOpenTime: async () => DAY,
    async *klines(_m, from, to) {
      asked.push([from, to]);
      if (fail?.(from)) throw new Error('HTTP 400 -1121 Invalid symbol');
      // Like Binance: every kline of the window, not only the ones asked about.
      const page: Kline[] = [];
      for (let t = from; t < to; t += M) if (has.has(t) || (t - DAY) % (7 * M) === 0) page.push(k(t));
      yield page;
    },
  };
}

describe('restWindows', () => {
  it('covers a day in at most two windows of 1,000 minutes, counting only gap minutes', () => {
    expect(restWindows([gap(0, 1440)])).toEqual([
      { ...gap(0, 1000), minutes: 1000 },
      { ...gap(1000, 1440), minutes: 440 },
    ]);
  });

  it('puts gaps that fit into one window into one request, ending at the last gap minute', () => {
    expect(restWindows([gap(10, 12), gap(500, 560), gap(1009, 1010), gap(1100, 1101)])).toEqual([
      { ...gap(10, 1010), minutes: 2 + 60 + 1 },
      { ...gap(1100, 1101), minutes: 1 },
    ]);
  });

  it('splits a gap that crosses a window’s end', () => {
    expect(restWindows([gap(0, 1), gap(990, 1020)])).toEqual([
      { ...gap(0, 1000), minutes: 11 },
      { ...gap(1000, 1020), minutes: 20 },
    ]);
  });

  it('is empty without gaps', () => {
    expect(restWindows([])).toEqual([]);
  });
});

describe('askRest', () => {
  it('keeps only REST klines of gap minutes; what REST lacks too is verified, not unverified', async () => {
    const rest = fakeRest(new Set([DAY + 101 * M]));
    const budget: RestBudget = { left: 10 };

    const r = await askRest(rest, MARKET, [gap(100, 103)], budget);

    expect(rest.asked).toEqual([[DAY + 100 * M, DAY + 103 * M]]);
    expect(r.klines.map((x) => x.openTime)).toEqual([DAY + 101 * M]);
    expect(r).toMatchObject({ askedMinutes: 3, requests: 1, notAsked: 0, failedMinutes: 0 });
    expect(r.unverified.size).toBe(0);
    expect(budget.left).toBe(9);
  });

  it('stops at the cap: the windows left are not asked, counted, and their minutes unverified', async () => {
    const rest = fakeRest(new Set());
    const budget: RestBudget = { left: 1 };

    const r = await askRest(rest, MARKET, [gap(0, 1440)], budget);

    expect(rest.asked).toEqual([[DAY, DAY + 1000 * M]]);
    expect(r).toMatchObject({ askedMinutes: 1000, requests: 1, notAsked: 440, failedMinutes: 0 });
    expect(r.unverified.size).toBe(440);
    expect(r.unverified.has(DAY + 1000 * M) && r.unverified.has(DAY + 1439 * M) && !r.unverified.has(DAY + 999 * M)).toBe(true);
    expect(budget.left).toBe(0);

    const none = await askRest(rest, MARKET, [gap(5, 6)], budget);
    expect(none).toMatchObject({ askedMinutes: 0, requests: 0, notAsked: 1 });
    expect(rest.asked).toHaveLength(1);
  });

  it('a failed request ends the market’s check: its minutes and the rest are unanswered, not "not asked"', async () => {
    const rest = fakeRest(new Set([DAY + 5 * M]), (from) => from >= DAY + 1000 * M);
    const budget: RestBudget = { left: 10 };

    const r = await askRest(rest, MARKET, [gap(5, 6), gap(1200, 1201), gap(2300, 2301)], budget);

    expect(r.problem).toMatch(/REST check .*-1121/);
    expect(r).toMatchObject({ askedMinutes: 1, requests: 2, notAsked: 0, failedMinutes: 2 });
    expect(r.klines.map((x) => x.openTime)).toEqual([DAY + 5 * M]);
    expect([...r.unverified]).toEqual([DAY + 1200 * M, DAY + 2300 * M]);
    expect(rest.asked).toHaveLength(2);
    expect(budget.left).toBe(8);
  });

  it('one budget shared by markets asked at once is never overdrawn', async () => {
    const rest = fakeRest(new Set());
    const budget: RestBudget = { left: 3 };

    const results = await Promise.all(['A', 'B', 'C'].map((symbol) => askRest(rest, { marketType: 'spot', symbol }, [gap(0, 1440)], budget)));

    expect(results.reduce((n, r) => n + r.requests, 0)).toBe(3);
    expect(results.reduce((n, r) => n + r.notAsked + r.askedMinutes, 0)).toBe(3 * 1440);
    expect(rest.asked).toHaveLength(3);
    expect(budget.left).toBe(0);
  });
});
