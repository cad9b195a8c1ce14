/**
 * Klines as a pure function of (seed, market, minute).
 *
 * - Trade counts: each UTC day has a fixed number of trades per market, spread over its minutes
 *   by hashed weights (zero weight = a zero-trade minute). A minute's count and first trade id
 *   follow from the day's prefix sums, so trade ids are contiguous and need no history.
 * - Prices: a smooth path (value noise at several time scales) evaluated at points inside the
 *   minute; open, high, low and close come from it and are rounded to the market's tick.
 * - Decimals are integer counts of 10^-digits (ticks, steps) or of 1e-8 (quote volumes) and are
 *   printed with 8 fraction digits, as Binance prints klines.
 */
import type { Kline } from '../core/kline';
import { unit4 } from './random';
import { isTradingAt, MINUTE, type SimMarket } from './markets';

// Module-local bindings: hot loops avoid a global `Math` lookup (slow inside jest's vm sandbox).
const { floor, round, max, min, ceil, exp } = Math;

const DAY_MINUTES = 1440;

/** One bar with integer decimals; `priceDigits`/`qtyDigits` of its market give the scale. */
export interface Bar {
  openTime: number;
  closeTime: number;
  /** Prices in ticks. */
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volumes in steps. */
  volume: number;
  takerBuyVolume: number;
  /** Quote volumes in 1e-8 units. */
  quoteVolume: number;
  takerBuyQuoteVolume: number;
  trades: number;
  /** First and last trade id, -1 when the bar had no trade. */
  firstTradeId: number;
  lastTradeId: number;
}

const POW10 = Array.from({ length: 17 }, (_, i) => 10 ** i);
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000'];

/** `count × 10^-digits` as decimal text with exactly 8 fraction digits. */
export function decimal8(count: number, digits: number): string {
  const scale = POW10[digits];
  const whole = floor(count / scale);
  const frac = count - whole * scale;
  return digits === 0 ? `${whole}.00000000` : `${whole}.${String(frac).padStart(digits, '0')}${ZEROS[8 - digits]}`;
}

/** x × 10^k for a small integer k, with an exact power of ten. */
function scaleBy10(x: number, k: number): number {
  return k >= 0 ? x * POW10[k] : x / POW10[-k];
}

/** Smooth noise in [-1, 1] along x (value noise with smoothstep). */
function valueNoise(key: number, octave: number, x: number): number {
  const i = floor(x);
  const t = x - i;
  const a = unit4(key, i, 1000 + octave) * 2 - 1;
  const b = unit4(key, i + 1, 1000 + octave) * 2 - 1;
  const s = t * t * (3 - 2 * t);
  return a + (b - a) * s;
}

const OCTAVE_SCALES = [1, 7, 60, 720, 10_080];
const OCTAVE_AMPLITUDES = [0.0008, 0.002, 0.006, 0.02, 0.08];

export class KlineGenerator {
  /** Prefix sums of trades per (market, day), a small cache cleared when it grows large. */
  private readonly dayCounts = new Map<number, Int32Array>();
  /** The last closed bar computed per market: stream updates ask for the same minute repeatedly. */
  private readonly lastBar = new Map<number, Bar>();

  /** `maxCachedDays`: (market, day) prefix arrays kept (~5.8 KB each). */
  constructor(private readonly maxCachedDays = 4096) {}

  /** Price in ticks at minute-time `t` (fractional minutes since epoch). */
  priceAt(m: SimMarket, t: number): number {
    let log = 0;
    for (let k = 0; k < OCTAVE_SCALES.length; k++) log += OCTAVE_AMPLITUDES[k] * valueNoise(m.key, k, t / OCTAVE_SCALES[k]);
    return max(1, round(m.basePriceTicks * exp(log)));
  }

  private dayPrefix(m: SimMarket, day: number): Int32Array {
    const cacheKey = m.index * 1_000_000 + day;
    let g = this.dayCounts.get(cacheKey);
    if (g) return g;
    if (this.dayCounts.size >= this.maxCachedDays) this.dayCounts.clear();
    const weights = new Float64Array(DAY_MINUTES + 1);
    let total = 0;
    const first = day * DAY_MINUTES;
    for (let i = 0; i < DAY_MINUTES; i++) {
      const minute = first + i;
      const zero = m.zeroTradeProbability > 0 && unit4(m.key, minute, 23) < m.zeroTradeProbability;
      total += zero ? 0 : 0.2 + 1.8 * unit4(m.key, minute, 29);
      weights[i + 1] = total;
    }
    g = new Int32Array(DAY_MINUTES + 1);
    for (let i = 1; i <= DAY_MINUTES; i++) g[i] = total === 0 ? 0 : floor((m.tradesPerDay * weights[i]) / total);
    this.dayCounts.set(cacheKey, g);
    return g;
  }

