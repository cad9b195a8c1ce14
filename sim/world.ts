/**
 * The simulated exchange's state shared by REST, streams and truth: the market list, the kline
 * generator and the clock. Read-only after start except for the clock moving.
 */
import type { Kline } from '../core/kline';
import type { MarketStatusEvent } from '../core/market';
import type { SimStatus } from './venues';
import { SimClock } from './clock';
import { barToKline, KlineGenerator } from './kline-generator';
import { generateMarkets, isTradingAt, MINUTE, statusAt, type SimMarket } from './markets';
import type { ResolvedOptions } from './options';

export type ListedStatus = Exclude<SimStatus, 'DELISTED'>;

export class World {
  readonly markets: SimMarket[];
  readonly bySymbol = new Map<string, SimMarket>();
  /** Lowercase stream symbol → market. */
  readonly byStreamSymbol = new Map<string, SimMarket>();
  readonly generator: KlineGenerator;
  /** A second generator for truth() so test queries do not evict the stream's caches. */
  private readonly truthGenerator: KlineGenerator;
  readonly clock: SimClock;

  constructor(readonly options: ResolvedOptions) {
    this.markets = generateMarkets(options);
    for (const m of this.markets) {
      this.bySymbol.set(m.symbol, m);
      this.byStreamSymbol.set(m.streamSymbol, m);
    }
    this.generator = new KlineGenerator(Math.max(1024, 3 * this.markets.length));
    this.truthGenerator = new KlineGenerator(Math.max(1024, 3 * this.markets.length));
    this.clock = new SimClock(options.startTime, options.speed);
  }

  now(): number {
    return this.clock.now();
  }

  statusAt(m: SimMarket, t: number): SimStatus | undefined {
    return statusAt(m, t);
  }

  /** Markets in exchangeInfo at time t (listed and not delisted), with their status. */
  listed(t: number): { market: SimMarket; status: ListedStatus }[] {
    const out: { market: SimMarket; status: ListedStatus }[] = [];
    for (const market of this.markets) {
      const status = statusAt(market, t);
      if (status !== undefined && status !== 'DELISTED') out.push({ market, status });
    }
    return out;
  }

  /** The closed 1m klines of a market with open time in [from, to], TRADING minutes only. */
  truth(symbol: string, fromOpenTime: number, toOpenTime: number): Kline[] {
    const m = this.bySymbol.get(symbol);
    if (!m) return [];
    const out: Kline[] = [];
    const first = Math.ceil(fromOpenTime / MINUTE);
    const last = Math.floor(toOpenTime / MINUTE);
    for (let minute = first; minute <= last; minute++) {
      if (isTradingAt(m, minute * MINUTE)) out.push(barToKline(m, '1m', this.truthGenerator.closedBar(m, minute)));
    }
    return out;
  }

  /** Every status change, in time order (listings included; DELISTED when a market leaves). */
  history(): MarketStatusEvent[] {
    const events: MarketStatusEvent[] = [];
    // Futures statuses go out as Binance names them (docs/data-model.md lists them in MarketStatus).
    for (const m of this.markets) for (const h of m.history) events.push({ marketType: 'spot', symbol: m.symbol, status: h.status as MarketStatusEvent['status'], at: h.at });
    return events.sort((a, b) => a.at - b.at || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }
}
