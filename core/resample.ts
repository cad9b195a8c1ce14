/**
 * Resampling klines into longer windows (1m → 5m, 5m → 15m, … 1d → 1w, 1M), aligned as Binance
 * aligns its klines, in UTC or in a Binance `timeZone` (core/windows.ts).
 *
 * Binance builds every interval from trades, not from 1m klines. A kline without trades
 * (`trades === 0`) has o = h = l = c = the previous close: a carried price, not a traded one.
 * So such a kline never sets a window's open, high or low: the open is the open of the first
 * kline with trades, high/low range over klines with trades only, and the close is the last
 * kline's close (for a kline without trades that is the carried last traded price, which is
 * what Binance reports too). A window without any trade is o = h = l = c = that carried close.
 * The same rule applies one level up (a 5m bar without trades), so building 15m from 5m gives
 * exactly what building 15m from 1m gives.
 *
 * Decimals stay text: prices are picked, never recomputed, and volumes are exact sums with
 * the inputs' number of fraction digits.
 */
import { compareDecimal, DecimalSum } from './decimal';
import { DAY_MS, intervalMs, MINUTE_MS, type Interval } from './interval';
import type { Kline } from './kline';
import { marketKey, type MarketType } from './market';
import { formatTimeZone, isBinanceInterval, windowScheme, type WindowScheme } from './windows';

/** Compare decimal text; plain string compare when both have the same shape (the usual case). */
function cmp(a: string, b: string): number {
  if (a.length === b.length && a.indexOf('.') === b.indexOf('.')) return a < b ? -1 : a > b ? 1 : 0;
  return compareDecimal(a, b);
}

/** One window being built. */
class WindowBar {
  open: string | undefined;
  high = '';
  low = '';
  close = '';
  readonly volume = new DecimalSum();
  readonly quoteVolume = new DecimalSum();
  readonly takerBuyBaseVolume = new DecimalSum();
  readonly takerBuyQuoteVolume = new DecimalSum();
  trades = 0;
  sourceCount = 0;

  constructor(readonly marketType: MarketType, readonly symbol: string, readonly openTime: number) {}

  add(k: Kline, sourceCount: number): void {
    if (k.trades > 0) {
      if (this.open === undefined) {
        this.open = k.open;
        this.high = k.high;
        this.low = k.low;
      } else {
        if (cmp(k.high, this.high) > 0) this.high = k.high;
        if (cmp(k.low, this.low) < 0) this.low = k.low;
      }
      this.trades += k.trades;
    }
    this.close = k.close;
    this.volume.add(k.volume);
    this.quoteVolume.add(k.quoteVolume);
    this.takerBuyBaseVolume.add(k.takerBuyBaseVolume);
    this.takerBuyQuoteVolume.add(k.takerBuyQuoteVolume);
    this.sourceCount += sourceCount;
  }

  /** `end`: open time of the next window. */
  finish(interval: Interval, end: number): Kline {
    const traded = this.open !== undefined;
    return {
      marketType: this.marketType,
      symbol: this.symbol,
      interval,
      openTime: this.openTime,
      closeTime: end - 1,
      open: traded ? this.open! : this.close,
      high: traded ? this.high : this.close,
      low: traded ? this.low : this.close,
      close: this.close,
      volume: this.volume.toString(),
      quoteVolume: this.quoteVolume.toString(),
      trades: this.trades,
      takerBuyBaseVolume: this.takerBuyBaseVolume.toString(),
      takerBuyQuoteVolume: this.takerBuyQuoteVolume.toString(),
      sourceCount: this.sourceCount,
    };
  }
}

/**
 * Streaming resampler for klines that arrive grouped by symbol and ascending in open time
 * (a dump file, a store read). `push` returns the window it completed, if any; `flush` returns
 * the last one. Use `resample` for arrays in any order.
 *
 * `to` is any Binance interval of whole minutes (3m … 1M, core/windows.ts), aligned as Binance
 * aligns its klines, in the time zone `tzOffsetMs` (Binance's `timeZone`; 0 = UTC). The source
 * interval must divide a day and every source window must lie in one target window: 1h bars
 * make +08:00 days, but +05:45 days need 15m bars or shorter; +08:00 weeks need +08:00 days.
 */
export class Resampler {
  private readonly fromMs: number;
  private readonly scheme: WindowScheme;
  private bar: WindowBar | undefined;
  /** End (exclusive) of the current bar's window. */
  private barEnd = 0;
  private lastOpenTime = -1;

  constructor(readonly from: Interval, readonly to: Interval, readonly tzOffsetMs = 0) {
    this.scheme = windowScheme(to, tzOffsetMs);
    const fromMs = isBinanceInterval(from) ? windowScheme(from).fixedMs : undefined;
    if (fromMs === undefined || fromMs > DAY_MS || DAY_MS % fromMs !== 0) {
      throw new RangeError(`cannot resample ${from} klines: the source interval must divide a day (1m … 1d)`);
    }
    this.fromMs = fromMs;
    const toMs = this.scheme.fixedMs;
    if (toMs !== undefined && (toMs <= fromMs || toMs % fromMs !== 0)) {
      throw new RangeError(`cannot resample ${from} into ${to}: ${to} must be a longer multiple of ${from}`);
    }
    // Stored bars up to 1h are UTC windows; 1d source bars may already be zone days (checked per kline).
    if (fromMs < DAY_MS && tzOffsetMs % fromMs !== 0) {
      throw new RangeError(`cannot resample ${from} into ${to} at ${formatTimeZone(tzOffsetMs)}: ${from} windows straddle that zone's ${to} windows (use shorter source klines)`);
    }
  }

