/**
 * Binance USDⓈ-M futures: `/fapi/v1` REST, `fstream` streams routed by path since 2026-04-23
 * (`/public`, `/market`, `/private`); `<symbol>@kline_1m` is on `/market`, and a stream on the
 * wrong path is accepted and never delivered, so the other paths are kept as alternatives for
 * the silence detector (streams/stream-manager.ts, streams/stream-route.ts). Updates every 250 ms; 10 incoming messages/s.
 */
import { futuresKlinesWeight, normaliseSymbols, type Venue } from './venue';

export const USDM: Venue = {
  marketType: 'usdm',
  label: 'USDⓈ-M futures',
  restUrlSetting: 'BINANCE_USDM_REST_URL',
  streamUrlSetting: 'BINANCE_USDM_STREAM_URL',
  defaultRestUrl: 'https://fapi.binance.com',
  defaultStreamUrl: 'wss://fstream.binance.com',
  paths: { ping: '/fapi/v1/ping', time: '/fapi/v1/time', exchangeInfo: '/fapi/v1/exchangeInfo', klines: '/fapi/v1/klines' },
  exchangeInfoWeight: 1,
  klinesWeight: futuresKlinesWeight,
  // 499 rows cost 2 (≈250 minutes per unit of weight); 1000 cost 5 (200), 1500 cost 10 (150).
  backfillLimit: 499,
  defaultWeightLimit: 2400,
  streamPaths: ['/market', '/public', ''],
  maxStreamsPerConnection: 1024,
  maxIncomingPerSecond: 10,
  frameIntervalMs: 250,
  symbols: (info) => normaliseSymbols(info, 'status'),
};
