/**
 * The ingest of one venue (market type): discovers markets, holds their kline streams, forwards every closed 1m kline
 * exactly once (in minute order per market) to a sink, and backfills every gap from REST.
 *
 *   const ingest = await startIngest({ restUrl, streamUrl, sink, resumeFrom });
 *   ingest.status();        // markets, connections, klines forwarded, gaps, lag
 *   await ingest.stop();    // stop reading, flush the sink
 *
 * Market status changes leave dated by the klines (status-dating.ts): a halt at the open of the
 * market's first minute without a kline, a listing at its first kline, each once the market's
 * backfill covers the refresh that noticed it. A listing is backfilled from the previous refresh.
 *
 * Wiring only: the decisions live in the modules it composes (see each file). Every venue's
 * ingest is independent (own REST client and weight budget, connections, clock, sequencer);
 * capture.ts runs one per selected market type.
 */
import type { IngestBatch } from '../../core/codec';
import type { MarketFilter } from '../../core/config';
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import type { MarketStatusEvent } from '../../core/market';
import { AttemptBudget, DEFAULT_ATTEMPT_BUDGET, DEFAULT_BACKOFF, type AttemptBudgetOptions, type BackoffOptions } from '../../core/binance/backoff';
import { Backfiller } from './backfill';
import { DEFAULT_CONNECTION_TIMERS, type Connection, type ConnectionTimers } from '../streams/connection';
import { StoppedError } from '../../core/binance/errors';
import { ExchangeClock } from './exchange-clock';
import { createFrameHandler } from '../frames/frame-handler';
import { silentLogger, type Logger } from '../../core/logger';
import { MarketWatcher, type MarketChanges } from './markets';
import { INGEST_METRIC } from '../../core/metric-names';
import type { EmfPublisher, MetricValue } from '../metrics';
import { BinanceRestClient, type RestClientOptions } from '../../core/binance/rest/rest-client';
import { MirroredStreams } from '../streams/mirrored-streams';
import { minuteOf, Sequencer } from './sequencer';
import { DEFAULT_SHARD_LIMITS, type ShardLimits } from '../streams/sharding';
import type { KlineSink } from '../sinks/sink';
import { StatusDater } from './status-dating';
import { StreamRoute } from '../streams/stream-route';
import { SPOT } from '../../core/binance/venues/spot';
import type { Venue } from '../../core/binance/venues/venue';

export interface IngestOptions {
  /** The market type captured: paths, limits, exchangeInfo format (default spot). */
  venue?: Venue;
  restUrl: string;
  /** The venue's stream host, with or without one of its routed paths (e.g. wss://fstream.binance.com/market). */
  streamUrl: string;
  sink: KlineSink;
  /** Which markets to capture; empty lists = every TRADING market. */
  marketFilter?: MarketFilter;
  /** Last stored open time per market; markets absent start at the minute they are first seen. */
  resumeFrom?: () => Promise<Map<string, number>>;
  /**
   * Exchange time the capture starts from (e.g. when the local pipeline started). Markets TRADING
   * at the first look without stored history are then backfilled from here and recorded TRADING
   * from their first kline at or after it, like listings. Default: from the first look, recorded
   * at its time.
   */
  captureFrom?: number;
  /** For a market with no stored history: also fetch this much history before first seen (ms, default 0). */
  newMarketHistoryMs?: number;
  /** REAL ms between exchangeInfo refreshes (default 5 minutes). */
  refreshIntervalMs?: number;
  /** REAL ms between gap checks (default 1 s). */
  gapCheckIntervalMs?: number;
  /** EXCHANGE ms a closed minute may arrive late before it is backfilled (default 10 s). */
  lateGraceMs?: number;
  /** REAL ms without exchange-time progress after which the venue's `time` is asked (default 10 s). */
  clockPollMs?: number;
  /** REAL ms between sink sends (default 250 ms). */
  flushIntervalMs?: number;
  /** Pause reading the sockets while this many klines wait for the sink (default 20 000). */
  maxPendingKlines?: number;
  shardLimits?: Partial<ShardLimits>;
  /**
   * Independent connection sets carrying every stream (default 1). With 2, a dropped or stalled
   * connection loses no minute (the other copy delivers it); twice the frames and connections.
   */
  streamCopies?: number;
  connectionTimers?: Partial<ConnectionTimers>;
  /** Streams in the connection URL; the rest are SUBSCRIBEd (default 100). */
  urlStreamsMax?: number;
  /** Streams per SUBSCRIBE message (default 1024). */
  streamsPerMessage?: number;
  /** REAL ms after which a connection is rotated (default 23 h; Binance cuts at 24 h). */
  maxConnectionAgeMs?: number;
  /** REAL ms the old connection may overlap an unproven replacement (default 90 s). */
  rotationOverlapMaxMs?: number;
  backoff?: BackoffOptions;
  attemptBudget?: AttemptBudgetOptions;
  rest?: Omit<RestClientOptions, 'baseUrl' | 'logger'>;
  backfillConcurrency?: number;
  /** REAL ms before a failed backfill of a market is tried again (default 5 s). */
  backfillRetryMs?: number;
  /** Held klines per market before out-of-order release (default 240). */
  maxHeldPerMarket?: number;
  metrics?: EmfPublisher;
  /** REAL ms between metric lines (default 60 s). */
  metricsIntervalMs?: number;
  logger?: Logger;
}