  /** Trades in a minute (ignoring status) and the id of its first trade. */
  private trades(m: SimMarket, minute: number): { n: number; first: number } {
    const day = floor(minute / DAY_MINUTES);
    const i = minute - day * DAY_MINUTES;
    const g = this.dayPrefix(m, day);
    return { n: g[i + 1] - g[i], first: day * m.tradesPerDay + g[i] };
  }

  /** True when the minute has at least one published trade. */
  private traded(m: SimMarket, minute: number): boolean {
    return this.trades(m, minute).n > 0 && isTradingAt(m, minute * MINUTE);
  }

  /** Close of the last traded minute before `minute` (the price a zero-trade minute repeats). */
  previousClose(m: SimMarket, minute: number): number {
    const listedMinute = floor(m.history[0].at / MINUTE);
    for (let k = minute - 1; k >= listedMinute && k > minute - 60 * DAY_MINUTES; k--) {
      if (this.traded(m, k)) return this.closedBar(m, k).close;
    }
    return m.basePriceTicks;
  }

  /** The closed 1m bar of a minute (minute index = openTime / 60 000). */
  closedBar(m: SimMarket, minute: number): Bar {
    const cached = this.lastBar.get(m.index);
    if (cached && cached.openTime === minute * MINUTE) return cached;
    const bar = this.computeBar(m, minute);
    this.lastBar.set(m.index, bar);
    return bar;
  }

  private computeBar(m: SimMarket, minute: number): Bar {
    const openTime = minute * MINUTE;
    const { n, first } = this.trades(m, minute);
    if (n === 0) return this.flatBar(openTime, this.previousClose(m, minute));
    const open = this.priceAt(m, minute + 0.01);
    const close = n === 1 ? open : this.priceAt(m, minute + 0.99);
    let high = max(open, close);
    let low = min(open, close);
    if (n > 2) {
      const spread = ceil(open * 0.0005);
      high = max(high, this.priceAt(m, minute + 0.35), this.priceAt(m, minute + 0.7)) + floor(unit4(m.key, minute, 31) * spread);
      low = max(1, min(low, this.priceAt(m, minute + 0.35), this.priceAt(m, minute + 0.7)) - floor(unit4(m.key, minute, 37) * spread));
    }
    const volume = max(n, round(n * m.qtyStepsPerTrade * (0.5 + unit4(m.key, minute, 41))));
    const vwap = (open + high + low + close) / 4;
    const quoteVolume = round(scaleBy10(volume * vwap, 8 - m.priceDigits - m.qtyDigits));
    const takerShare = 0.2 + 0.6 * unit4(m.key, minute, 43);
    const takerBuyVolume = floor(volume * takerShare);
    const takerBuyQuoteVolume = floor((quoteVolume * takerBuyVolume) / volume);
    return {
      openTime,
      closeTime: openTime + MINUTE - 1,
      open,
      high,
      low,
      close,
      volume,
      takerBuyVolume,
      quoteVolume,
      takerBuyQuoteVolume,
      trades: n,
      firstTradeId: first,
      lastTradeId: first + n - 1,
    };
  }

  private flatBar(openTime: number, price: number): Bar {
    return {
      openTime,
      closeTime: openTime + MINUTE - 1,
      open: price,
      high: price,
      low: price,
      close: price,
      volume: 0,
      takerBuyVolume: 0,
      quoteVolume: 0,
      takerBuyQuoteVolume: 0,
      trades: 0,
      firstTradeId: -1,
      lastTradeId: -1,
    };
  }

  /**
   * The still-open bar of `minute` as seen `fraction` (0..1) of the way through it: a prefix of
   * the minute's trades, never outside the final bar's range, equal to it at fraction 1.
   */
  partialBar(m: SimMarket, minute: number, fraction: number): Bar {
    const final = this.closedBar(m, minute);
    if (fraction >= 1) return final;
    const n = floor(final.trades * fraction);
    if (n === 0) return this.flatBar(final.openTime, final.trades === 0 ? final.close : this.previousClose(m, minute));
    const close = n === 1 ? final.open : min(final.high, max(final.low, this.priceAt(m, minute + fraction)));
    const volume = max(n, min(final.volume, floor(final.volume * fraction)));
    return {
      ...final,
      close,
      high: min(final.high, max(final.open, close, fraction > 0.35 && n > 2 ? this.priceAt(m, minute + 0.35) : final.open)),
      low: max(final.low, min(final.open, close, fraction > 0.35 && n > 2 ? this.priceAt(m, minute + 0.35) : final.open)),
      volume,
      quoteVolume: floor((final.quoteVolume * volume) / final.volume),
      takerBuyVolume: min(volume, floor(final.takerBuyVolume * fraction)),
      takerBuyQuoteVolume: floor(final.takerBuyQuoteVolume * fraction),
      trades: n,
      lastTradeId: final.firstTradeId + n - 1,
    };
  }

