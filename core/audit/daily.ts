/**
 * The scheduled daily audit (lambda/auditor.ts): which day a run audits, which audits a daily
 * report shows, and the run itself (markets of the day → runAudit → kept in the store).
 *
 * Binance publishes a day's daily zips the next day (usually within hours of 00:00 UTC, sometimes
 * later: docs/binance.md). Auditing the day before yesterday (lag 2) leaves a full day of margin;
 * markets still unpublished then are listed as "not published" and can be audited on demand.
 */
import type { DumpSite } from '../dumps/site';
import type { HistoryRest } from '../history/run';
import { DAY_MS } from '../interval';
import type { MarketType } from '../market';
import type { KlineStore, TimeRange } from '../store/port';
import { marketsOfDay } from './markets';
import { runAudit, type AuditResult } from './run';

export const DEFAULT_AUDIT_LAG_DAYS = 2;

/** Start of the UTC day a run at `now` audits: `lagDays` days before today. */
export function auditDayAt(now: number, lagDays = DEFAULT_AUDIT_LAG_DAYS): number {
  return Math.floor(now / DAY_MS) * DAY_MS - lagDays * DAY_MS;
}

/**
 * The days whose audits a report of `range` shows: the range shifted back by the lag, so that a
 * daily report shows each day's audit once, the first report after the audit ran.
 */
export function auditRangeOfReport(range: TimeRange, lagDays = DEFAULT_AUDIT_LAG_DAYS): TimeRange {
  return { from: range.from - lagDays * DAY_MS, to: range.to - lagDays * DAY_MS };
}

export interface DailyAuditOptions {
  store: KlineStore;
  site: DumpSite;
  marketTypes: readonly MarketType[];
  day: number;
  concurrency?: number;
  /** Binance REST for the minutes missing in ours and the dump, at most `restMaxRequests` requests. */
  rest?: HistoryRest;
  restMaxRequests?: number;
}

/** Audit every market of the captured types on `day`, repair from the dump, keep the result. */
export async function runDailyAudit(o: DailyAuditOptions): Promise<AuditResult> {
  if (o.day % DAY_MS !== 0) throw new RangeError(`audit day ${o.day} is not the start of a UTC day`);
  const markets = await marketsOfDay(o.store, o.marketTypes, o.day);
  const result = await runAudit({ store: o.store, site: o.site, markets, day: o.day, concurrency: o.concurrency, rest: o.rest, restMaxRequests: o.restMaxRequests });
  await o.store.saveAudit(result);
  return result;
}