export interface IngestStatus {
  /** Markets currently TRADING and subscribed. */
  markets: number;
  /** Open websocket connections. */
  connections: number;
  klinesForwarded: number;
  klinesFromStream: number;
  klinesFromBackfill: number;
  marketEvents: number;
  gapsFound: number;
  gapsFilled: number;
  /** Latest exchange time seen (ms). */
  exchangeTime: number;
  /** Every expected minute with open time ≤ this is forwarded or known not to exist. */
  caughtUpTo: number | undefined;
  /** Exchange time minus the end of the `caughtUpTo` minute. */
  lagMs: number | undefined;
  /**
   * Every market status change at or before this exchange time has been handed to the sink
   * (undefined before the first look): a report up to here sees every BREAK, HALT and listing.
   */
  statusKnownTo: number | undefined;
  restWeightUsed: number;
  restWeightPeak: number;
  restWeightLimit: number;
  /** Klines waiting for the sink inside the ingest. */
  pendingKlines: number;
  framesReceived: number;
  framesParsed: number;
  framesRejected: number;
  /** Closing frames refused because their time was beyond the exchange clock's bound (exchange-clock.ts). */
  framesRefusedForTime: number;
  reconnects: number;
  rotations: number;
  /** Connections cut because they went silent. */
  stalls: number;
  serverShutdowns: number;
  /** Connections that delivered no kline through the expected close (wrong stream path). */
  silentConnections: number;
  /** Streams silent while their connection delivered others (subscribed again). */
  silentStreams: number;
  /** Times the venue's stream path was abandoned for the next one. */
  pathSwitches: number;
  /** The routed stream path in use ('' = none). */
  streamPath: string;
}

export interface IngestHandle {
  status(): IngestStatus;
  /** Kline streams the ingest wants subscribed (sorted), for status pages and tests. */
  streams(): string[];
  /** Stop reading, forward what is pending, flush the sink (it is not closed: the caller owns it). */
  stop(): Promise<void>;
  /** Resolves after stop(); rejects if the ingest fails for good (e.g. HTTP 451). */
  readonly done: Promise<void>;
}

