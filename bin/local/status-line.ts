/** The live status line shown on a terminal. Pure: figures in, one line out. */

export interface PipelineStatus {
  markets: number;
  connections: number;
  storedLastMinute: number;
  /** Kline close → stored, ms (p50 over the last minute), undefined before the first kline. */
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

export function formatStatusLine(s: PipelineStatus): string {
  const lag = s.lagMs === undefined ? '–' : s.lagMs < 1000 ? `${Math.round(s.lagMs)} ms` : `${(s.lagMs / 1000).toFixed(1)} s`;
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