  push(k: Kline): Kline | undefined {
    if (k.interval !== this.from) throw new RangeError(`expected ${this.from} klines, got ${k.interval} (${k.symbol} at ${k.openTime})`);
    const t = k.openTime;
    let done: Kline | undefined;
    let bar = this.bar;
    if (bar === undefined || bar.symbol !== k.symbol || bar.marketType !== k.marketType || t >= this.barEnd || t < bar.openTime) {
      const start = this.scheme.start(t);
      if (bar !== undefined && bar.symbol === k.symbol && bar.marketType === k.marketType && t < bar.openTime) {
        throw new RangeError(`${k.symbol} at ${t} comes after ${this.lastOpenTime}: klines must ascend in open time`);
      }
      done = bar?.finish(this.to, this.barEnd);
      bar = this.bar = new WindowBar(k.marketType, k.symbol, start);
      this.barEnd = this.scheme.next(start);
    } else if (t <= this.lastOpenTime) {
      throw new RangeError(
        t === this.lastOpenTime
          ? `${k.symbol} at ${t} appears twice`
          : `${k.symbol} at ${t} comes after ${this.lastOpenTime}: klines must ascend in open time`,
      );
    }
    if (k.closeTime >= this.barEnd) {
      throw new RangeError(`${k.symbol} ${this.from} kline at ${t} straddles the ${this.to} window ${bar.openTime}–${this.barEnd - 1} (its windows are in another zone?)`);
    }
    this.lastOpenTime = t;
    // A source bar of unknown provenance (e.g. an imported Binance 5m kline) counts as complete.
    bar.add(k, k.sourceCount ?? this.fromMs / MINUTE_MS);
    return done;
  }

  flush(): Kline | undefined {
    const done = this.bar?.finish(this.to, this.barEnd);
    this.bar = undefined;
    this.lastOpenTime = -1;
    return done;
  }
}

/** True when each market's klines are contiguous and strictly ascending in open time. */
function isGrouped(klines: readonly Kline[]): boolean {
  const seen = new Set<string>();
  let market: string | undefined;
  let last = -Infinity;
  for (const k of klines) {
    const key = marketKey(k);
    if (key !== market) {
      if (seen.has(key)) return false;
      seen.add(key);
      market = key;
    } else if (k.openTime <= last) {
      return false;
    }
    last = k.openTime;
  }
  return true;
}

function bySymbolThenTime(a: Kline, b: Kline): number {
  if (a.marketType !== b.marketType) return a.marketType < b.marketType ? -1 : 1;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  return a.openTime - b.openTime;
}

/**
 * Resample klines of one interval (1m, or any shorter interval dividing `to`) into `to`.
 * Accepts any order: input grouped by symbol and ascending in open time (what stores return)
 * is processed in one pass; anything else is sorted first (a copy, the input is not touched).
 * Output is grouped by symbol (in input order when grouped, otherwise sorted) and ascending
 * in open time, one kline per window (of `to` in the zone `tzOffsetMs`) that has at least one
 * source kline, with `sourceCount` =
 * number of 1m klines behind it. Throws RangeError for mixed intervals or a duplicate kline.
 */
export function resample(klines: readonly Kline[], to: Interval, tzOffsetMs = 0): Kline[] {
  if (klines.length === 0) {
    windowScheme(to, tzOffsetMs);
    return [];
  }
  const input = isGrouped(klines) ? klines : [...klines].sort(bySymbolThenTime);
  const resampler = new Resampler(input[0].interval, to, tzOffsetMs);
  const out: Kline[] = [];
  for (const k of input) {
    const done = resampler.push(k);
    if (done) out.push(done);
  }
  const last = resampler.flush();
  if (last) out.push(last);
  return out;
}

/** `resample` under the name used for bar → bar steps (5m → 15m, …). */
export const resampleBars = resample;

/**
 * Every target interval from one set of klines, each built from the longest already built
 * interval that divides it (1m → 5m → 15m → 30m → 1h): identical results to resampling each
 * from 1m, several times less work.
 */
export function resampleAll(klines: readonly Kline[], targets: readonly Interval[]): Map<Interval, Kline[]> {
  const sourceInterval = klines[0]?.interval ?? '1m';
  const built = new Map<Interval, Kline[]>([[sourceInterval, klines as Kline[]]]);
  const result = new Map<Interval, Kline[]>();
  const ordered = [...targets].sort((a, b) => intervalMs(a) - intervalMs(b));
  for (const to of ordered) {
    const toMs = intervalMs(to);
    let best = sourceInterval;
    for (const have of built.keys()) {
      const ms = intervalMs(have);
      if (ms < toMs && toMs % ms === 0 && ms > intervalMs(best)) best = have;
    }
    const bars = resample(built.get(best)!, to);
    built.set(to, bars);
    result.set(to, bars);
  }
  return result;
}
