import { compareDecimal } from '../../core/decimal';
import type { Kline } from '../../core/kline';
import { parseStreamKline, validateKline } from '../../core/parse';
import { barToStreamData } from '../../sim/kline-generator';
import { MINUTE } from '../../sim/markets';
import { resolveOptions, type SimOptions } from '../../sim/options';
import { World } from '../../sim/world';

const START = Date.UTC(2026, 0, 5);
const world = (o: SimOptions = {}): World => new World(resolveOptions({ markets: 40, seed: 42, startTime: START, ...o }));

function allTruth(w: World, from: number, to: number): Kline[] {
  return w.markets.flatMap((m) => w.truth(m.symbol, from, to));
}

describe('simulated klines', () => {
  it('are a pure function of the seed: same seed same klines, other seed other klines', () => {
    const from = START - 120 * MINUTE;
    const a = allTruth(world(), from, START);
    const b = allTruth(world(), from, START);
    const c = allTruth(world({ seed: 43 }), from, START);

    expect(a.length).toBe(40 * 121);
    expect(b).toEqual(a);
    expect(c.map((k) => k.close)).not.toEqual(a.map((k) => k.close));
  });

  it('are internally consistent: low ≤ open, close ≤ high; taker volumes within volumes; 8 fraction digits', () => {
    const klines = allTruth(world(), START - 600 * MINUTE, START);
    const problems: string[] = [];
    for (const k of klines) {
      for (const f of ['open', 'high', 'low', 'close', 'volume', 'quoteVolume', 'takerBuyBaseVolume', 'takerBuyQuoteVolume'] as const) {
        if (!/^[0-9]+\.[0-9]{8}$/.test(k[f])) problems.push(`${k.symbol} ${k.openTime} ${f}=${k[f]}`);
      }
      const ok =
        compareDecimal(k.low, k.open) <= 0 &&
        compareDecimal(k.low, k.close) <= 0 &&
        compareDecimal(k.high, k.open) >= 0 &&
        compareDecimal(k.high, k.close) >= 0 &&
        compareDecimal(k.takerBuyBaseVolume, k.volume) <= 0 &&
        compareDecimal(k.takerBuyQuoteVolume, k.quoteVolume) <= 0 &&
        k.closeTime === k.openTime + MINUTE - 1;
      if (!ok) problems.push(`${k.symbol} ${k.openTime} inconsistent`);
    }
    expect(problems).toEqual([]);
  });

  it('repeat the previous close with n=0, v=0 and f=L=-1 in zero-trade minutes, as Binance does', () => {
    const w = world({ markets: 5, illiquidShare: 1, zeroTradeProbability: 0.5 });
    const m = w.markets[0];
    const klines = w.truth(m.symbol, START - 300 * MINUTE, START);

    const zero = klines.map((k, i) => ({ k, prev: klines[i - 1] })).filter(({ k, prev }) => k.trades === 0 && prev !== undefined);
    expect(zero.length).toBeGreaterThan(50);
    for (const { k, prev } of zero) {
      expect([k.open, k.high, k.low, k.close]).toEqual([prev.close, prev.close, prev.close, prev.close]);
      expect([k.volume, k.quoteVolume, k.takerBuyBaseVolume, k.takerBuyQuoteVolume]).toEqual(['0.00000000', '0.00000000', '0.00000000', '0.00000000']);
      const frame = JSON.parse(barToStreamData(m, '1m', w.generator.closedBar(m, k.openTime / MINUTE), k.closeTime + 1, true)) as { k: { f: number; L: number; n: number } };
      expect(frame.k).toMatchObject({ f: -1, L: -1, n: 0 });
    }
  });

  it('number trades contiguously from minute to minute, across a UTC day boundary too', () => {
    const w = world({ markets: 3 });
    const m = w.markets[1];
    const first = START - 30 * MINUTE; // START is midnight: the range spans two days
    const bars = Array.from({ length: 60 }, (_, i) => w.generator.closedBar(m, first / MINUTE + i)).filter((b) => b.trades > 0);

    for (let i = 1; i < bars.length; i++) {
      expect(bars[i].firstTradeId).toBe(bars[i - 1].lastTradeId + 1);
      expect(bars[i].lastTradeId - bars[i].firstTradeId + 1).toBe(bars[i].trades);
    }
  });

  it('pass the domain validator, closed and still-open stream updates alike', () => {
    const w = world({ markets: 20, illiquidShare: 0.5 });
    const problems: string[] = [];
    for (const m of w.markets) {
      for (let minute = START / MINUTE - 30; minute < START / MINUTE; minute++) {
        for (const fraction of [0.3, 0.7, 1]) {
          const data: unknown = JSON.parse(barToStreamData(m, '1m', w.generator.partialBar(m, minute, fraction), minute * MINUTE + fraction * MINUTE, fraction === 1));
          const parsed = parseStreamKline(data, 'spot');
          if (!parsed.ok) problems.push(`${m.symbol} ${minute} ${fraction}: ${parsed.reason}`);
        }
      }
      for (const k of w.truth(m.symbol, START - 30 * MINUTE, START)) {
        const problem = validateKline(k);
        if (problem) problems.push(`${k.symbol} ${k.openTime}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('publish intermediate updates that grow towards the closed kline and stay within its range', () => {
    const w = world({ markets: 10 });
    for (const m of w.markets) {
      const minute = START / MINUTE + 3;
      const final = w.generator.closedBar(m, minute);
      let prev = w.generator.partialBar(m, minute, 0.01);
      for (const f of [0.2, 0.4, 0.6, 0.8, 0.97, 1]) {
        const p = w.generator.partialBar(m, minute, f);
        expect(p.trades).toBeGreaterThanOrEqual(prev.trades);
        expect(p.volume).toBeGreaterThanOrEqual(prev.volume);
        if (p.trades > 0) {
          expect(p.open).toBe(final.open);
          expect(p.high).toBeLessThanOrEqual(final.high);
          expect(p.low).toBeGreaterThanOrEqual(final.low);
        }
        prev = p;
      }
      expect(prev).toEqual(final);
    }
  });

  it('follow the lifecycle: nothing before listing, nothing during BREAK, nothing after delisting', () => {
    const base = world({ markets: 3 });
    const [a, b] = base.markets.map((m) => m.symbol);
    const w = world({
      markets: 3,
      lifecycle: [
        { symbol: a, at: START + 10 * MINUTE, status: 'BREAK' },
        { symbol: a, at: START + 20 * MINUTE, status: 'TRADING' },
        { symbol: b, at: START + 30 * MINUTE, status: 'DELISTED' },
        { symbol: 'NEWCOINUSDT', at: START + 5 * MINUTE, status: 'TRADING' },
      ],
    });

    const minutes = (symbol: string) => w.truth(symbol, START, START + 59 * MINUTE).map((k) => (k.openTime - START) / MINUTE);
    expect(minutes(a)).toEqual([...range(0, 10), ...range(20, 60)]);
    expect(minutes(b)).toEqual(range(0, 30));
    expect(minutes('NEWCOINUSDT')).toEqual(range(5, 60));
    expect(w.listed(START).map((l) => l.market.symbol)).not.toContain('NEWCOINUSDT');
    expect(w.listed(START + 15 * MINUTE).find((l) => l.market.symbol === a)?.status).toBe('BREAK');
    expect(w.listed(START + 30 * MINUTE).map((l) => l.market.symbol)).not.toContain(b);
    expect(w.history().filter((e) => e.symbol === 'NEWCOINUSDT')).toEqual([{ marketType: 'spot', symbol: 'NEWCOINUSDT', status: 'TRADING', at: START + 5 * MINUTE }]);
  });

  it('add random listings, BREAK and HALT episodes and delistings with churn, the same for the same seed', () => {
    const churn = { listings: 2, breaks: 3, halts: 1, delistings: 2, withinMs: 120 * MINUTE };
    const w = world({ churn });
    const history = w.history().filter((e) => e.at > START);

    expect(world({ churn }).history()).toEqual(w.history());
    expect(history.filter((e) => e.symbol.startsWith('NEW') && e.status === 'TRADING')).toHaveLength(2);
    expect(history.filter((e) => e.status === 'DELISTED')).toHaveLength(2);
    for (const status of ['BREAK', 'HALT'] as const) {
      const episodes = history.filter((e) => e.status === status);
      expect(episodes).toHaveLength(status === 'BREAK' ? 3 : 1);
      for (const e of episodes) {
        const back = history.find((h) => h.symbol === e.symbol && h.at > e.at && h.status === 'TRADING');
        expect(back).toBeDefined();
        expect(w.truth(e.symbol, e.at, back!.at - MINUTE)).toEqual([]);
      }
    }
    for (const e of history) expect(e.at % MINUTE).toBe(0);
  });

  it('include a few Unicode symbols whose stream names are their lowercase', () => {
    const w = world({ markets: 100, unicodeSymbols: 3 });
    const unicode = w.markets.filter((m) => /[^\x00-\x7f]/.test(m.symbol));

    expect(unicode).toHaveLength(3);
    for (const m of unicode) expect(m.streamSymbol).toBe(m.symbol.toLowerCase());
    expect(new Set(w.markets.map((m) => m.symbol)).size).toBe(100);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
