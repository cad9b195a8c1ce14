/**
 * The REST side (`HistoryRest`) of the history job and of the audit (CLI and auditor Lambda)
 * over the weight-aware Binance client (the one the ingest uses):
 * a market's first kline (`startTime=0, limit=1`), and its 1m klines page by page.
 */
import type { HistoryRest } from '../../history/run';
import type { Kline } from '../../kline';
import type { MarketRef } from '../../market';
import { parseRestRow } from '../../parse';
import { BinanceApiError } from '../errors';
import { readUrl, type Env } from '../../config';
import type { MarketType } from '../../market';
import { BinanceRestClient } from './rest-client';
import { VENUES } from '../venues';

/**
 * One weight-aware REST client per market type, at the venue's URL (BINANCE_REST_URL,
 * BINANCE_USDM_REST_URL, BINANCE_COINM_REST_URL). `close()` stops them all.
 */
export function venueClients(env: Env, fetchImpl?: typeof fetch): { clientFor: (market: MarketRef) => BinanceRestClient; close: () => void } {
  const clients = new Map<MarketType, BinanceRestClient>();
  return {
    clientFor(market) {
      let c = clients.get(market.marketType);
      if (!c) {
        const venue = VENUES[market.marketType];
        c = new BinanceRestClient({ baseUrl: readUrl(env, venue.restUrlSetting, venue.defaultRestUrl, ['https:', 'http:']), venue, fetchImpl });
        clients.set(market.marketType, c);
      }
      return c;
    },
    close: () => clients.forEach((c) => c.close()),
  };
}

const PAGE = 1000;
const MINUTE = 60_000;

export function restHistory(clientFor: (market: MarketRef) => BinanceRestClient): HistoryRest {
  return {
    async firstOpenTime(market) {
      let rows: unknown[];
      try {
        rows = await clientFor(market).klines(market.symbol, 0, Date.now(), 1);
      } catch (err) {
        // -1121 Invalid symbol: delisted, REST has nothing (its dumps may still exist).
        if (err instanceof BinanceApiError && err.code === -1121) return undefined;
        throw err;
      }
      const first = rows[0];
      return Array.isArray(first) && typeof first[0] === 'number' ? first[0] : undefined;
    },
    async *klines(market, from, to) {
      let cursor = from;
      while (cursor < to) {
        const rows = await clientFor(market).klines(market.symbol, cursor, to - 1, PAGE);
        const page: Kline[] = [];
        for (const row of rows) {
          const parsed = parseRestRow(market.symbol, '1m', row, market.marketType);
          if (!parsed.ok) throw new Error(`REST klines of ${market.symbol}: ${parsed.reason}`);
          if (parsed.kline.openTime >= cursor && parsed.kline.openTime < to) page.push(parsed.kline);
        }
        yield page;
        if (rows.length < PAGE || page.length === 0) return;
        cursor = page[page.length - 1].openTime + MINUTE;
      }
    },
  };
}
