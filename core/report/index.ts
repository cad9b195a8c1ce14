/**
 * The data-quality report: figures from the store (`core/quality.ts`), rendered as CSV, HTML,
 * an e-mail subject and a one-line summary. Used by `cli report` and the reporter Lambda.
 */
import { MARKET_TYPES, type MarketType } from '../market';
import type { KlineStore, TimeRange } from '../store/port';
import type { MarketQuality, QualityFigures, QualitySummary } from '../quality';
import { alignToMinutes, combineSummaries, computeQuality, expectedPeriods, reportedMarketTypes, reportedSymbols } from '../quality';
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
}

export interface BuildQualityReportOptions extends QualityReportOptions {
  /** Market types to report on. Default: every type with a status event or a stored kline (spot when none has). */
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
    }),
    subject: subjectLine(summary, title),
    summaryLine: summaryLine(summary),
    fileBase: `quality-${compactInstant(summary.range.from)}-${compactInstant(summary.range.to)}`,
  };
}

/**
 * Build the report for the minutes whose open time is in `range`: reads the status history,
 * then per market type the per-market 1m counts and the gaps of every market that was expected
 * or has data.
 */
export async function buildQualityReport(store: KlineStore, range: TimeRange, options: BuildQualityReportOptions = {}): Promise<QualityReport> {
  const window = alignToMinutes(range);
  const history = await store.marketHistory();
  // Every type is counted (one query each) unless the caller names the types: a type with klines
  // but no status history still gets its section.
  const candidates = options.marketTypes ?? MARKET_TYPES;
  const countsByType = new Map<MarketType, Map<string, number>>();
  for (const marketType of new Set(candidates)) {
    countsByType.set(marketType, window.to > window.from ? await store.countByMarket(marketType, '1m', window) : new Map<string, number>());
  }
  const types =
    options.marketTypes ??
    reportedMarketTypes(
      history,
      [...countsByType].filter(([, counts]) => counts.size > 0).map(([t]) => t),
    );
  const sections: QualityFigures[] = [];
  for (const marketType of types) {
    const ofType = history.filter((e) => e.marketType === marketType);
    const counts = countsByType.get(marketType) ?? new Map<string, number>();
    const symbols = reportedSymbols(expectedPeriods(ofType, window), counts);
    const gaps = symbols.length > 0 ? await store.gaps(marketType, '1m', window, symbols) : new Map<string, TimeRange[]>();
    sections.push(computeQuality({ marketType, range: window, history: ofType, counts, gaps }));
  }
  return renderQualityReport(sections, options);
}
