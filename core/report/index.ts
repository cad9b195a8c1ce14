/**
 * The data-quality report: figures from the store (`core/quality.ts`), rendered as CSV, HTML,
 * an e-mail subject and a one-line summary. Used by `cli report` and the reporter Lambda.
 */
import type { MarketStatusEvent, MarketType } from '../market';
import type { KlineStore, TimeRange } from '../store/port';
import type { MarketQuality, QualityFigures, QualitySummary } from '../quality';
import {
  alignToMinutes,
  combineSummaries,
  computeQuality,
  reportedMarketTypes,
  encodeSourceCount,
  expectedPeriods,
  hourStarts,
  HOUR_MS,
  normalizeRanges,
  planMinuteReads,
  qualityInputFromHours,
  type HourBars,
  type HourPlanInput,
  withSources,
} from '../quality';
import type { AuditResult } from '../audit/run';
import { auditDifferencesCsv, auditHtml, auditSummaryLines } from './audit';
import { gapsCsv, marketsCsv } from './csv';
import { renderHtml } from './html';
import { compactInstant, dateOnly, formatCount, formatPercent, isUtcDay, windowLabel } from './format';

export interface QualityReportOptions {
  /** When the report was made (ms); shown in the HTML. Default: now. */
  generatedAt?: number;
  /** Incomplete markets shown with an hour strip. Default 20. */
  worstCount?: number;
  /** Gap rows in the HTML before "and N more". Default 25. */
  gapRows?: number;
  /** Heading and subject prefix. Default "Kline data quality". */
  title?: string;
  /** Dump audits of days in the window (core/audit), shown in their own section. */
  audits?: readonly AuditResult[];
}

export interface BuildQualityReportOptions extends QualityReportOptions {
  /** Market types to report on. Default: spot and every type with status history. */
  marketTypes?: readonly MarketType[];
}

export interface QualityReport {
  /** All market types added up. */
  summary: QualitySummary;
  /** Each market type's figures, in MARKET_TYPES order. */
  sections: QualityFigures[];
  /** Every section's markets: by market type, worst first within a type. */
  markets: MarketQuality[];
  /** One row per market (see `MARKET_CSV_HEADER`). */
  csv: string;
  /** One row per gap: market type, symbol, from, until, minutes. */
  gapsCsv: string;
  html: string;
  subject: string;
  /** e.g. "2024-01-01T00:00Z–2024-01-02T00:00Z: 2,013 markets, 2,893,117 of 2,898,720 datapoints (99.81 %), 37 gaps". */
  summaryLine: string;
  /** With audits: one row per differing field, and one headline per audited day. */
  auditCsv?: string;
  auditLines?: string[];
  /** Base for file names: "quality-20240101T0000Z-20240102T0000Z". */
  fileBase: string;
}

export const DEFAULT_TITLE = 'Kline data quality';

function availabilityText(s: QualitySummary): string {
  return s.datapointsExpected > 0 ? `${formatPercent(s.datapointsPresent, s.datapointsExpected)} %` : 'nothing expected';
}

function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(s: QualitySummary): string {
  const markets = s.marketsCaptured === s.marketsReported ? plural(s.marketsCaptured, 'market') : `${formatCount(s.marketsCaptured)} of ${plural(s.marketsReported, 'market')}`;
  return `${windowLabel(s.range)}: ${markets}, ${formatCount(s.datapointsPresent)} of ${formatCount(s.datapointsExpected)} datapoints (${availabilityText(s)}), ${plural(s.gapCount, 'gap')}`;
}

export function subjectLine(s: QualitySummary, title = DEFAULT_TITLE): string {
  const when = isUtcDay(s.range) ? dateOnly(s.range.from) : windowLabel(s.range);
  return `${title} ${when}: ${availabilityText(s)} available, ${plural(s.gapCount, 'gap')}`;
}

