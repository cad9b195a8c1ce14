/**
 * Resampling speed: one UTC day of 2,000 markets (2.88 M 1m klines) into 5m, 15m, 30m and 1h,
 * hierarchically (1m → 5m → 15m → 30m → 1h) on one core. Goal: under 20 s.
 *
 * The day is generated deterministically (a PRNG price walk per market, ~20 % of minutes
 * without trades, Binance's 8 fraction digits) in chunks of markets, so memory stays bounded;
 * only resampling is timed.
 *
 *   npx tsx bench/resample.ts [--markets N] [--direct]
 *   NODE_OPTIONS=--expose-gc npx tsx bench/resample.ts   (fairer: the generator's garbage is collected before timing)
 */
import type { Kline } from '../core/kline';
import { resample } from '../core/resample';
// The same small seeded PRNG the test fixtures use, so benchmark days are as reproducible as test data.
import { rng } from '../test/fixtures/trades';

const DAY_START = Date.UTC(2025, 0, 15);
const MINUTES = 1440;
const TARGETS = ['5m', '15m', '30m', '1h'] as const;

export interface ResampleBenchOptions {
  markets?: number;
  /** Markets generated and resampled at a time. */
  chunk?: number;
  /** Also time resampling each interval straight from 1m, for comparison. */
  direct?: boolean;
}

export interface ResampleBenchFigures {
  markets: number;
  oneMinuteKlines: number;
  /** Bars produced per interval. */
  bars: Record<string, number>;
  /** Hierarchical resampling, all four intervals, wall-clock seconds. */
  seconds: number;
  /** The same, CPU seconds of this process (user + system): the one-core figure on a shared machine. */
  cpuSeconds: number;
  /** Per step of the hierarchy, seconds. */
  stepSeconds: Record<string, number>;
  klinesPerSecond: number;
  /** Each interval straight from 1m, seconds (when asked for). */
  directSeconds?: number;
  peakHeapMiB: number;
  goalSeconds: number;
}

function text8(units: number): string {
  return `${Math.floor(units / 1e8)}.${String(units % 1e8).padStart(8, '0')}`;
}

/** One market's day of 1m klines, deterministic per market index. */
export function generateMarketDay(market: number): Kline[] {
  const random = rng(market + 1);
  const symbol = `M${String(market).padStart(4, '0')}USDT`;
  let price = Math.floor(1e6 + random() * 1e13); // 0.01 … 100,000
  const out: Kline[] = new Array(MINUTES);
  for (let m = 0; m < MINUTES; m++) {
    const openTime = DAY_START + m * 60_000;
    const trades = random() < 0.2 ? 0 : 1 + Math.floor(random() * 500);
    let open = price;
    let high = price;
    let low = price;
    let volume = 0;
    let quote = 0;
    if (trades > 0) {
      const step = Math.max(1, Math.floor(price / 1000));
      open = price + Math.floor((random() - 0.5) * step);
      const close = Math.max(1, open + Math.floor((random() - 0.5) * step));
      high = Math.max(open, close) + Math.floor(random() * step);
      low = Math.max(1, Math.min(open, close) - Math.floor(random() * step));
      price = close;
      volume = Math.floor(random() * 1e12);
      quote = Math.floor(random() * 1e15);
    }
    out[m] = {
      marketType: 'spot',
      symbol,
      interval: '1m',
      openTime,
      closeTime: openTime + 59_999,
      open: text8(open),
      high: text8(high),
      low: text8(low),
      close: text8(price),
      volume: text8(volume),
      quoteVolume: text8(quote),
      trades,
      takerBuyBaseVolume: text8(Math.floor(volume / 2)),
      takerBuyQuoteVolume: text8(Math.floor(quote / 2)),
    };
  }
  return out;
}

export async function benchResample(options: ResampleBenchOptions = {}): Promise<ResampleBenchFigures> {
  const markets = options.markets ?? 2000;
  const chunk = options.chunk ?? 200;
  const bars: Record<string, number> = Object.fromEntries(TARGETS.map((t) => [t, 0]));
  const stepSeconds: Record<string, number> = Object.fromEntries(TARGETS.map((t) => [t, 0]));
  let seconds = 0;
  let cpuSeconds = 0;
  let directSeconds = 0;
  let oneMinuteKlines = 0;
  let peakHeap = 0;
  for (let first = 0; first < markets; first += chunk) {
    const input: Kline[] = [];
    for (let m = first; m < Math.min(markets, first + chunk); m++) for (const k of generateMarketDay(m)) input.push(k);
    oneMinuteKlines += input.length;
    // Collect the generator's garbage first when allowed (NODE_OPTIONS=--expose-gc), so it is not billed to resampling.
    (globalThis as { gc?: () => void }).gc?.();
    // Each step of the hierarchy, as resampleAll chains them (timed one by one).
    let source: Kline[] = input;
    for (const to of TARGETS) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const out = resample(source, to);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(c0);
      cpuSeconds += (c.user + c.system) / 1e6;
      stepSeconds[to] += s;
      seconds += s;
      bars[to] += out.length;
      source = out;
    }
    if (options.direct) {
      const t0 = process.hrtime.bigint();
      for (const to of TARGETS) resample(input, to);
      directSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
    }
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    await new Promise((r) => setImmediate(r));
  }
  return {
    markets,
    oneMinuteKlines,
    bars,
    seconds,
    cpuSeconds,
    stepSeconds,
    klinesPerSecond: Math.round(oneMinuteKlines / seconds),
    ...(options.direct ? { directSeconds } : {}),
    peakHeapMiB: Math.round(peakHeap / 2 ** 20),
    goalSeconds: 20,
  };
}

function printTable(f: ResampleBenchFigures): void {
  const rows: [string, string][] = [
    ['markets × 1m klines', `${f.markets} × 1440 = ${f.oneMinuteKlines.toLocaleString('en')}`],
    ...TARGETS.map((t): [string, string] => [`step → ${t}`, `${f.stepSeconds[t].toFixed(2)} s (${f.bars[t].toLocaleString('en')} bars)`]),
    ['all four intervals (hierarchical)', `${f.seconds.toFixed(2)} s wall, ${f.cpuSeconds.toFixed(2)} s CPU  (goal < ${f.goalSeconds} s)`],
    ['1m klines per second', f.klinesPerSecond.toLocaleString('en')],
  ];
  if (f.directSeconds !== undefined) rows.push(['each interval from 1m (direct)', `${f.directSeconds.toFixed(2)} s`]);
  rows.push(['peak heap', `${f.peakHeapMiB} MiB`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('resample: one day, one core');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const marketsArg = args.indexOf('--markets');
  benchResample({ markets: marketsArg >= 0 ? Number(args[marketsArg + 1]) : undefined, direct: args.includes('--direct') })
    .then(printTable)
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
