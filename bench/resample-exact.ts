/**
 * "Exact" for the resample benchmark: for a sample of the benchmark's generated markets, every
 * bar the hierarchical resampler builds (1m → 5m → 15m → 30m → 1h, as timed) is compared field
 * by field with an independent reference written here with BigInt arithmetic, from the 1m klines
 * directly. The rule is the project's (core/resample.ts): a minute without trades carries the
 * previous close, so it never sets a bar's open, high or low; open = first traded minute's open,
 * high/low over traded minutes, close = last minute's close, a bar without trades is
 * o = h = l = c = its close; volumes and trades summed; sourceCount = minutes. Values are
 * compared as numbers (scaled integers), so "1.50000000" equals "1.5".
 */
import type { Kline } from '../core/kline';
import { resample } from '../core/resample';
import { generateMarketDay } from './resample';

const TARGETS = [
  ['5m', 5],
  ['15m', 15],
  ['30m', 30],
  ['1h', 60],
] as const;
const SCALE = 18;

/** Decimal text → integer scaled by 10^18 (the benchmark data has ≤ 8 fraction digits). */
export function scaled(text: string): bigint {
  const m = /^(-?)([0-9]+)(?:\.([0-9]*))?$/.exec(text);
  if (!m || (m[3] ?? '').length > SCALE) throw new RangeError(`not a plain decimal: ${text}`);
  const value = BigInt(m[2] + (m[3] ?? '').padEnd(SCALE, '0'));
  return m[1] === '-' ? -value : value;
}

interface ReferenceBar {
  openTime: number;
  open: bigint;
  high: bigint;
  low: bigint;
  close: bigint;
  volume: bigint;
  quoteVolume: bigint;
  takerBuyBaseVolume: bigint;
  takerBuyQuoteVolume: bigint;
  trades: number;
  sourceCount: number;
}

/** Reference bars of `minutes` minutes from one market's 1m klines (sorted by open time). */
export function referenceBars(oneMinute: readonly Kline[], minutes: number): ReferenceBar[] {
  const width = minutes * 60_000;
  const windows = new Map<number, Kline[]>();
  for (const k of oneMinute) {
    const start = Math.floor(k.openTime / width) * width;
    const list = windows.get(start);
    if (list) list.push(k);
    else windows.set(start, [k]);
  }
  const sum = (ks: readonly Kline[], f: (k: Kline) => string): bigint => ks.reduce((acc, k) => acc + scaled(f(k)), 0n);
  const bars: ReferenceBar[] = [];
  for (const [openTime, ks] of windows) {
    const traded = ks.filter((k) => k.trades > 0);
    const close = scaled(ks[ks.length - 1].close);
    const highs = traded.map((k) => scaled(k.high));
    const lows = traded.map((k) => scaled(k.low));
    bars.push({
      openTime,
      open: traded.length > 0 ? scaled(traded[0].open) : close,
      high: highs.length > 0 ? highs.reduce((a, b) => (b > a ? b : a)) : close,
      low: lows.length > 0 ? lows.reduce((a, b) => (b < a ? b : a)) : close,
      close,
      volume: sum(ks, (k) => k.volume),
      quoteVolume: sum(ks, (k) => k.quoteVolume),
      takerBuyBaseVolume: sum(ks, (k) => k.takerBuyBaseVolume),
      takerBuyQuoteVolume: sum(ks, (k) => k.takerBuyQuoteVolume),
      trades: ks.reduce((n, k) => n + k.trades, 0),
      sourceCount: ks.length,
    });
  }
  return bars.sort((a, b) => a.openTime - b.openTime);
}

/** Differences between resampled klines and reference bars ("" list = equal). */
export function compareBars(actual: readonly Kline[], expected: readonly ReferenceBar[], label: string): string[] {
  const problems: string[] = [];
  if (actual.length !== expected.length) return [`${label}: ${actual.length} bars, expected ${expected.length}`];
  actual.forEach((k, i) => {
    const e = expected[i];
    const fields: [string, boolean][] = [
      ['openTime', k.openTime === e.openTime],
      ['open', scaled(k.open) === e.open],
      ['high', scaled(k.high) === e.high],
      ['low', scaled(k.low) === e.low],
      ['close', scaled(k.close) === e.close],
      ['volume', scaled(k.volume) === e.volume],
      ['quoteVolume', scaled(k.quoteVolume) === e.quoteVolume],
      ['takerBuyBaseVolume', scaled(k.takerBuyBaseVolume) === e.takerBuyBaseVolume],
      ['takerBuyQuoteVolume', scaled(k.takerBuyQuoteVolume) === e.takerBuyQuoteVolume],
      ['trades', k.trades === e.trades],
      ['sourceCount', k.sourceCount === e.sourceCount],
    ];
    for (const [name, ok] of fields) if (!ok) problems.push(`${label} bar ${new Date(e.openTime).toISOString()}: ${name} differs`);
  });
  return problems;
}

export interface ExactnessFigures {
  markets: number;
  barsChecked: number;
  problems: string[];
}

/** Check `sampleMarkets` markets spread over the benchmark's `markets`. */
export function checkResampleExact(markets: number, sampleMarkets = 40): ExactnessFigures {
  const step = Math.max(1, Math.floor(markets / sampleMarkets));
  const problems: string[] = [];
  let barsChecked = 0;
  let checked = 0;
  for (let m = 0; m < markets && checked < sampleMarkets; m += step, checked++) {
    const day = generateMarketDay(m);
    let source: Kline[] = day;
    for (const [interval, minutes] of TARGETS) {
      const bars = resample(source, interval);
      const expected = referenceBars(day, minutes);
      problems.push(...compareBars(bars, expected, `${day[0].symbol} ${interval}`));
      barsChecked += bars.length;
      source = bars;
    }
  }
  return { markets: checked, barsChecked, problems: problems.slice(0, 20) };
}