export async function startIngest(options: IngestOptions): Promise<IngestHandle> {
  const logger = options.logger ?? silentLogger;
  const filter = options.marketFilter ?? { quoteAssets: [], symbols: [] };
  const venue = options.venue ?? SPOT;
  const rest = new BinanceRestClient({ baseUrl: options.restUrl, venue, logger, ...(options.rest ?? {}) });
  const route = new StreamRoute(venue, options.streamUrl);
  const clock = new ExchangeClock();
  const sequencer = new Sequencer(options.maxHeldPerMarket ?? 240);
  const watcher = new MarketWatcher(filter, venue.marketType);
  const budget = new AttemptBudget(options.attemptBudget ?? DEFAULT_ATTEMPT_BUDGET);
  const lateGraceMs = options.lateGraceMs ?? 10_000;
  const maxPending = options.maxPendingKlines ?? 20_000;

  const pendingKlines: Kline[] = [];
  const pendingEvents: MarketStatusEvent[] = [];
  const dater = new StatusDater(venue.marketType);
  const counters = { fromStream: 0, fromBackfill: 0, forwarded: 0, events: 0 };
  let stopped = false;
  let pausedForSink = false;
  let resolveDone!: () => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined); // observed by the caller through `done`

  // --- the hot path (frame-handler.ts) ------------------------------------------------------
  const frames = createFrameHandler<Connection>({
    marketType: venue.marketType,
    sequencer,
    forward: (klines) => forward(klines, 'stream'),
    onClosing: (connection, k, eventTime) => {
      // A kline or event time beyond what the exchange's clock can be is refused (exchange-clock.ts);
      // its minute is backfilled like any other gap, once the exchange really reached it.
      if (!clock.observeFrame(eventTime, k.symbol) || !clock.observeFrame(k.openTime, k.symbol)) {
        recheckClock(eventTime);
        return false;
      }
      manager.noteClosing(connection, k.openTime, k.symbol);
    },
    onControlReply: (connection, id) => manager.acknowledge(connection, id),
    // Its streams stay unsubscribed; the gap detector backfills them and the next reconnect retries.
    onControlError: (connection, id, error) => logger.error('server refused a control message', { connection: connection.id, id, error }),
    onServerShutdown: (connection) => manager.serverShutdown(connection),
    onRejected: (reason) => logger.debug('frame rejected', { reason }),
  });
  const onFrame = frames.handle;

  // After a refused frame, ask the server for its time (at most every 100 ms): if the exchange
  // really is that far ahead, the bound moves and the next frames are accepted.
  let clockCheckAt = 0;
  function recheckClock(claimed: unknown): void {
    if (Date.now() - clockCheckAt < 100) return;
    clockCheckAt = Date.now();
    logger.warn('frame refused: its time is beyond the exchange clock', { claimed, exchangeNow: clock.now(), bound: Math.round(clock.bound()), refused: clock.rejectedFrames });
    rest.serverTime().then(
      (t) => clock.observe(t),
      (err) => logger.warn('server time check failed', { error: err }),
    );
  }

  function forward(klines: Kline[], source: 'stream' | 'backfill'): void {
    for (const k of klines) pendingKlines.push(k);
    dater.observe(klines);
    if (source === 'stream') counters.fromStream += klines.length;
    else counters.fromBackfill += klines.length;
    counters.forwarded += klines.length;
    if (!pausedForSink && pendingKlines.length > maxPending) {
      pausedForSink = true;
      manager.pause();
      logger.warn('sink is slow: pausing stream reads', { pendingKlines: pendingKlines.length });
    }
  }

  const managerOptions = {
    streamUrl: options.streamUrl,
    route,
    shardLimits: { ...DEFAULT_SHARD_LIMITS, maxStreamsPerConnection: venue.maxStreamsPerConnection, ...(options.shardLimits ?? {}) },
    timers: { ...DEFAULT_CONNECTION_TIMERS, ...(options.connectionTimers ?? {}) },
    urlStreamsMax: options.urlStreamsMax ?? 100,
    streamsPerMessage: options.streamsPerMessage ?? 1024,
    maxConnectionAgeMs: options.maxConnectionAgeMs ?? 23 * 3_600_000,
    rotationOverlapMaxMs: options.rotationOverlapMaxMs ?? 90_000,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    budget,
    onFrame,
    logger,
  };
  const manager = new MirroredStreams(managerOptions, options.streamCopies ?? 1);

  const backfiller = new Backfiller({
    marketType: venue.marketType,
    rest,
    sequencer,
    forward: (klines) => forward(klines, 'backfill'),
    currentGap: (symbol) => sequencer.gapOf(symbol, clock.now() - lateGraceMs),
    onFatal: (e) => fail(e),
    concurrency: options.backfillConcurrency ?? 4,
    limit: venue.backfillLimit,
    retryAfterMs: options.backfillRetryMs ?? 5_000,
    logger,
  });

  // --- markets ------------------------------------------------------------------------------
  // Status events are dated by the klines once the market's backfill covers the refresh that
  // noticed them (status-dating.ts); until then they wait here.
  let previousRefreshAt: number | undefined;

  function applyChanges(changes: MarketChanges, at: number, resume: Map<string, number>): void {
    const first = previousRefreshAt === undefined;
    // A listing noticed now may have listed any time after the previous look: fetch from there.
    const since = first ? (options.captureFrom ?? at) : (previousRefreshAt as number);
    const startFrom = Math.min(minuteOf(since), minuteOf(at) - (options.newMarketHistoryMs ?? 0));
    const started = new Set(changes.started);
    const stopped = new Set(changes.stopped);
    for (const symbol of changes.started) {
      if (sequencer.has(symbol)) sequencer.activate(symbol);
      else {
        const last = resume.get(symbol);
        sequencer.track(symbol, last !== undefined ? last + MINUTE_MS : startFrom, last);
      }
    }
    for (const symbol of changes.stopped) sequencer.deactivate(symbol, at);
    for (const e of changes.events) {
      const resumed = resume.has(e.symbol);
      if (first && resumed && e.status !== 'TRADING') {
        // Stopped while no task ran: dated by its klines, like a stop noticed by a refresh.
        const last = resume.get(e.symbol) as number;
        // Owes the minutes it traded before it stopped; tracked now so the event waits for them.
        if (!sequencer.has(e.symbol)) {
          sequencer.track(e.symbol, last + MINUTE_MS, last);
          sequencer.deactivate(e.symbol, at);
        }
        dater.notice({ symbol: e.symbol, status: e.status, kind: 'stop', noticedAt: at, previousAt: last + MINUTE_MS, lastKline: last });
        continue;
      }
      if (first && (options.captureFrom === undefined || resumed || !started.has(e.symbol))) {
        // Present at the very first look: known from then on.
        dater.dated(e);
        pendingEvents.push(e);
        counters.events++;
        continue;
      }
      const kind = started.has(e.symbol) ? 'start' : stopped.has(e.symbol) ? 'stop' : 'other';
      dater.notice({ symbol: e.symbol, status: e.status, kind, noticedAt: at, previousAt: since, lastKline: sequencer.lastKlineOf(e.symbol) });
    }
    for (const r of changes.refused ?? []) logger.warn('market refused: its symbol breaks the symbol rule', { symbol: r.symbol, reason: r.reason });
    manager.remove(changes.stopped);
    manager.add(changes.started);
    previousRefreshAt = at;
    releaseEvents();
    if (changes.events.length > 0) logger.info('market changes', { events: changes.events.length, started: changes.started.length, stopped: changes.stopped.length });
  }

  function releaseEvents(force = false): void {
    const events = dater.release(sequencer, force);
    for (const e of events) pendingEvents.push(e);
    counters.events += events.length;
  }

  // Start: the first exchangeInfo decides (a 451 rejects here, before anything else runs).
  const info = await rest.exchangeInfo();
  clock.observe(info.serverTime);
  const resume = options.resumeFrom ? await options.resumeFrom() : new Map<string, number>();
  applyChanges(watcher.apply(info), info.serverTime, resume);
  // Stored markets not trading now still owe the minutes before they stopped.
  const listed = new Set(info.symbols.map((s) => s.symbol));
  for (const [symbol, last] of resume) {
    if (sequencer.has(symbol)) continue;
    sequencer.track(symbol, last + MINUTE_MS, last);
    sequencer.deactivate(symbol, info.serverTime);
    // Delisted while no task ran: record it, or the report would expect its minutes forever.
    if (!listed.has(symbol)) {
      dater.notice({ symbol, status: 'DELISTED', kind: 'stop', noticedAt: info.serverTime, previousAt: last + MINUTE_MS, lastKline: last });
    }
  }
  releaseEvents();
  logger.info('ingest started', { marketType: venue.marketType, streamUrl: route.url, markets: watcher.trading().length, connections: manager.shardCount, resumed: resume.size, serverTime: info.serverTime });

  // --- loops --------------------------------------------------------------------------------
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, fn: () => void | Promise<void>): void => {
    let running = false;
    timers.push(
      setInterval(() => {
        if (running || stopped) return;
        running = true;
        void Promise.resolve()
          .then(fn)
          .catch((e: unknown) => {
            if (!(e instanceof StoppedError)) logger.warn('periodic task failed', { error: e });
          })
          .finally(() => {
            running = false;
          });
      }, ms),
    );
  };

  let flushing: Promise<void> = Promise.resolve();
  async function flushPending(): Promise<void> {
    while (pendingKlines.length > 0 || pendingEvents.length > 0) {
      const batch: IngestBatch = { klines: pendingKlines.splice(0, 10_000), marketEvents: pendingEvents.splice(0) };
      await options.sink.send(batch);
    }
    if (pausedForSink && pendingKlines.length < maxPending / 2) {
      pausedForSink = false;
      if (!stopped) manager.resume();
    }
  }
  every(options.flushIntervalMs ?? 250, () => {
    flushing = flushPending();
    return flushing;
  });

  every(options.gapCheckIntervalMs ?? 1_000, () => {
    const now = clock.now();
    if (now === 0) return;
    for (const gap of sequencer.gaps(now - lateGraceMs)) backfiller.offer(gap);
    releaseEvents();
    manager.checkSilence(now, lateGraceMs);
  });

  every(options.clockPollMs ?? 10_000, async () => {
    if (Date.now() - clock.lastAdvancedAt < (options.clockPollMs ?? 10_000)) return;
    clock.observe(await rest.serverTime());
  });

  every(options.refreshIntervalMs ?? 300_000, async () => {
    const next = await rest.exchangeInfo();
    clock.observe(next.serverTime);
    applyChanges(watcher.apply(next), next.serverTime, new Map());
  });

  let lastForwarded = 0;
  if (options.metrics && (options.metricsIntervalMs ?? 60_000) > 0) {
    const metrics = options.metrics;
    const intervalMs = options.metricsIntervalMs ?? 60_000;
    every(intervalMs, () => {
      const s = status();
      const sinkStats = options.sink.stats;
      const values: MetricValue[] = [
        { name: INGEST_METRIC.openConnections, value: s.connections, unit: 'Count' },
        // A count since the previous line: the alarm and dashboard sum it per minute.
        { name: INGEST_METRIC.klinesForwarded, value: s.klinesForwarded - lastForwarded, unit: 'Count' },
        { name: INGEST_METRIC.gapsFound, value: s.gapsFound, unit: 'Count' },
        { name: INGEST_METRIC.gapsFilled, value: s.gapsFilled, unit: 'Count' },
        { name: INGEST_METRIC.restWeightUsed, value: s.restWeightUsed, unit: 'Count' },
        { name: INGEST_METRIC.pendingKlines, value: s.pendingKlines, unit: 'Count' },
        { name: INGEST_METRIC.sinkBufferDepth, value: sinkStats?.bufferedItems ?? 0, unit: 'Count' },
        { name: INGEST_METRIC.sinkLatency, value: sinkStats?.lastLatencyMs ?? 0, unit: 'Milliseconds' },
        { name: INGEST_METRIC.lagMs, value: s.lagMs ?? 0, unit: 'Milliseconds' },
        { name: INGEST_METRIC.silentStreams, value: s.silentStreams, unit: 'Count' },
        { name: INGEST_METRIC.streamPathSwitches, value: s.pathSwitches, unit: 'Count' },
      ];
      lastForwarded = s.klinesForwarded;
      metrics.publish(values);
    });
  }

  function statusKnownTo(): number | undefined {
    if (previousRefreshAt === undefined) return undefined;
    let t = previousRefreshAt;
    // A change still waiting to be dated, or dated but not yet sent, happened after this.
    const waiting = dater.earliestWaiting();
    if (waiting !== undefined) t = Math.min(t, waiting - 1);
    for (const e of pendingEvents) t = Math.min(t, e.at - 1);
    return t;
  }

  function status(): IngestStatus {
    const caughtUpTo = sequencer.caughtUpTo();
    const exchangeTime = clock.now();
    return {
      markets: watcher.trading().length,
      connections: manager.openConnections,
      klinesForwarded: counters.forwarded,
      klinesFromStream: counters.fromStream,
      klinesFromBackfill: counters.fromBackfill,
      marketEvents: counters.events,
      gapsFound: backfiller.stats.gapsFound,
      gapsFilled: backfiller.stats.gapsFilled,
      exchangeTime,
      caughtUpTo,
      lagMs: caughtUpTo === undefined ? undefined : Math.max(0, exchangeTime - (caughtUpTo + MINUTE_MS)),
      statusKnownTo: statusKnownTo(),
      restWeightUsed: rest.gate.usedNow,
      restWeightPeak: rest.gate.peakUsed,
      restWeightLimit: rest.gate.limit,
      pendingKlines: pendingKlines.length,
      framesReceived: frames.counters.frames,
      framesParsed: frames.counters.parsed,
      framesRejected: frames.counters.rejected,
      framesRefusedForTime: clock.rejectedFrames,
      reconnects: manager.stats.reconnects,
      rotations: manager.stats.rotations,
      stalls: manager.stats.stalls,
      serverShutdowns: manager.stats.serverShutdowns,
      silentConnections: manager.stats.silentConnections,
      silentStreams: manager.stats.silentStreams,
      pathSwitches: manager.stats.pathSwitches,
      streamPath: route.path,
    };
  }

  async function shutdown(): Promise<void> {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearInterval(t);
    backfiller.stop();
    rest.close();
    await manager.stop();
    await flushing.catch(() => undefined);
    // Changes still waiting for a backfill leave dated with what is known.
    releaseEvents(true);
    await flushPending();
    await options.sink.flush();
    logger.info('ingest stopped', { marketType: venue.marketType, klinesForwarded: counters.forwarded, heldDropped: sequencer.heldCount() });
  }

  function fail(e: Error): void {
    logger.error('ingest failed', { error: e });
    void shutdown().finally(() => rejectDone(e));
  }

  return {
    status,
    streams: () => manager.wantedStreams(),
    async stop() {
      await shutdown();
      resolveDone();
    },
    done,
  };
}
