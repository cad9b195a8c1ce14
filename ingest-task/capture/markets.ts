/**
 * Market discovery: which markets exist, which we capture, and what changed since the last look.
 * The pure functions decide; `MarketWatcher` only remembers the previous answer.
 */
import type { MarketFilter } from '../../core/config';
import { MARKET_STATUSES, type MarketStatus, type MarketStatusEvent, type MarketType } from '../../core/market';
import { symbolProblem } from '../../core/symbol';
import type { ExchangeInfo, ExchangeInfoSymbol } from '../../core/binance/rest/rest-client';

/** A market passes when it matches every filter given (an empty filter matches all). */
export function matchesFilter(s: Pick<ExchangeInfoSymbol, 'symbol' | 'quoteAsset'>, filter: MarketFilter): boolean {
  if (filter.quoteAssets.length > 0 && !filter.quoteAssets.includes(s.quoteAsset.toUpperCase())) return false;
  if (filter.symbols.length > 0 && !filter.symbols.includes(s.symbol.toUpperCase())) return false;
  return true;
}

function toStatus(raw: string): MarketStatus | undefined {
  return (MARKET_STATUSES as readonly string[]).includes(raw) && raw !== 'DELISTED' ? (raw as MarketStatus) : undefined;
}

/** Listed markets whose symbol breaks the symbol rule (core/symbol.ts), with the reason: never captured. */
export function refusedMarkets(info: ExchangeInfo): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of info.symbols) {
    if (s === null || typeof s !== 'object') continue;
    const problem = symbolProblem(s.symbol);
    if (problem !== undefined && typeof s.symbol === 'string') out.set(s.symbol, problem);
  }
  return out;
}

/** Status of every filtered market in an exchangeInfo answer. Unknown statuses and unacceptable symbols are ignored. */
export function marketStatuses(info: ExchangeInfo, filter: MarketFilter): Map<string, MarketStatus> {
  const out = new Map<string, MarketStatus>();
  for (const s of info.symbols) {
    if (typeof s?.symbol !== 'string' || typeof s.quoteAsset !== 'string') continue;
    if (symbolProblem(s.symbol) !== undefined) continue;
    const status = toStatus(s.status);
    if (status && matchesFilter(s, filter)) out.set(s.symbol, status);
  }
  return out;
}

export interface MarketChanges {
  /**
   * One event per market whose status changed (or first seen); DELISTED for markets that left.
   * `at` is when the change was noticed; the ingest dates changes by the klines before sending
   * them (status-dating.ts).
   */
  events: MarketStatusEvent[];
  /** Markets now TRADING that were not before (listings and resumptions): subscribe. */
  started: string[];
  /** Markets that were TRADING and no longer are: unsubscribe. */
  stopped: string[];
  /** Listed markets refused for their symbol, first seen in this look (reported once each). */
  refused?: { symbol: string; reason: string }[];
}

/** What changed between two looks at exchangeInfo, observed at exchange time `at`. Pure. */
export function diffMarkets(previous: ReadonlyMap<string, MarketStatus>, current: ReadonlyMap<string, MarketStatus>, at: number, marketType: MarketType): MarketChanges {
  const events: MarketStatusEvent[] = [];
  const started: string[] = [];
  const stopped: string[] = [];
  for (const [symbol, status] of current) {
    const before = previous.get(symbol);
    if (before === status) continue;
    events.push({ marketType, symbol, status, at });
    if (status === 'TRADING') started.push(symbol);
    else if (before === 'TRADING') stopped.push(symbol);
  }
  for (const [symbol, before] of previous) {
    if (current.has(symbol) || before === 'DELISTED') continue;
    events.push({ marketType, symbol, status: 'DELISTED', at });
    if (before === 'TRADING') stopped.push(symbol);
  }
  return { events, started, stopped };
}

/** Remembers the last known statuses; each `apply` returns the changes since the previous one. */
export class MarketWatcher {
  private statuses = new Map<string, MarketStatus>();
  private refused = new Set<string>();

  constructor(
    private readonly filter: MarketFilter,
    private readonly marketType: MarketType,
  ) {}

  apply(info: ExchangeInfo): MarketChanges {
    const current = marketStatuses(info, this.filter);
    const changes = diffMarkets(this.statuses, current, info.serverTime, this.marketType);
    // Delisted markets are remembered as DELISTED so a relisting is a change again.
    for (const e of changes.events) if (e.status === 'DELISTED') current.set(e.symbol, 'DELISTED');
    for (const [symbol, status] of this.statuses) if (status === 'DELISTED' && !current.has(symbol)) current.set(symbol, 'DELISTED');
    this.statuses = current;
    const refused: { symbol: string; reason: string }[] = [];
    const nowRefused = refusedMarkets(info);
    for (const [symbol, reason] of nowRefused) if (!this.refused.has(symbol)) refused.push({ symbol, reason });
    this.refused = new Set(nowRefused.keys());
    return { ...changes, refused };
  }

  status(symbol: string): MarketStatus | undefined {
    return this.statuses.get(symbol);
  }

  trading(): string[] {
    return [...this.statuses].filter(([, s]) => s === 'TRADING').map(([symbol]) => symbol);
  }

  get count(): number {
    return this.statuses.size;
  }
}
