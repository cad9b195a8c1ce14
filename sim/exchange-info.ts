/** The `/api/v3/exchangeInfo` body, shaped like Binance's documented response. */
import type { SimLimits } from './options';
import { decimal8 } from './kline-generator';
import type { SimMarket } from './markets';
import type { MarketStatus } from '../core/market';

const ORDER_TYPES = ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];

export function rateLimits(limits: SimLimits): object[] {
  const minutes = limits.weightWindowMs % 60_000 === 0 && limits.weightWindowMs > 0;
  return [
    {
      rateLimitType: 'REQUEST_WEIGHT',
      interval: minutes ? 'MINUTE' : 'SECOND',
      intervalNum: minutes ? limits.weightWindowMs / 60_000 : Math.max(1, Math.round(limits.weightWindowMs / 1000)),
      limit: limits.requestWeightPerWindow,
    },
    { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
    { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
    { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
  ];
}

export function symbolInfo(m: SimMarket, status: Exclude<MarketStatus, 'DELISTED'>): object {
  const tick = decimal8(1, m.priceDigits);
  const step = decimal8(1, m.qtyDigits);
  return {
    symbol: m.symbol,
    status,
    baseAsset: m.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: m.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ORDER_TYPES,
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    opoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    amendAllowed: true,
    pegInstructionsAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: decimal8(m.basePriceTicks * 1000, m.priceDigits), tickSize: tick },
      { filterType: 'LOT_SIZE', minQty: step, maxQty: '9000000000.00000000', stepSize: step },
      { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH', 'DECREMENT'],
  };
}

export function exchangeInfoBody(serverTime: number, limits: SimLimits, listed: { market: SimMarket; status: Exclude<MarketStatus, 'DELISTED'> }[]): object {
  return {
    timezone: 'UTC',
    serverTime,
    rateLimits: rateLimits(limits),
    exchangeFilters: [],
    symbols: listed.map((l) => symbolInfo(l.market, l.status)),
  };
}
