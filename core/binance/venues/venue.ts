/**
 * What differs per Binance market type, in one interface. Everything outside `venues/` reads
 * endpoints, limits and statuses from a `Venue` and never names a market type. The facts behind
 * each number (with sources and dates) are in docs/binance.md.
 */
import type { MarketType } from '../../market';

/** One symbol of an exchangeInfo answer, normalised across venues. */
export interface VenueSymbol {
  symbol: string;
  /** The venue's own status text (`status` on spot and USDⓈ-M, `contractStatus` on COIN-M). */
  status: string;
  baseAsset: string;
  quoteAsset: string;
  /** Futures: 'PERPETUAL', 'CURRENT_QUARTER', …; absent on spot. */
  contractType?: string;
  /** Futures: delivery time (ms); perpetuals carry a far-future date (4133404800000). */
  deliveryDate?: number;
}

export interface Venue {
  readonly marketType: MarketType;
  /** For logs and messages: "spot", "USDⓈ-M futures", "COIN-M futures". */
  readonly label: string;
  /** Environment settings of this venue's endpoints (for messages naming the setting). */
  readonly restUrlSetting: string;
  readonly streamUrlSetting: string;
  readonly defaultRestUrl: string;
  readonly defaultStreamUrl: string;
  /** REST paths, e.g. '/fapi/v1/klines'. */
  readonly paths: { readonly ping: string; readonly time: string; readonly exchangeInfo: string; readonly klines: string };
  readonly exchangeInfoWeight: number;
  /** REQUEST_WEIGHT of one `klines` request with this `limit`. */
  klinesWeight(limit: number): number;
  /** Rows per backfill request: the `limit` that buys the most minutes per unit of weight. */
  readonly backfillLimit: number;
  /** REQUEST_WEIGHT per minute until exchangeInfo.rateLimits tells the live number. */
  readonly defaultWeightLimit: number;
  /**
   * Stream paths to try, in order, between the host and `/stream`. A path on which subscribed
   * streams stay silent is abandoned for the next one (USDⓈ-M routes streams by path and a stream
   * on the wrong path is accepted and never delivered). `''` = no routed path.
   */
  readonly streamPaths: readonly string[];
  readonly maxStreamsPerConnection: number;
  /** Incoming messages (SUBSCRIBE, PING, PONG, …) per second per connection. */
  readonly maxIncomingPerSecond: number;
  /** How often the server pushes an update of one kline stream (ms). */
  readonly frameIntervalMs: number;
  /** The exchangeInfo symbols, normalised; entries without the fields we need are skipped. */
  symbols(info: { symbols?: unknown }): VenueSymbol[];
}

/** A stream URL's base and the routed path it names (one of the venue's paths), split. */
export function splitStreamUrl(venue: Pick<Venue, 'streamPaths'>, url: string): { base: string; pathIndex: number } {
  const trimmed = url.replace(/\/+$/, '');
  let best = -1;
  for (let i = 0; i < venue.streamPaths.length; i++) {
    const p = venue.streamPaths[i];
    if (p !== '' && trimmed.endsWith(p) && (best < 0 || p.length > venue.streamPaths[best].length)) best = i;
  }
  if (best >= 0) return { base: trimmed.slice(0, trimmed.length - venue.streamPaths[best].length), pathIndex: best };
  // A URL with no routed path: the venue's first choice, unless '' is itself one of its paths.
  const bare = venue.streamPaths.indexOf('');
  return { base: trimmed, pathIndex: bare >= 0 && venue.streamPaths.length === 1 ? bare : 0 };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Normalise exchangeInfo symbols, reading the status from `statusField`. */
export function normaliseSymbols(info: { symbols?: unknown }, statusField: 'status' | 'contractStatus'): VenueSymbol[] {
  const out: VenueSymbol[] = [];
  if (!Array.isArray(info.symbols)) return out;
  for (const raw of info.symbols as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const s = raw as Record<string, unknown>;
    const symbol = text(s.symbol);
    const status = text(s[statusField]);
    const baseAsset = text(s.baseAsset);
    const quoteAsset = text(s.quoteAsset);
    if (!symbol || !status || !baseAsset || !quoteAsset) continue;
    const entry: VenueSymbol = { symbol, status, baseAsset, quoteAsset };
    const contractType = text(s.contractType);
    if (contractType) entry.contractType = contractType;
    if (typeof s.deliveryDate === 'number' && Number.isSafeInteger(s.deliveryDate)) entry.deliveryDate = s.deliveryDate;
    out.push(entry);
  }
  return out;
}

/**
 * Futures `klines` weight by `limit` (USDⓈ-M and COIN-M alike): [1,100) → 1, [100,500) → 2,
 * [500,1000] → 5, > 1000 → 10.
 */
export function futuresKlinesWeight(limit: number): number {
  if (limit < 100) return 1;
  if (limit < 500) return 2;
  if (limit <= 1000) return 5;
  return 10;
}
