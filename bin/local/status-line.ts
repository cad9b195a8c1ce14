/** The live status line shown on a terminal. Pure: figures in, one line out. */

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

export function formatStatusLine(s: PipelineStatus): string {
  const lag = s.lagMs === undefined ? '–' : formatDuration(s.lagMs);
  const next = s.nextReportAt === undefined ? '–' : `${hhmm(s.nextReportAt)}Z`;
  return [
    `${hhmm(s.exchangeNow)}Z`,
    `markets ${s.markets}`,
    `connections ${s.connections}`,
    `stored ${s.storedTotal.toLocaleString('en-US')} (${s.storedLastMinute.toLocaleString('en-US')}/min)`,
    `lag ${lag}`,
    `gaps ${s.gapsFilled}/${s.gapsFound} filled`,
    `next report ${next}`,
  ].join(' │ ');
}
