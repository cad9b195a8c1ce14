/** Binance spot: `/api/v3` REST, one stream path, 5 incoming messages/s, updates every 2 s. */
import { normaliseSymbols, type Venue } from './venue';

export const SPOT: Venue = {
  marketType: 'spot',
  label: 'spot',
  restUrlSetting: 'BINANCE_REST_URL',
  streamUrlSetting: 'BINANCE_STREAM_URL',
  // The market-data-only hosts: same data as api/stream.binance.com, no account endpoints.
  defaultRestUrl: 'https://data-api.binance.vision',
  defaultStreamUrl: 'wss://data-stream.binance.vision',
  paths: { ping: '/api/v3/ping', time: '/api/v3/time', exchangeInfo: '/api/v3/exchangeInfo', klines: '/api/v3/klines' },
  exchangeInfoWeight: 20,
  klinesWeight: () => 2,
  backfillLimit: 1000,
  defaultWeightLimit: 6000,
  streamPaths: [''],
  maxStreamsPerConnection: 1024,
  maxIncomingPerSecond: 5,
  frameIntervalMs: 2000,
  symbols: (info) => normaliseSymbols(info, 'status'),
};