  /**
   * The bar of an interval window [openTime, openTime + lengthMs) built from the 1m bars of its
   * TRADING minutes, up to simulated time `now` (a window still open is partial). Undefined when
   * no minute of the window was TRADING (or none has started).
   */
  windowBar(m: SimMarket, openTime: number, lengthMs: number, now: number): Bar | undefined {
    let out: Bar | undefined;
    const end = min(openTime + lengthMs, now + 1);
    for (let t = openTime; t < end; t += MINUTE) {
      if (!isTradingAt(m, t)) continue;
      const minute = t / MINUTE;
      const b = t + MINUTE - 1 <= now ? this.closedBar(m, minute) : this.partialBar(m, minute, (now - t) / MINUTE);
      if (!out) {
        out = { ...b, openTime, closeTime: openTime + lengthMs - 1 };
        continue;
      }
      out.high = max(out.high, b.high);
      out.low = min(out.low, b.low);
      out.close = b.close;
      out.volume += b.volume;
      out.takerBuyVolume += b.takerBuyVolume;
      out.quoteVolume += b.quoteVolume;
      out.takerBuyQuoteVolume += b.takerBuyQuoteVolume;
      out.trades += b.trades;
      if (b.firstTradeId >= 0) {
        if (out.firstTradeId < 0) out.firstTradeId = b.firstTradeId;
        out.lastTradeId = b.lastTradeId;
      }
    }
    return out;
  }
}

/** A bar as the core Kline model (decimal text, 8 fraction digits). */
export function barToKline(m: SimMarket, interval: string, b: Bar): Kline {
  return {
    marketType: 'spot',
    symbol: m.symbol,
    interval,
    openTime: b.openTime,
    closeTime: b.closeTime,
    open: decimal8(b.open, m.priceDigits),
    high: decimal8(b.high, m.priceDigits),
    low: decimal8(b.low, m.priceDigits),
    close: decimal8(b.close, m.priceDigits),
    volume: decimal8(b.volume, m.qtyDigits),
    quoteVolume: decimal8(b.quoteVolume, 8),
    trades: b.trades,
    takerBuyBaseVolume: decimal8(b.takerBuyVolume, m.qtyDigits),
    takerBuyQuoteVolume: decimal8(b.takerBuyQuoteVolume, 8),
  };
}

/** A `/api/v3/klines` row: [openTime, o, h, l, c, v, closeTime, q, n, V, Q, "0"]. */
export function barToRestRow(m: SimMarket, b: Bar): (number | string)[] {
  return [
    b.openTime,
    decimal8(b.open, m.priceDigits),
    decimal8(b.high, m.priceDigits),
    decimal8(b.low, m.priceDigits),
    decimal8(b.close, m.priceDigits),
    decimal8(b.volume, m.qtyDigits),
    b.closeTime,
    decimal8(b.quoteVolume, 8),
    b.trades,
    decimal8(b.takerBuyVolume, m.qtyDigits),
    decimal8(b.takerBuyQuoteVolume, 8),
    '0',
  ];
}

/** The `data` object of a kline stream event as JSON text, fields in Binance's order. */
export function barToStreamData(m: SimMarket, interval: string, b: Bar, eventTime: number, closed: boolean): string {
  const s = JSON.stringify(m.symbol);
  return (
    `{"e":"kline","E":${eventTime},"s":${s},"k":{"t":${b.openTime},"T":${b.closeTime},"s":${s},"i":"${interval}",` +
    `"f":${b.firstTradeId},"L":${b.lastTradeId},"o":"${decimal8(b.open, m.priceDigits)}","c":"${decimal8(b.close, m.priceDigits)}",` +
    `"h":"${decimal8(b.high, m.priceDigits)}","l":"${decimal8(b.low, m.priceDigits)}","v":"${decimal8(b.volume, m.qtyDigits)}",` +
    `"n":${b.trades},"x":${closed},"q":"${decimal8(b.quoteVolume, 8)}","V":"${decimal8(b.takerBuyVolume, m.qtyDigits)}",` +
    `"Q":"${decimal8(b.takerBuyQuoteVolume, 8)}","B":"0"}}`
  );
}
