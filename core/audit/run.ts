/**
 * The daily audit: once Binance has published a day's dump, compare every market's archived
 * minutes of that day with it, repair the minutes we lack from the dump (source 'dump'), keep
 * and list the differing ones with both values, and classify every missing minute.
 */
import { readCsvBatches, DumpRowError } from '../dumps/csv-batches';
import { DumpError } from '../dumps/errors';
import { dayString, dumpLabel, type DumpFile } from '../dumps/paths';
import type { DumpSite } from '../dumps/site';
import { openDumpZip } from '../dumps/zip';
import { DAY_MS } from '../interval';
import type { Kline, KlineSource } from '../kline';
import { marketKey, type MarketRef, type MarketStatusEvent } from '../market';
import type { KlineStore, TimeRange } from '../store/port';
import type { HistoryRest } from '../history/run';
import { compareDay, type MinuteDifference } from './compare';
import { classifyMissing, gapMinutes, lifePeriods, type ClassifiedGap, type GapClass } from './gaps';
import { askRest, type RestBudget } from './rest-check';

export interface MarketAudit {
  market: MarketRef;
  /** audited; not-published: no dump (yet) for this market-day; failed: the file was unusable. */
  status: 'audited' | 'not-published' | 'failed';
  problem?: string;
  /** Minutes in Binance's dump. */
  exchangeMinutes: number;
  equal: number;
  differing: MinuteDifference[];
  /** Open times Binance's dump has and we did not (before repair). */
  missingOurs: number[];
  missingTheirs: number[];
  /** Minutes filled from the dump. */
  repaired: number;
  /** Minutes the dump lacks and REST had (filled with source 'rest'). */
  restRecovered: number;
  /** Our minutes of the day before repair, by provenance (absent in audits kept before it was counted). */
  bySource?: SourceCounts;
  /** What asking REST about the exchange's gaps did (absent when REST was not used, and in older audits). */
  rest?: RestTotals;
  gaps: ClassifiedGap[];
}

/** REST asked about N (askedMinutes) minutes in K requests; M not asked (cap); F whose request failed. */
export interface RestTotals {
  askedMinutes: number;
  requests: number;
  notAsked: number;
  failedMinutes: number;
}

/** Stored 1m klines by where they came from: the stream, REST backfill, a dump. */
export type SourceCounts = Record<'stream' | KlineSource, number>;

export function countBySource(klines: readonly Kline[]): SourceCounts {
  const out: SourceCounts = { stream: 0, rest: 0, dump: 0 };
  for (const k of klines) out[k.source ?? 'stream']++;
  return out;
}

export interface AuditTotals {
  markets: number;
  audited: number;
  exchangeMinutes: number;
  equal: number;
  differing: number;
  missingOurs: number;
  missingTheirs: number;
  repaired: number;
  restRecovered: number;
  /** Absent in audits kept before provenance was counted. */
  bySource?: SourceCounts;
  /** Absent when REST was not used (and in audits kept before it was counted). */
  rest?: RestTotals;
  gapMinutes: Record<GapClass | 'repaired', number>;
}

export interface AuditResult {
  /** `YYYY-MM-DD`. */
  day: string;
  range: TimeRange;
  markets: MarketAudit[];
  totals: AuditTotals;
}

export interface AuditOptions {
  store: KlineStore;
  site: DumpSite;
  markets: readonly MarketRef[];
  /** Start of the UTC day (ms). */
  day: number;
  /** Fill missing minutes from the dump (default true). */
  repair?: boolean;
  /**
   * Binance REST, asked for the minutes neither we nor the dump have while the market was listed:
   * a kline REST has is a capture loss (repaired with source 'rest'), not the exchange's gap.
   */
  rest?: HistoryRest;
  /**
   * Most REST requests the whole run makes (default: no cap); minutes left over stay unverified.
   * Each request is one klines page of at most 1,000 minutes (weight 2 on spot), so a market-day
   * needs at most two.
   */
  restMaxRequests?: number;
  /** The run's remaining requests (runAudit sets it from `restMaxRequests`; shared by every market). */
  restBudget?: RestBudget;
  concurrency?: number;
}

