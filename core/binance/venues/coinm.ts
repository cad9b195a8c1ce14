/**
 * Binance COIN-M futures: `/dapi/v1` REST, `dstream` streams (no routed paths), status in
 * `contractStatus`, symbols like BTCUSD_PERP and BTCUSD_260626. Updates every 250 ms.
 */
import { futuresKlinesWeight, normaliseSymbols, type Venue } from './venue';

export const COINM: Venue = {
  marketType: 'coinm',
  label: 'COIN-M futures',
  restUrlSetting: 'BINANCE_COINM_REST_URL',
  streamUrlSetting: 'BINANCE_COINM_STREAM_URL',
  defaultRestUrl: 'https://dapi.binance.com',
  defaultStreamUrl: 'wss://dstream.binance.com',
  paths: { ping: '/dapi/v1/ping', time: '/dapi/v1/time', exchangeInfo: '/dapi/v1/exchangeInfo', klines: '/dapi/v1/klines' },
  exchangeInfoWeight: 1,
  klinesWeight: futuresKlinesWeight,
  backfillLimit: 499,
  defaultWeightLimit: 2400,
  streamPaths: [''],
  maxStreamsPerConnection: 1024,
  maxIncomingPerSecond: 10,
  frameIntervalMs: 250,
  symbols: (info) => normaliseSymbols(info, 'contractStatus'),
};
