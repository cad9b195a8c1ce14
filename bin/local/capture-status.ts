/**
 * The capture's figures per market type and over all of them. Pure: the venues' statuses in,
 * figures out (the status line, the periodic log line and the end-of-run verification read them).
 */
import type { MarketType } from '../../core/market';
import type { VenueState, VenueStatus } from '../../ingest-task/capture/capture';
import type { IngestStatus } from '../../ingest-task/capture/ingest';

/** One market type, compactly. */
export interface TypeFigures {
  marketType: MarketType;
  state: VenueState;
  markets: number;
  connections: number;
  /** Every expected minute with open time ≤ this is forwarded (undefined before the first, or while failed). */
  caughtUpTo: number | undefined;
  /** Capture's lag behind this venue's exchange clock (not the store's latency). */
  lagMs: number | undefined;
  /** Why the venue last failed (e.g. the 451 location refusal), while it is not running. */
  error?: string;
  failures: number;
}

const COUNTERS = [
  'markets', 'connections', 'klinesForwarded', 'klinesFromStream', 'klinesFromBackfill', 'marketEvents', 'gapsFound', 'gapsFilled',
  'restWeightUsed', 'restWeightPeak', 'restWeightLimit', 'pendingKlines', 'framesReceived', 'framesParsed', 'framesRejected',
  'framesRefusedForTime', 'reconnects', 'rotations', 'stalls', 'serverShutdowns', 'silentConnections', 'silentStreams', 'pathSwitches',
] as const satisfies readonly (keyof IngestStatus)[];

export function typeFigures(v: VenueStatus): TypeFigures {
  // A stopped venue keeps its last figures (the verification reads them after the stop).
  const s = v.state === 'running' || v.state === 'stopped' ? v.ingest : undefined;
  return {
    marketType: v.marketType,
    state: v.state,
    markets: s?.markets ?? 0,
    connections: s?.connections ?? 0,
    caughtUpTo: s?.caughtUpTo,
    lagMs: s?.lagMs,
    error: v.state === 'running' ? undefined : v.error,
    failures: v.failures,
  };
}

/**
 * All running venues as one IngestStatus: counters summed, `caughtUpTo` the earliest of them (so
 * every running type is captured up to it) and `lagMs` the largest. A failed venue is not in the
 * sums; it shows in its TypeFigures. After a stop, the venues' last figures.
 */
export function combinedIngestStatus(venues: readonly VenueStatus[]): IngestStatus {
  const running = venues.filter((v) => (v.state === 'running' || v.state === 'stopped') && v.ingest).map((v) => v.ingest as IngestStatus);
  const out = Object.fromEntries(COUNTERS.map((k) => [k, 0])) as Record<(typeof COUNTERS)[number], number>;
  for (const s of running) for (const k of COUNTERS) out[k] += s[k];
  const caught = running.map((s) => s.caughtUpTo);
  const known = running.map((s) => s.statusKnownTo);
  const lags = running.map((s) => s.lagMs);
  return {
    ...out,
    exchangeTime: running.length === 0 ? 0 : Math.max(...running.map((s) => s.exchangeTime)),
    caughtUpTo: caught.length === 0 || caught.some((t) => t === undefined) ? undefined : Math.min(...(caught as number[])),
    lagMs: lags.length === 0 || lags.some((l) => l === undefined) ? undefined : Math.max(...(lags as number[])),
    statusKnownTo: known.length === 0 || known.some((t) => t === undefined) ? undefined : Math.min(...(known as number[])),
    streamPath: running.map((s) => s.streamPath).filter((p) => p !== '').join(','),
  };
}