async function readDump(site: DumpSite, file: DumpFile): Promise<Kline[]> {
  const label = dumpLabel(file);
  const dump = await site.get(file);
  try {
    const out: Kline[] = [];
    const { stream } = await openDumpZip(dump.path, label);
    try {
      for await (const b of readCsvBatches(stream, { marketType: file.marketType, symbol: file.symbol })) out.push(...b.klines);
    } catch (err) {
      if (err instanceof DumpRowError) throw new DumpError('bad-row', label, err.message);
      throw err;
    } finally {
      stream.destroy();
    }
    return out;
  } finally {
    await site.release(dump);
  }
}

function emptyAudit(market: MarketRef, status: MarketAudit['status'], problem?: string): MarketAudit {
  return { market, status, ...(problem ? { problem } : {}), exchangeMinutes: 0, equal: 0, differing: [], missingOurs: [], missingTheirs: [], repaired: 0, restRecovered: 0, gaps: [] };
}

export async function auditMarket(o: AuditOptions, market: MarketRef, history: readonly MarketStatusEvent[]): Promise<MarketAudit> {
  const range = { from: o.day, to: o.day + DAY_MS };
  const file: DumpFile = { ...market, period: 'daily', date: dayString(o.day) };
  let theirs: Kline[];
  try {
    theirs = await readDump(o.site, file);
  } catch (err) {
    if (err instanceof DumpError && err.kind === 'not-published') return emptyAudit(market, 'not-published');
    return emptyAudit(market, 'failed', (err as Error).message);
  }
  const ours = await o.store.read({ marketType: market.marketType, interval: '1m', symbols: [market.symbol], ...range });
  const cmp = compareDay(ours, theirs);
  const repaired = new Set<number>();
  if ((o.repair ?? true) && cmp.missingOurs.length > 0) {
    const fill = cmp.missingOurs.map((k) => ({ ...k, source: 'dump' as const }));
    const result = await o.store.upsert('1m', fill);
    const refused = new Set(result.failures.map((f) => f.index));
    fill.forEach((k, i) => refused.has(i) || repaired.add(k.openTime));
  }
  const oursTimes = new Set(ours.map((k) => k.openTime));
  const exchange = new Set(theirs.map((k) => k.openTime));
  const life = lifePeriods(history);
  let gaps = classifyMissing(range, oursTimes, exchange, life, repaired);
  const repairedFromDump = repaired.size;
  let restRecovered = 0;
  let restProblem: string | undefined;
  let restTotals: RestTotals | undefined;
  const exchangeGaps = gaps.filter((x) => x.class === 'no-kline-at-exchange');
  let unverified = new Set<number>();
  if (o.rest) {
    const check = await askRest(o.rest, market, exchangeGaps, o.restBudget ?? { left: o.restMaxRequests ?? Infinity });
    // A delisted market has no REST any more (-1121): the dump's word stands for what was not answered.
    restProblem = check.problem;
    restTotals = { askedMinutes: check.askedMinutes, requests: check.requests, notAsked: check.notAsked, failedMinutes: check.failedMinutes };
    unverified = check.unverified;
    for (const k of check.klines) exchange.add(k.openTime);
    if (check.klines.length > 0 && (o.repair ?? true)) {
      const fill = check.klines.map((k) => ({ ...k, source: 'rest' as const }));
      const result = await o.store.upsert('1m', fill);
      const refused = new Set(result.failures.map((f) => f.index));
      fill.forEach((k, i) => {
        if (refused.has(i)) return;
        repaired.add(k.openTime);
        restRecovered++;
      });
    }
  } else {
    for (const g of exchangeGaps) for (let t = g.from; t < g.to; t += 60_000) unverified.add(t);
  }
  gaps = classifyMissing(range, oursTimes, exchange, life, repaired, unverified);
  return {
    market,
    status: 'audited',
    ...(restProblem ? { problem: restProblem } : {}),
    exchangeMinutes: theirs.length,
    equal: cmp.equal,
    differing: cmp.differing,
    missingOurs: cmp.missingOurs.map((k) => k.openTime),
    missingTheirs: cmp.missingTheirs,
    repaired: repairedFromDump,
    restRecovered,
    bySource: countBySource(ours),
    ...(restTotals ? { rest: restTotals } : {}),
    gaps,
  };
}

