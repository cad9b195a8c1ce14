/** The live status line shown on a terminal. Pure: figures in, one line out. */
import { redactSecrets } from '../../core/redact';
import type { TypeFigures } from './capture-status';

export interface PipelineStatus {
  markets: number;
  connections: number;
  storedLastMinute: number;
  /**
   * How far capture is behind the exchange, in exchange ms: exchange now − end of the last minute
   * every market is captured up to (not the store's latency, which stays small while capture
   * falls hours behind). Undefined before the first minute.
   */
  lagMs: number | undefined;
  gapsFound: number;
  gapsFilled: number;
  /** Exchange time of the next report, ms. */
  nextReportAt: number | undefined;
  /** Exchange time now, ms. */
  exchangeNow: number;
  storedTotal: number;
  /** Per market type (markets, lag, a failed venue's reason); without it, the totals alone. */
  types?: readonly Pick<TypeFigures, 'marketType' | 'state' | 'markets' | 'lagMs' | 'error'>[];
}

function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** A duration for people: ms, s, min or h. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function lagText(ms: number | undefined): string {
  return ms === undefined ? '–' : formatDuration(ms);
}

/** One type, compactly: `usdm 60 lag 1.2 s`, or `coinm FAILED (reason)` while its venue is down. */
export function formatType(t: NonNullable<PipelineStatus['types']>[number]): string {
  if (t.state === 'running') return `${t.marketType} ${t.markets} lag ${lagText(t.lagMs)}`;
  const error = t.error === undefined ? undefined : redactSecrets(t.error);
  const why = error ? ` (${error.length > 60 ? `${error.slice(0, 57)}…` : error})` : '';
  return `${t.marketType} ${t.state === 'failed' ? 'FAILED' : t.state}${why}`;
}

export function formatStatusLine(s: PipelineStatus): string {
  const next = s.nextReportAt === undefined ? '–' : `${hhmm(s.nextReportAt)}Z`;
  const perType = s.types && s.types.length > 0 ? [s.types.map(formatType).join(' · ')] : [`markets ${s.markets}`, `lag ${lagText(s.lagMs)}`];
  return [
    `${hhmm(s.exchangeNow)}Z`,
    ...perType.slice(0, 1),
    `connections ${s.connections}`,
    `stored ${s.storedTotal.toLocaleString('en-US')} (${s.storedLastMinute.toLocaleString('en-US')}/min)`,
    ...perType.slice(1),
    `gaps ${s.gapsFilled}/${s.gapsFound} filled`,
    `next report ${next}`,
  ].join(' │ ');
}
