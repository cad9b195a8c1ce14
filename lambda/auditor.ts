/**
 * Auditor Lambda (EventBridge schedule, daily at 03:00 UTC): audits the day AUDIT_LAG_DAYS (2)
 * before today against Binance's daily dumps for every market of AUDIT_MARKET_TYPES (see
 * core/audit/daily.ts), repairs the minutes we lack from the dump and keeps the result in the
 * store, where the next daily report reads it.
 *
 * On demand: `{"date": "YYYY-MM-DD"}` audits that day (e.g. one whose files were not yet
 * published when the schedule ran); auditing a day again replaces its result.
 *
 * Minutes missing in both our store and the dump are asked of Binance REST (a kline REST has is
 * our capture loss, filled with source 'rest'; one it lacks too is the exchange's gap), at most
 * AUDIT_REST_MAX_REQUESTS requests a run (one per ≤ 1,000 minutes of a market-day), through the
 * weight-aware Binance client the ingest uses too (core/binance/rest: X-MBX-USED-WEIGHT-1M,
 * 429/418 Retry-After); minutes left over are reported as not asked and their gaps as unverified.
 *
 * Env: BINANCE_DUMPS_URL (https://data.binance.vision), AUDIT_MARKET_TYPES (spot),
 * AUDIT_LAG_DAYS (2), AUDIT_CONCURRENCY (8 markets and downloads at once),
 * AUDIT_REST_MAX_REQUESTS (500; 0 asks REST nothing), BINANCE_REST_URL /
 * BINANCE_USDM_REST_URL / BINANCE_COINM_REST_URL (the venues' defaults), the store's
 * (lambda/shared/store.ts). Downloads go to /tmp and are deleted once read.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Context } from 'aws-lambda';
import { auditDayAt, runDailyAudit } from '../core/audit/daily';
import { auditHeadline, restLine, type AuditTotals } from '../core/audit/run';
import { readNonNegativeInt, readPositiveInt, type Env } from '../core/config';
import { DEFAULT_DUMPS_URL } from '../core/dumps/paths';
import { DumpSite } from '../core/dumps/site';
import { ConfigError, StoreUnavailableError } from '../core/errors';
import { DAY_MS } from '../core/interval';
import { parseMarketTypes, type MarketType } from '../core/market';
import { restHistory, venueClients } from '../core/binance/rest/history-rest';
import { flushMetrics, logger } from './shared/powertools';
import { discardStore, getStore } from './shared/store';

export const DEFAULT_AUDIT_CONCURRENCY = 8;
/** 500 spot requests are 1,000 weight of Binance's 6,000 a minute (the client keeps half free). */
export const DEFAULT_AUDIT_REST_MAX_REQUESTS = 500;

export interface AuditorSettings {
  dumpsUrl: string;
  marketTypes: MarketType[];
  lagDays: number;
  concurrency: number;
  /** REST requests a run may make about minutes missing in ours and the dump (0: none). */
  restMaxRequests: number;
}

export function readAuditorSettings(env: Env = process.env): AuditorSettings {
  let marketTypes: MarketType[];
  try {
    marketTypes = parseMarketTypes(env.AUDIT_MARKET_TYPES || 'spot', 'AUDIT_MARKET_TYPES');
  } catch (err) {
    throw new ConfigError('AUDIT_MARKET_TYPES', (err as Error).message.replace(/^AUDIT_MARKET_TYPES: /, ''));
  }
  const dumpsUrl = env.BINANCE_DUMPS_URL || DEFAULT_DUMPS_URL;
  if (!/^(https?|file):\/\//.test(dumpsUrl)) throw new ConfigError('BINANCE_DUMPS_URL', `"${dumpsUrl}" is not an http(s):// or file:// URL`);
  return {
    dumpsUrl,
    marketTypes,
    lagDays: readPositiveInt(env, 'AUDIT_LAG_DAYS', 2),
    concurrency: readPositiveInt(env, 'AUDIT_CONCURRENCY', DEFAULT_AUDIT_CONCURRENCY),
    restMaxRequests: readNonNegativeInt(env, 'AUDIT_REST_MAX_REQUESTS', DEFAULT_AUDIT_REST_MAX_REQUESTS),
  };
}

/** The on-demand day, or undefined for a scheduled event. */
export function requestedDay(event: unknown): number | undefined {
  if (typeof event !== 'object' || event === null || !('date' in event)) return undefined;
  const date = (event as { date: unknown }).date;
  const day = typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : NaN;
  if (!Number.isFinite(day) || day % DAY_MS !== 0) throw new ConfigError('date', `${JSON.stringify(date)} is not a day (YYYY-MM-DD)`);
  return day;
}

export interface AuditorResponse {
  day: string;
  headline: string;
  totals: AuditTotals;
  /** Markets whose dump file was unusable, with the reason (named by file). */
  failed: string[];
  notPublished: number;
  /** "REST asked about N minutes in K requests; M not asked (cap)" (absent when REST is off). */
  rest?: string;
}

export const handler = async (event: unknown, context?: Context): Promise<AuditorResponse> => {
  if (context) logger.addContext(context);
  const settings = readAuditorSettings();
  const day = requestedDay(event) ?? auditDayAt(Date.now(), settings.lagDays);
  const site = new DumpSite({ baseUrl: settings.dumpsUrl, tmpDir: join(tmpdir(), 'audit-downloads'), concurrency: settings.concurrency });
  const clients = settings.restMaxRequests > 0 ? venueClients(process.env) : undefined;
  try {
    const store = await getStore();
    const rest = clients && restHistory(clients.clientFor);
    const result = await runDailyAudit({ store, site, marketTypes: settings.marketTypes, day, concurrency: settings.concurrency, rest, restMaxRequests: settings.restMaxRequests });
    const failed = result.markets.filter((m) => m.status === 'failed').map((m) => m.problem ?? `${m.market.marketType} ${m.market.symbol}`);
    const response: AuditorResponse = {
      day: result.day,
      headline: auditHeadline(result),
      totals: result.totals,
      failed,
      notPublished: result.markets.filter((m) => m.status === 'not-published').length,
      ...(result.totals.rest ? { rest: restLine(result.totals.rest) } : {}),
    };
    if (failed.length > 0) logger.error('audit done; some dump files were unusable', { ...response });
    else logger.info('audit done', { ...response });
    return response;
  } catch (err) {
    if (err instanceof StoreUnavailableError) await discardStore();
    throw err;
  } finally {
    clients?.close();
    flushMetrics();
  }
};