/** Render figures already computed (no store needed): one market type's, or a section per type. */
export function renderQualityReport(figures: QualityFigures | readonly QualityFigures[], options: QualityReportOptions = {}): QualityReport {
  const sections: QualityFigures[] = Array.isArray(figures) ? [...(figures as readonly QualityFigures[])] : [figures as QualityFigures];
  if (sections.length === 0) throw new RangeError('a report needs at least one market type section');
  const summary = sections.length === 1 ? sections[0].summary : combineSummaries(sections[0].summary.range, sections.map((s) => s.summary));
  const markets = sections.flatMap((s) => s.markets);
  const title = options.title ?? DEFAULT_TITLE;
  return {
    summary,
    sections,
    markets,
    csv: marketsCsv(markets),
    gapsCsv: gapsCsv(markets),
    html: renderHtml(sections, {
      title,
      generatedAt: options.generatedAt ?? Date.now(),
      worstCount: options.worstCount ?? 20,
      gapRows: options.gapRows ?? 25,
      extraSections: auditHtml(options.audits ?? []),
    }),
    ...(options.audits && options.audits.length > 0 ? { auditCsv: auditDifferencesCsv(options.audits), auditLines: auditSummaryLines(options.audits) } : {}),
    subject: subjectLine(summary, title),
    summaryLine: summaryLine(summary),
    fileBase: `quality-${compactInstant(summary.range.from)}-${compactInstant(summary.range.to)}`,
  };
}

/** 1h bars read per call: a day of every market at a time keeps the heap small. */
const BAR_READ_MS = 24 * HOUR_MS;

/**
 * Build the report for the minutes whose open time is in `range`: one section per market type
 * (`options.marketTypes`, or spot and every type with status history: `reportedMarketTypes`),
 * each read as `buildSection` says.
 */
export async function buildQualityReport(store: KlineStore, range: TimeRange, options: BuildQualityReportOptions = {}): Promise<QualityReport> {
  const window = alignToMinutes(range);
  const history = await store.marketHistory();
  const sections: QualityFigures[] = [];
  for (const marketType of options.marketTypes ?? reportedMarketTypes(history)) {
    sections.push(await buildSection(store, marketType, window, history.filter((e) => e.marketType === marketType)));
  }
  return renderQualityReport(sections, options);
}

/**
 * One market type's figures, with reads bounded by what is incomplete (docs/data-model.md,
 * "Bounded reads"): the 1h bars of the window (a day at a time, kept as one byte per
 * market-hour); 1m counts only for hours no market has a 1h bar for yet; and 1m open times only
 * for market-hours that are expected and not complete by their bar's `sourceCount`.
 */
async function buildSection(store: KlineStore, marketType: MarketType, window: TimeRange, history: readonly MarketStatusEvent[]): Promise<QualityFigures> {
  const periods = expectedPeriods(history, window);
  const hours = hourStarts(window);
  const bars: HourBars = new Map();
  const withBar = new Uint8Array(hours.length);
  for (let from = hours[0] ?? window.to; from < window.to; from += BAR_READ_MS) {
    const to = Math.min(from + BAR_READ_MS, window.to);
    for (const bar of await store.read({ marketType, interval: '1h', from, to })) {
      const i = (bar.openTime - hours[0]) / HOUR_MS;
      let row = bars.get(bar.symbol);
      if (!row) bars.set(bar.symbol, (row = new Uint8Array(hours.length)));
      row[i] = encodeSourceCount(bar.sourceCount);
      withBar[i] = 1;
    }
  }
  const unresampled = normalizeRanges(
    hours.filter((_, i) => withBar[i] === 0).map((h) => ({ from: Math.max(h, window.from), to: Math.min(h + HOUR_MS, window.to) })),
  );
  const unresampledCounts = new Map<string, number>();
  for (const r of unresampled) {
    for (const [symbol, n] of await store.countByMarket(marketType, '1m', r)) unresampledCounts.set(symbol, (unresampledCounts.get(symbol) ?? 0) + n);
  }
  const plan: HourPlanInput = { window, periods, bars, unresampled, unresampledCounts };

  // Markets with the same ranges to read are asked together.
  const byRange = new Map<string, { range: TimeRange; symbols: string[] }>();
  for (const [symbol, ranges] of planMinuteReads(plan)) {
    for (const r of ranges) {
      const key = `${r.from}-${r.to}`;
      const group = byRange.get(key);
      if (group) group.symbols.push(symbol);
      else byRange.set(key, { range: r, symbols: [symbol] });
    }
  }
  const readGaps = new Map<string, TimeRange[]>();
  for (const { range: r, symbols } of byRange.values()) {
    for (const [symbol, found] of await store.gaps(marketType, '1m', r, symbols.sort())) {
      const list = readGaps.get(symbol);
      if (list) list.push(...found);
      else readGaps.set(symbol, [...found]);
    }
  }
  const { counts, gaps } = qualityInputFromHours(plan, readGaps);
  const figures = computeQuality({ marketType, range: window, history, counts, gaps });
  // Reads only the window's non-stream klines (a partial index): stream = captured − them.
  return { ...figures, summary: withSources(figures.summary, await store.countBySource(marketType, window)) };
}
