/**
 * The generated market list and each market's status over simulated time.
 * Everything here is derived from the resolved options, so two simulators with the same seed
 * and options list the same markets with the same parameters.
 */
import type { MarketType } from '../core/market';
import { deliverySuffix, PERPETUAL_DELIVERY, type SimStatus } from './venues';
import type { LifecycleEvent, QuoteAssetShare, ResolvedOptions } from './options';
import { hash4, hashString, unit4 } from './random';

export const MINUTE = 60_000;

export interface SimMarket {
  /** Position in the market list; stable for a given seed and options. */
  index: number;
  symbol: string;
  /** Lowercase symbol as used in stream names. */
  streamSymbol: string;
  baseAsset: string;
  quoteAsset: string;
  /** Hash of the symbol mixed with the seed: the key of every per-minute hash. */
  key: number;
  /** Prices are counts of ticks of 10^-priceDigits; quantities counts of steps of 10^-qtyDigits. */
  priceDigits: number;
  qtyDigits: number;
  /** Typical price in ticks. */
  basePriceTicks: number;
  /** Typical quantity of one trade in steps. */
  qtyStepsPerTrade: number;
  /** Trades per UTC day (the day's total is fixed, so trade ids are contiguous across days). */
  tradesPerDay: number;
  /** Probability that a minute has no trade. */
  zeroTradeProbability: number;
  /** Status history, sorted by time; the first entry is the listing. */
  history: { at: number; status: SimStatus }[];
  /** Exchange-wide maintenance windows [from, to): no klines although the status stays TRADING. */
  maintenance?: readonly { from: number; to: number }[];
  marketType: MarketType;
  /** Futures: PERPETUAL, CURRENT_QUARTER. */
  contractType?: string;
  /** Futures: delivery time (perpetuals: Binance's far-future date). */
  deliveryDate?: number;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const UNICODE_BASES = ['币安人生', '我踏马来了', '客服小何', '哈基米', '修仙', '币安币'];
const KNOWN_QUOTES = ['USDT', 'FDUSD', 'USDC', 'BTC', 'ETH', 'BNB', 'TRY', 'EUR', 'BRL', 'JPY', 'MXN'];

/** Base asset names: 3..5 letters, derived from the index so they are unique. */
function baseAssetName(index: number, seed: number): string {
  const len = 3 + (hash4(seed, index, 7) % 3);
  let n = index;
  let s = '';
  // Unique by construction: the index in base 26, padded with seeded letters.
  do {
    s = LETTERS[n % 26] + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  let i = 0;
  while (s.length < len) s = LETTERS[hash4(seed, index, 11, i++) % 26] + s;
  return s;
}

function pickQuote(index: number, seed: number, quotes: QuoteAssetShare[]): string {
  const total = quotes.reduce((a, q) => a + q.weight, 0);
  let r = unit4(seed, index, 13) * total;
  for (const q of quotes) {
    r -= q.weight;
    if (r < 0) return q.asset;
  }
  return quotes[quotes.length - 1].asset;
}

/** Build a market from its symbol and assets; parameters come from hashes of the symbol. */
export function makeMarket(index: number, symbol: string, baseAsset: string, quoteAsset: string, seed: number, illiquid: boolean, zeroTradeProbability: number, marketType: MarketType = 'spot'): SimMarket {
  // Spot keeps its keys; a futures market of the same symbol (BTCUSDT) trades other klines.
  const key = hash4(seed, hashString(symbol), 17, marketType === 'spot' ? 0 : marketType === 'usdm' ? 1 : 2);
  // Price between 1e-6 and 1e5 (log-uniform) with 6..7 significant digits (at most 8 fraction digits).
  const decade = -6 + Math.floor(unit4(key, 1, 0) * 11);
  const price = 10 ** decade * (1 + 9 * unit4(key, 2, 0));
  const priceDigits = Math.max(0, Math.min(8, 6 - decade));
  const basePriceTicks = Math.max(1000, Math.round(price * 10 ** priceDigits));
  // Quantities: coarse steps for cheap assets; a trade is worth about 5..500 quote units.
  const qtyDigits = Math.max(0, Math.min(8, decade + 3));
  const notional = 5 + 495 * unit4(key, 4, 0);
  const qtyStepsPerTrade = Math.max(1, Math.round((notional / price) * 10 ** qtyDigits));
  const tradesPerMinute = illiquid ? 1 + Math.floor(unit4(key, 3, 0) * 4) : 5 + Math.floor(unit4(key, 3, 0) * 300);
  return {
    index,
    symbol,
    streamSymbol: symbol.toLowerCase(),
    baseAsset,
    quoteAsset,
    key,
    priceDigits,
    qtyDigits,
    basePriceTicks,
    qtyStepsPerTrade,
    tradesPerDay: tradesPerMinute * 1440,
    zeroTradeProbability: illiquid ? zeroTradeProbability : 0,
    history: [],
    marketType,
  };
}

/** The quarterly delivery after `t`: last Friday of Mar/Jun/Sep/Dec, 08:00 UTC. */
export function nextQuarterlyDelivery(t: number): number {
  const d = new Date(t);
  for (let y = d.getUTCFullYear(); ; y++) {
    for (const month of [2, 5, 8, 11]) {
      const last = new Date(Date.UTC(y, month + 1, 0, 8));
      const friday = last.getTime() - ((last.getUTCDay() + 2) % 7) * 86_400_000;
      if (friday > t) return friday;
    }
  }
}

/**
 * A futures contract's symbol, quote asset and delivery: USDⓈ-M perpetuals BASEUSDT (every 8th
 * BASEUSDC), quarterlies BASEUSDT_YYMMDD; COIN-M BASEUSD_PERP and BASEUSD_YYMMDD. Every 5th
 * generated contract is a quarterly; the first `deliveries` of them deliver within the churn window.
 */
function futuresContract(o: ResolvedOptions, i: number, base: string, quarterlyOrdinal: number | undefined): { symbol: string; quote: string; contractType: string; deliveryDate: number } {
  const within = o.churn.withinMs ?? 6 * 3_600_000;
  const quarterly = quarterlyOrdinal !== undefined;
  const deliveryDate = !quarterly
    ? PERPETUAL_DELIVERY
    : quarterlyOrdinal < (o.churn.deliveries ?? 0)
      ? o.worldStartTime + (1 + (hash4(o.seed, 109, quarterlyOrdinal) % Math.max(1, Math.floor(within / MINUTE)))) * MINUTE
      : nextQuarterlyDelivery(o.worldStartTime + within);
  if (o.marketType === 'coinm') return { symbol: `${base}USD_${quarterly ? deliverySuffix(deliveryDate) : 'PERP'}`, quote: 'USD', contractType: quarterly ? 'CURRENT_QUARTER' : 'PERPETUAL', deliveryDate };
  const quote = !quarterly && i % 8 === 7 ? 'USDC' : 'USDT';
  return { symbol: quarterly ? `${base}${quote}_${deliverySuffix(deliveryDate)}` : base + quote, quote, contractType: quarterly ? 'CURRENT_QUARTER' : 'PERPETUAL', deliveryDate };
}

/** Split a symbol into base and quote by the known quote suffixes (for lifecycle-created listings). */
export function splitSymbol(symbol: string): { base: string; quote: string } {
  for (const q of KNOWN_QUOTES) if (symbol.length > q.length && symbol.endsWith(q)) return { base: symbol.slice(0, -q.length), quote: q };
  return { base: symbol.slice(0, Math.max(1, symbol.length - 4)), quote: symbol.slice(Math.max(1, symbol.length - 4)) };
}

/** The full market list: generated markets plus markets first named by lifecycle events. */
export function generateMarkets(o: ResolvedOptions): SimMarket[] {
  const markets: SimMarket[] = [];
  const bySymbol = new Map<string, SimMarket>();
  const listedAt = o.worldStartTime - o.historyMs;
  for (let i = 0; i < o.markets; i++) {
    // Unicode markets are spread through the list (every k-th), not bunched at the end.
    const unicodeSlot = o.unicodeSymbols > 0 ? Math.floor(o.markets / o.unicodeSymbols) : 0;
    const unicodeIndex = unicodeSlot > 0 && i % unicodeSlot === unicodeSlot - 1 ? Math.floor(i / unicodeSlot) : -1;
    let quote = unicodeIndex >= 0 ? 'USDT' : pickQuote(i, o.seed, o.quoteAssets);
    let base = unicodeIndex >= 0 && unicodeIndex < o.unicodeSymbols ? UNICODE_BASES[unicodeIndex % UNICODE_BASES.length] + (unicodeIndex >= UNICODE_BASES.length ? String(unicodeIndex) : '') : baseAssetName(i, o.seed);
    let symbol = base + quote;
    let contract: ReturnType<typeof futuresContract> | undefined;
    if (o.marketType !== 'spot') {
      contract = futuresContract(o, i, base, i % 5 === 4 ? Math.floor(i / 5) : undefined);
      ({ symbol, quote } = contract);
    }
    while (bySymbol.has(symbol)) {
      base += 'X';
      symbol = contract ? futuresContract(o, i, base, i % 5 === 4 ? Math.floor(i / 5) : undefined).symbol : base + quote;
    }
    const illiquid = unit4(o.seed, i, 19) < o.illiquidShare;
    const m = makeMarket(i, symbol, base, quote, o.seed, illiquid, o.zeroTradeProbability, o.marketType);
    m.history.push({ at: listedAt, status: 'TRADING' });
    if (contract) {
      m.contractType = contract.contractType;
      m.deliveryDate = contract.deliveryDate;
      // Delivered within the run: no klines from the delivery date on.
      if (contract.deliveryDate < o.worldStartTime + (o.churn.withinMs ?? 6 * 3_600_000) + MINUTE) {
        m.history.push({ at: contract.deliveryDate, status: 'DELIVERING' }, { at: contract.deliveryDate + 10 * MINUTE, status: 'DELIVERED' });
      }
    }
    markets.push(m);
    bySymbol.set(m.symbol, m);
  }
  const events = [...o.lifecycle, ...churnEvents(o, markets)].sort((a, b) => a.at - b.at);
  for (const e of events) {
    let m = bySymbol.get(e.symbol);
    if (!m) {
      const { base, quote } = splitSymbol(e.symbol);
      m = makeMarket(markets.length, e.symbol, base, quote, o.seed, false, 0, o.marketType);
      if (o.marketType !== 'spot') {
        m.contractType = 'PERPETUAL';
        m.deliveryDate = PERPETUAL_DELIVERY;
      }
      markets.push(m);
      bySymbol.set(m.symbol, m);
    }
    m.history.push({ at: e.at, status: e.status });
  }
  // An event given before a generated market's listing time moves the listing (stable sort).
  for (const m of markets) m.history.sort((a, b) => a.at - b.at);
  if (o.maintenance.length > 0) for (const m of markets) m.maintenance = o.maintenance;
  return markets;
}

/**
 * Random lifecycle events from `options.churn`, a pure function of the seed and the generated
 * markets: distinct markets for breaks, halts and delistings; times minute-aligned.
 */
export function churnEvents(o: ResolvedOptions, generated: readonly SimMarket[]): LifecycleEvent[] {
  const c = o.churn;
  const within = c.withinMs ?? 6 * 3_600_000;
  const minutes = Math.max(1, Math.floor(within / MINUTE));
  let salt = 0;
  const at = (): number => o.worldStartTime + (1 + (hash4(o.seed, 101, salt++) % minutes)) * MINUTE;
  const events: LifecycleEvent[] = [];
  for (let i = 0; i < (c.listings ?? 0); i++) events.push({ symbol: `NEW${baseAssetName(i, o.seed)}USDT`, at: at(), status: 'TRADING' });
  // Distinct markets, picked by a seeded shuffle of the generated ones.
  const order = generated.map((m) => m.index).sort((a, b) => hash4(o.seed, 103, a) - hash4(o.seed, 103, b));
  let next = 0;
  const episode = (status: 'BREAK' | 'HALT'): void => {
    if (next >= order.length) return;
    const m = generated[order[next++]];
    const start = at();
    events.push({ symbol: m.symbol, at: start, status });
    events.push({ symbol: m.symbol, at: start + (5 + (hash4(o.seed, 107, salt++) % 56)) * MINUTE, status: 'TRADING' });
  };
  for (let i = 0; i < (c.breaks ?? 0); i++) episode('BREAK');
  for (let i = 0; i < (c.halts ?? 0); i++) episode('HALT');
  const perpetual = generated.filter((m) => m.contractType === undefined || m.contractType === 'PERPETUAL');
  for (let i = 0; i < (c.delistings ?? 0) && next < order.length; i++) {
    let m = generated[order[next++]];
    while (!perpetual.includes(m) && next < order.length) m = generated[order[next++]];
    if (!perpetual.includes(m)) break;
    const t = at();
    // A futures delisting closes the contract, which leaves exchangeInfo later.
    if (o.marketType === 'spot') events.push({ symbol: m.symbol, at: t, status: 'DELISTED' });
    else events.push({ symbol: m.symbol, at: t, status: 'SETTLING' }, { symbol: m.symbol, at: t + 30 * MINUTE, status: 'DELISTED' });
  }
  return events;
}

/** Status at simulated time `t`, or undefined before the market was listed. */
export function statusAt(m: SimMarket, t: number): SimStatus | undefined {
  let s: SimStatus | undefined;
  for (const h of m.history) {
    if (h.at > t) break;
    s = h.status;
  }
  return s;
}

/** Klines exist for a minute exactly when the market is TRADING at its open time. */
export function isTradingAt(m: SimMarket, openTime: number): boolean {
  return statusAt(m, openTime) === 'TRADING' && !m.maintenance?.some((w) => openTime >= w.from && openTime < w.to);
}

export type { LifecycleEvent };
