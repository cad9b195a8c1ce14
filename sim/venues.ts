/**
 * What the simulator does differently per Binance market type: REST prefix and weights, stream
 * paths, frame rate, limits, exchangeInfo format, symbol shapes and contract lifecycle. The
 * numbers are Binance's (docs/binance.md); the ingest's own view is core/binance/venues/.
 */
import type { MarketStatus, MarketType } from '../core/market';

/** Futures contract statuses beside spot's (core/market.ts may not list them all yet). */
export const FUTURES_STATUSES = ['PENDING_TRADING', 'PRE_DELIVERING', 'DELIVERING', 'DELIVERED', 'PRE_SETTLE', 'SETTLING', 'CLOSE'] as const;
export type SimStatus = MarketStatus | (typeof FUTURES_STATUSES)[number];

export interface SimVenue {
  marketType: MarketType;
  /** '/api/v3', '/fapi/v1', '/dapi/v1'. */
  restPrefix: string;
  exchangeInfoWeight: number;
  klinesWeight(limit: number): number;
  klinesMaxLimit: number;
  /** Routed paths (before `/stream`, `/ws`) that deliver kline streams. */
  deliveringPaths: readonly string[];
  /** Routed paths that accept a kline subscription and deliver nothing (USDⓈ-M's /public, bare host). */
  silentPaths: readonly string[];
  /** ms between two updates of one kline stream at speed 1. */
  frameIntervalMs: number;
  maxIncomingPerSecond: number;
  requestWeightPerWindow: number;
  /** exchangeInfo's status key. */
  statusField: 'status' | 'contractStatus';
}

const futuresKlinesWeight = (limit: number): number => (limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10);

export const SIM_VENUES: Readonly<Record<MarketType, SimVenue>> = {
  spot: {
    marketType: 'spot',
    restPrefix: '/api/v3',
    exchangeInfoWeight: 20,
    klinesWeight: () => 2,
    klinesMaxLimit: 1000,
    deliveringPaths: [''],
    silentPaths: [],
    frameIntervalMs: 2000,
    maxIncomingPerSecond: 5,
    requestWeightPerWindow: 6000,
    statusField: 'status',
  },
  usdm: {
    marketType: 'usdm',
    restPrefix: '/fapi/v1',
    exchangeInfoWeight: 1,
    klinesWeight: futuresKlinesWeight,
    klinesMaxLimit: 1500,
    deliveringPaths: ['/market'],
    silentPaths: ['/public', ''],
    frameIntervalMs: 250,
    maxIncomingPerSecond: 10,
    requestWeightPerWindow: 2400,
    statusField: 'status',
  },
  coinm: {
    marketType: 'coinm',
    restPrefix: '/dapi/v1',
    exchangeInfoWeight: 1,
    klinesWeight: futuresKlinesWeight,
    klinesMaxLimit: 1500,
    deliveringPaths: [''],
    silentPaths: [],
    frameIntervalMs: 250,
    maxIncomingPerSecond: 10,
    requestWeightPerWindow: 2400,
    statusField: 'contractStatus',
  },
};

/** Perpetuals' deliveryDate in Binance's exchangeInfo (2100-12-25). */
export const PERPETUAL_DELIVERY = 4133404800000;

/** YYMMDD of a UTC time, as in quarterly symbols (BTCUSDT_260626). */
export function deliverySuffix(t: number): string {
  const d = new Date(t);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
}
