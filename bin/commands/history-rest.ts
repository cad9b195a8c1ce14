/**
 * The history job's REST side (`HistoryRest`) over the ingest's weight-aware Binance client:
 * a market's first kline (`startTime=0, limit=1`), and its 1m klines page by page.
 */
import type { HistoryRest } from '../../core/history/run';
import type { Kline } from '../../core/kline';
import type { MarketRef } from '../../core/market';
import { parseRestRow } from '../../core/parse';
import { BinanceApiError } from '../../ingest-task/errors';
import type { BinanceRestClient } from '../../ingest-task/rest/rest-client';

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
