/**
 * Every selected market type at once: one independent ingest per venue (own REST client and
 * weight budget, connections, pacing, discovery refresh, sequencer), all forwarding to one sink.
 * The Fargate task (main.ts) and the local pipeline (bin/local) both start the capture here.
 *
 * A venue that fails (HTTP 451 at start or later, an exchangeInfo that never answers) is logged,
 * counted and started again after `venueRetryMs`; the other venues never notice. The capture
 * fails only when no venue could start at all. `startCapture` resolves as soon as one venue runs
 * (the others keep starting in the background) or rejects when every first start failed.
 */
import type { MarketFilter } from '../../core/config';
import type { MarketType } from '../../core/market';
import { silentLogger, type Logger } from '../../core/logger';
import type { EmfPublisher } from '../metrics';
import type { KlineSink } from '../sinks/sink';
import type { Venue } from '../../core/binance/venues/venue';
import { startIngest, type IngestHandle, type IngestOptions, type IngestStatus } from './ingest';

export interface VenueSelection {
  venue: Venue;
  restUrl: string;
  streamUrl: string;
  /** Which of its markets to capture; empty lists = every TRADING market. */
  marketFilter?: MarketFilter;
}

export interface CaptureOptions extends Omit<IngestOptions, 'venue' | 'restUrl' | 'streamUrl' | 'marketFilter' | 'resumeFrom' | 'metrics' | 'logger'> {
  venues: readonly VenueSelection[];
  sink: KlineSink;
  /** Last stored open time per market of one type (symbol → open time). */
  resumeFrom?: (marketType: MarketType) => Promise<Map<string, number>>;
  /** REAL ms before a failed venue is started again (default 60 s). */
  venueRetryMs?: number;
  /** One publisher per venue (metrics carry the market type), or none. */
  metrics?: (marketType: MarketType) => EmfPublisher;
  logger?: Logger;
}

export type VenueState = 'starting' | 'running' | 'failed' | 'stopped';

export interface VenueStatus {
  marketType: MarketType;
  state: VenueState;
  /** Why the venue last failed (a 451 names the location refusal). */
  error?: string;
  failures: number;
  ingest?: IngestStatus;
}

export interface CaptureStatus {
  venues: VenueStatus[];
  /** Sums over the running venues. */
  markets: number;
  connections: number;
  klinesForwarded: number;
}

export interface CaptureHandle {
  status(): CaptureStatus;
  /** Each running venue's wanted streams. */
  streams(marketType: MarketType): string[];
  /** The running ingest of a venue (status pages and tests). */
  ingest(marketType: MarketType): IngestHandle | undefined;
  stop(): Promise<void>;
  /** Resolves after stop(); rejects only when no venue could start. */
  readonly done: Promise<void>;
}

interface VenueRun {
  selection: VenueSelection;
  state: VenueState;
  handle?: IngestHandle;
  error?: string;
  failures: number;
  retryTimer?: NodeJS.Timeout;
  starting?: Promise<void>;
}

export async function startCapture(options: CaptureOptions): Promise<CaptureHandle> {
  const logger = options.logger ?? silentLogger;
  if (options.venues.length === 0) throw new Error('startCapture: no market type selected');
  const seen = new Set<MarketType>();
  for (const v of options.venues) {
    if (seen.has(v.venue.marketType)) throw new Error(`startCapture: market type ${v.venue.marketType} selected twice`);
    seen.add(v.venue.marketType);
  }
  const retryMs = options.venueRetryMs ?? 60_000;
  const { venues, resumeFrom, venueRetryMs: _retry, metrics, logger: _logger, ...shared } = options;
  let stopped = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const runs = venues.map((selection): VenueRun => ({ selection, state: 'starting', failures: 0 }));

  function failed(run: VenueRun, e: Error): void {
    const marketType = run.selection.venue.marketType;
    run.failures++;
    run.state = 'failed';
    run.error = e.message;
    run.handle = undefined;
    if (stopped) return;
    logger.error('venue failed; the other market types carry on', { marketType, error: e, retryInMs: retryMs });
    run.retryTimer = setTimeout(() => (run.starting = start(run)), retryMs);
  }

  async function start(run: VenueRun): Promise<void> {
    if (stopped) return;
    const { venue, restUrl, streamUrl, marketFilter } = run.selection;
    const marketType = venue.marketType;
    run.state = 'starting';
    const venueLogger = logger.child({ marketType });
    try {
      const handle = await startIngest({
        ...shared,
        venue,
        restUrl,
        streamUrl,
        marketFilter,
        resumeFrom: resumeFrom ? () => resumeFrom(marketType) : undefined,
        metrics: metrics?.(marketType),
        logger: venueLogger,
      });
      if (stopped) {
        await handle.stop();
        return;
      }
      run.handle = handle;
      run.state = 'running';
      run.error = undefined;
      handle.done.then(
        () => undefined,
        (e: Error) => failed(run, e),
      );
    } catch (e) {
      failed(run, e as Error);
    }
  }

  for (const run of runs) run.starting = start(run);
  // Resolve at the first venue running, or once every venue has failed its first start.
  await new Promise<void>((resolve) => {
    let settled = 0;
    for (const run of runs) {
      void (run.starting as Promise<void>).then(() => {
        settled++;
        if (run.state === 'running' || settled === runs.length) resolve();
      });
    }
  });
  if (runs.every((r) => r.state === 'failed')) {
    stopped = true;
    for (const r of runs) clearTimeout(r.retryTimer);
    const reasons = runs.map((r) => `${r.selection.venue.marketType}: ${r.error}`).join('; ');
    throw new Error(`no market type could start (${reasons})`);
  }

  function status(): CaptureStatus {
    const out: CaptureStatus = { venues: [], markets: 0, connections: 0, klinesForwarded: 0 };
    for (const r of runs) {
      const ingest = r.handle?.status();
      out.venues.push({ marketType: r.selection.venue.marketType, state: r.state, error: r.error, failures: r.failures, ingest });
      if (ingest) {
        out.markets += ingest.markets;
        out.connections += ingest.connections;
        out.klinesForwarded += ingest.klinesForwarded;
      }
    }
    return out;
  }

  const byType = (marketType: MarketType): VenueRun | undefined => runs.find((r) => r.selection.venue.marketType === marketType);

  return {
    status,
    streams: (marketType) => byType(marketType)?.handle?.streams() ?? [],
    ingest: (marketType) => byType(marketType)?.handle,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const r of runs) clearTimeout(r.retryTimer);
      await Promise.all(
        runs.map(async (r) => {
          await r.starting;
          await r.handle?.stop();
          r.state = 'stopped';
        }),
      );
      resolveDone();
    },
    done,
  };
}
