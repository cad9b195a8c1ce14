/**
 * The exchangeInfo body, shaped like Binance's documented response: spot `/api/v3/exchangeInfo`,
 * USDⓈ-M `/fapi/v1/exchangeInfo` (status in `status`) and COIN-M `/dapi/v1/exchangeInfo`
 * (status in `contractStatus`, contractSize, quote USD).
 */
import type { SimLimits } from './options';
import { decimal8 } from './kline-generator';
import type { SimMarket } from './markets';
import { SIM_VENUES, type SimStatus } from './venues';

const ORDER_TYPES = ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];

export function rateLimits(limits: SimLimits, futures = false): object[] {
  const minutes = limits.weightWindowMs % 60_000 === 0 && limits.weightWindowMs > 0;
  if (futures) {
    return [
      {
        rateLimitType: 'REQUEST_WEIGHT',
        interval: minutes ? 'MINUTE' : 'SECOND',
        intervalNum: minutes ? limits.weightWindowMs / 60_000 : Math.max(1, Math.round(limits.weightWindowMs / 1000)),
        limit: limits.requestWeightPerWindow,
      },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
    ];
  }
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

export function symbolInfo(m: SimMarket, status: Exclude<SimStatus, 'DELISTED'>): object {
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

/** One futures contract (USDⓈ-M or COIN-M). */
export function futuresSymbolInfo(m: SimMarket, status: Exclude<SimStatus, 'DELISTED'>): object {
  const tick = decimal8(1, m.priceDigits);
  const coinm = m.marketType === 'coinm';
  const statusField = SIM_VENUES[m.marketType].statusField;
  return {
    symbol: m.symbol,
    pair: m.baseAsset + m.quoteAsset,
    contractType: m.contractType ?? 'PERPETUAL',
    deliveryDate: m.deliveryDate,
    onboardDate: m.history[0]?.at,
    [statusField]: status,
    ...(coinm ? { contractSize: 10 } : {}),
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: m.baseAsset,
    quoteAsset: m.quoteAsset,
    marginAsset: coinm ? m.baseAsset : m.quoteAsset,
    pricePrecision: m.priceDigits,
    quantityPrecision: m.qtyDigits,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    ...(coinm ? { equalQtyPrecision: 4 } : {}),
    underlyingType: 'COIN',
    underlyingSubType: [],
    triggerProtect: '0.0500',
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: decimal8(m.basePriceTicks * 1000, m.priceDigits), tickSize: tick },
      { filterType: 'LOT_SIZE', minQty: decimal8(1, m.qtyDigits), maxQty: '1000000', stepSize: decimal8(1, m.qtyDigits) },
      { filterType: 'MAX_NUM_ORDERS', limit: 200 },
    ],
    orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
    liquidationFee: '0.010000',
    marketTakeBound: '0.30',
  };
}

export function exchangeInfoBody(serverTime: number, limits: SimLimits, listed: { market: SimMarket; status: Exclude<SimStatus, 'DELISTED'> }[], marketType: SimMarket['marketType'] = 'spot'): object {
  if (marketType !== 'spot') {
    return {
      timezone: 'UTC',
      serverTime,
      rateLimits: rateLimits(limits, true),
      exchangeFilters: [],
      ...(marketType === 'usdm' ? { assets: [{ asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' }] } : {}),
      symbols: listed.map((l) => futuresSymbolInfo(l.market, l.status)),
    };
  }
  return {
    timezone: 'UTC',
    serverTime,
    rateLimits: rateLimits(limits),
    exchangeFilters: [],
    symbols: listed.map((l) => symbolInfo(l.market, l.status)),
  };
}