export function auditTotals(markets: readonly MarketAudit[]): AuditTotals {
  const bySource: SourceCounts = { stream: 0, rest: 0, dump: 0 };
  const t: AuditTotals = { markets: markets.length, audited: 0, exchangeMinutes: 0, equal: 0, differing: 0, missingOurs: 0, missingTheirs: 0, repaired: 0, restRecovered: 0, bySource, gapMinutes: gapMinutes([]) };
  for (const m of markets) {
    if (m.status === 'audited') t.audited++;
    t.exchangeMinutes += m.exchangeMinutes;
    t.equal += m.equal;
    t.differing += m.differing.length;
    t.missingOurs += m.missingOurs.length;
    t.missingTheirs += m.missingTheirs.length;
    t.repaired += m.repaired;
    t.restRecovered += m.restRecovered ?? 0;
    for (const k of ['stream', 'rest', 'dump'] as const) bySource[k] += m.bySource?.[k] ?? 0;
    if (m.rest) {
      t.rest ??= { askedMinutes: 0, requests: 0, notAsked: 0, failedMinutes: 0 };
      for (const k of ['askedMinutes', 'requests', 'notAsked', 'failedMinutes'] as const) t.rest[k] += m.rest[k];
    }
    const g = gapMinutes(m.gaps);
    for (const k of Object.keys(g) as (keyof typeof g)[]) t.gapMinutes[k] += g[k];
  }
  return t;
}

export async function runAudit(o: AuditOptions): Promise<AuditResult> {
  if (o.day % DAY_MS !== 0) throw new RangeError(`audit day ${o.day} is not the start of a UTC day`);
  const history = await o.store.marketHistory();
  const byMarket = new Map<string, MarketStatusEvent[]>();
  for (const e of history) {
    const key = marketKey(e);
    byMarket.set(key, [...(byMarket.get(key) ?? []), e]);
  }
  const run: AuditOptions = { ...o, restBudget: o.restBudget ?? { left: o.restMaxRequests ?? Infinity } };
  const queue = [...o.markets];
  const out: MarketAudit[] = [];
  const worker = async () => {
    for (let m = queue.shift(); m; m = queue.shift()) out.push(await auditMarket(run, m, byMarket.get(marketKey(m)) ?? []));
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  out.sort((a, b) => (marketKey(a.market) < marketKey(b.market) ? -1 : 1));
  return { day: dayString(o.day), range: { from: o.day, to: o.day + DAY_MS }, markets: out, totals: auditTotals(out) };
}

/** The report's line: "verified against Binance's dump: N of M minutes equal". */
export function auditHeadline(r: AuditResult): string {
  const t = r.totals;
  const pct = (a: number, b: number) => (b === 0 ? '–' : `${(Math.floor((a / b) * 100_000) / 1000).toFixed(3)} %`);
  const captured = t.exchangeMinutes - t.missingOurs;
  return (
    `${r.day}: verified against Binance's dump: ${t.equal.toLocaleString('en')} of ${t.exchangeMinutes.toLocaleString('en')} minutes equal, ` +
    `${t.differing} differing, ${t.missingOurs} missing in ours (${t.repaired} repaired from the dump), ${t.missingTheirs} missing in Binance's${t.restRecovered > 0 ? ` (${t.restRecovered} more found in REST and filled)` : ''}; ` +
    `captured ${pct(captured, t.exchangeMinutes)} of what Binance produced (${pct(captured + t.repaired, t.exchangeMinutes)} after repair); ` +
    `exchange gaps ${t.gapMinutes['no-kline-at-exchange']} min, outside market life ${t.gapMinutes['outside-life']} min; ` +
    `${t.audited} of ${t.markets} markets audited` +
    (t.rest ? `; ${restLine(t.rest)}` : '')
  );
}

/** "REST asked about N minutes in K requests; M not asked (cap)", and the failed ones if any. */
export function restLine(r: RestTotals): string {
  return `REST asked about ${r.askedMinutes} minutes in ${r.requests} requests; ${r.notAsked} not asked (cap)${r.failedMinutes > 0 ? `; ${r.failedMinutes} unanswered (REST failed)` : ''}`;
}
