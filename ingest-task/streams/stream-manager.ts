/**
 * Keeps the wanted kline streams subscribed, across however many connections the shard plan
 * needs. Each shard (a set of streams) has one active connection and, while rotating, a
 * replacement. One reconnect path: an unexpected close waits a jittered exponential backoff and
 * an attempt-budget slot, then reconnects with the shard's current streams.
 *
 * Rotation (before Binance's 24 h cut, or at once on `serverShutdown`): open the replacement,
 * wait until it has delivered closing updates of a minute that began after it was fully
 * subscribed (or `rotationOverlapMaxMs` passed), then close the old one. Both deliver during the
 * overlap; the sequencer drops the doubles.
 *
 * Silence (checkSilence, driven by the exchange clock): a fully subscribed connection that
 * delivers no closing kline through the close of its first full minute is on a path that does
 * not carry its streams (USDⓈ-M routes streams by path and a wrong path is silent): the venue's
 * route moves to its next path and the connection is replaced. A stream that misses two closes
 * its connection's other streams delivered is subscribed again (the gap detector backfills it).
 */
import { AttemptBudget, backoffDelay, type BackoffOptions } from '../../core/binance/backoff';
import { Connection, type ConnectionTimers } from './connection';
import { silentLogger, type Logger } from '../../core/logger';
import { klineStreamName, pickConnectionWithRoom, shardMarkets, type ShardLimits } from './sharding';
import type { StreamRoute } from './stream-route';

const MINUTE_MS = 60_000;

export interface StreamManagerOptions {
  streamUrl: string;
  /** The venue's routed path, shared by its managers (default: `streamUrl` as given, never changed). */
  route?: StreamRoute;
  shardLimits: ShardLimits;
  timers: ConnectionTimers;
  urlStreamsMax: number;
  streamsPerMessage: number;
  /** Rotate a connection once it is this old (REAL ms; Binance cuts at 24 h). */
  maxConnectionAgeMs: number;
  /** Close the old connection after this long even if the replacement is not yet proven. */
  rotationOverlapMaxMs: number;
  backoff: BackoffOptions;
  budget: AttemptBudget;
  onFrame: (frame: Buffer, connection: Connection) => void;
  logger?: Logger;
  /** Connection ids (default: 1, 2, 3, … per manager); managers sharing streams share the source. */
  nextConnectionId?: () => number;
}

interface Shard {
  id: number;
  streams: Set<string>;
  active: Connection | undefined;
  replacement: Connection | undefined;
  /** Consecutive failed connections (reset when a connection proves healthy). */
  failures: number;
  reconnectTimer: NodeJS.Timeout | undefined;
  rotateTimer: NodeJS.Timeout | undefined;
  overlapTimer: NodeJS.Timeout | undefined;
}

interface ConnectionProgress {
  shard: Shard;
  /** The base URL it was opened with (its routed path). */
  url: string;
  /** Minute of the first closing update after full subscription. */
  firstMinute: number | undefined;
  healthy: boolean;
  /** Exchange time the silence check first saw it fully subscribed. */
  subscribedAt: number | undefined;
  /** Latest closing minute it delivered, of any stream. */
  lastMinute: number | undefined;
  /** Per stream: latest closing minute delivered. */
  streamLast: Map<string, number>;
  /** Per stream subscribed after the connection: exchange time of the SUBSCRIBE. */
  streamSince: Map<string, number>;
}

export class StreamManager {
  private readonly shards = new Map<number, Shard>();
  private readonly progress = new Map<Connection, ConnectionProgress>();
  private nextShardId = 1;
  private nextConnectionId = 1;
  private stopping = false;
  private paused = false;
  private readonly logger: Logger;
  readonly stats = { connectionsOpened: 0, reconnects: 0, rotations: 0, stalls: 0, serverShutdowns: 0, silentConnections: 0, silentStreams: 0, pathSwitches: 0 };
  /** Exchange time of the latest silence check (0 before the first). */
  private checkedAt = 0;

  constructor(private readonly options: StreamManagerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Open connections carrying `symbols`' streams (first call), or add them. */
  add(symbols: readonly string[]): void {
    const streams = symbols.map(klineStreamName).filter((s) => !this.owner(s));
    if (streams.length === 0) return;
    const overflow: string[] = [];
    for (const stream of streams) {
      const shards = [...this.shards.values()];
      const i = pickConnectionWithRoom(
        shards.map((s) => s.streams.size),
        this.options.shardLimits,
      );
      if (i < 0) {
        overflow.push(stream);
        continue;
      }
      const shard = shards[i];
      shard.streams.add(stream);
      for (const c of [shard.active, shard.replacement]) {
        if (!c) continue;
        c.subscribe([stream]);
        this.progress.get(c)?.streamSince.set(stream, this.checkedAt);
      }
    }
    for (const group of shardMarkets(overflow, this.options.shardLimits)) this.createShard(group);
  }

  remove(symbols: readonly string[]): void {
    for (const symbol of symbols) {
      const stream = klineStreamName(symbol);
      const shard = this.owner(stream);
      if (!shard) continue;
      shard.streams.delete(stream);
      shard.active?.unsubscribe([stream]);
      shard.replacement?.unsubscribe([stream]);
      if (shard.streams.size === 0) this.dropShard(shard);
    }
  }

  /** Called by the frame handler for every closing kline a connection delivers. */
  noteClosing(connection: Connection, openTime: number, symbol?: string): void {
    const p = this.progress.get(connection);
    if (!p) return;
    if (p.lastMinute === undefined || openTime > p.lastMinute) p.lastMinute = openTime;
    if (symbol !== undefined) {
      const stream = klineStreamName(symbol);
      if ((p.streamLast.get(stream) ?? -Infinity) < openTime) p.streamLast.set(stream, openTime);
    }
    if (!p.healthy) {
      p.healthy = true;
      p.shard.failures = 0;
    }
    if (connection !== p.shard.replacement || !connection.fullySubscribed) return;
    if (p.firstMinute === undefined) p.firstMinute = openTime;
    else if (openTime > p.firstMinute) this.promote(p.shard, 'replacement proven');
  }

  /**
   * Find silent connections and streams at exchange time `now` (see the header). `graceMs`: how
   * late a closing update may be (exchange ms).
   */
  checkSilence(now: number, graceMs: number): void {
    if (now <= 0 || this.stopping || this.paused) return;
    this.checkedAt = now;
    for (const [c, p] of this.progress) {
      if (c.state !== 'open' || !c.fullySubscribed || c.streams.size === 0) continue;
      if (p.subscribedAt === undefined) {
        p.subscribedAt = now;
        continue;
      }
      if (p.lastMinute === undefined) {
        // The minute after the one it subscribed in must have closed (and its close arrived).
        if (now > Math.floor(p.subscribedAt / MINUTE_MS) * MINUTE_MS + 2 * MINUTE_MS + graceMs) this.silentConnection(p.shard, c, p);
        continue;
      }
      const ref = p.lastMinute - MINUTE_MS;
      for (const stream of c.streams) {
        const since = p.streamSince.get(stream) ?? p.subscribedAt;
        const firstFull = Math.floor(since / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
        if (firstFull > ref || (p.streamLast.get(stream) ?? -Infinity) >= ref) continue;
        this.stats.silentStreams++;
        this.logger.warn('stream silent while its connection delivers others: subscribing it again', { connection: c.id, stream, lastMinute: p.lastMinute });
        p.streamLast.delete(stream);
        p.streamSince.set(stream, now);
        c.unsubscribe([stream]);
        c.subscribe([stream]);
      }
    }
  }

  private silentConnection(shard: Shard, c: Connection, p: ConnectionProgress): void {
    this.stats.silentConnections++;
    const route = this.options.route;
    const switched = route?.abandon(p.url) ?? false;
    if (switched) this.stats.pathSwitches++;
    this.logger.warn('connection silent past the expected close: its path does not carry the streams', {
      connection: c.id,
      shard: shard.id,
      url: p.url,
      nextUrl: route?.url ?? p.url,
      switched,
    });
    c.close('silent: no kline through the expected close');
  }

  /** `serverShutdown` on a connection: replace it now. */
  serverShutdown(connection: Connection): void {
    const p = this.progress.get(connection);
    if (!p || p.shard.active !== connection) return;
    this.stats.serverShutdowns++;
    this.logger.info('serverShutdown: replacing connection', { connection: connection.id });
    this.startRotation(p.shard);
  }

  /** Route a `{"id":N}` control reply to its connection. */
  acknowledge(connection: Connection, id: number): void {
    connection.acknowledge(id);
  }

  get openConnections(): number {
    let n = 0;
    for (const c of this.progress.keys()) if (c.state === 'open') n++;
    return n;
  }

  get shardCount(): number {
    return this.shards.size;
  }

  /** Streams per shard (for status and tests). */
  shardSizes(): number[] {
    return [...this.shards.values()].map((s) => s.streams.size);
  }

  /** Every stream some shard carries, sorted. */
  wantedStreams(): string[] {
    return [...this.shards.values()].flatMap((s) => [...s.streams]).sort();
  }

  connections(): Connection[] {
    return [...this.progress.keys()];
  }

  pause(): void {
    this.paused = true;
    for (const c of this.progress.keys()) c.pause();
  }

  resume(): void {
    this.paused = false;
    for (const c of this.progress.keys()) c.resume();
  }

  /** Close everything; resolves when every socket is closed. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const shard of this.shards.values()) this.clearTimers(shard);
    const open = [...this.progress.keys()];
    await Promise.all(
      open.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.state === 'closed') return resolve();
            const check = setInterval(() => {
              if (c.state === 'closed') {
                clearInterval(check);
                resolve();
              }
            }, 20);
            c.close('stopping');
          }),
      ),
    );
  }

  private owner(stream: string): Shard | undefined {
    for (const s of this.shards.values()) if (s.streams.has(stream)) return s;
    return undefined;
  }

  private createShard(streams: string[]): void {
    const shard: Shard = { id: this.nextShardId++, streams: new Set(streams), active: undefined, replacement: undefined, failures: 0, reconnectTimer: undefined, rotateTimer: undefined, overlapTimer: undefined };
    this.shards.set(shard.id, shard);
    this.connectActive(shard);
  }

  private dropShard(shard: Shard): void {
    this.clearTimers(shard);
    this.shards.delete(shard.id);
    shard.active?.close('no streams left');
    shard.replacement?.close('no streams left');
  }

  private clearTimers(shard: Shard): void {
    clearTimeout(shard.reconnectTimer);
    clearTimeout(shard.rotateTimer);
    clearTimeout(shard.overlapTimer);
    shard.reconnectTimer = shard.rotateTimer = shard.overlapTimer = undefined;
  }

  /** Open a connection for the shard if the attempt budget allows, else retry when it does. */
  private open(shard: Shard, role: 'active' | 'replacement'): Connection | undefined {
    if (!this.options.budget.tryAcquire()) return undefined;
    this.stats.connectionsOpened++;
    const url = this.options.route?.url ?? this.options.streamUrl;
    const connection = new Connection({
      id: this.options.nextConnectionId ? this.options.nextConnectionId() : this.nextConnectionId++,
      baseUrl: url,
      streams: [...shard.streams],
      urlStreamsMax: this.options.urlStreamsMax,
      streamsPerMessage: this.options.streamsPerMessage,
      timers: this.options.timers,
      onFrame: this.options.onFrame,
      onOpen: (c) => {
        if (this.paused) c.pause();
        this.logger.info('connection open', { connection: c.id, shard: shard.id, role, streams: c.streams.size });
        if (shard.active === c) this.scheduleRotation(shard, c);
      },
      onClose: (c, reason) => this.onClose(shard, c, reason),
    });
    this.progress.set(connection, { shard, url, firstMinute: undefined, healthy: false, subscribedAt: undefined, lastMinute: undefined, streamLast: new Map(), streamSince: new Map() });
    return connection;
  }

  private connectActive(shard: Shard): void {
    if (this.stopping || !this.shards.has(shard.id)) return;
    const c = this.open(shard, 'active');
    if (c) {
      shard.active = c;
      return;
    }
    const wait = Math.max(50, this.options.budget.waitMs());
    this.logger.warn('connection attempt budget exhausted; waiting', { shard: shard.id, waitMs: wait });
    shard.reconnectTimer = setTimeout(() => this.connectActive(shard), wait);
  }

  private scheduleRotation(shard: Shard, c: Connection): void {
    clearTimeout(shard.rotateTimer);
    const due = Math.max(0, this.options.maxConnectionAgeMs - c.ageMs);
    shard.rotateTimer = setTimeout(() => this.startRotation(shard), due);
  }

  private startRotation(shard: Shard): void {
    if (this.stopping || shard.replacement || !shard.active) return;
    clearTimeout(shard.rotateTimer);
    const c = this.open(shard, 'replacement');
    if (!c) {
      shard.rotateTimer = setTimeout(() => this.startRotation(shard), Math.max(50, this.options.budget.waitMs()));
      return;
    }
    this.stats.rotations++;
    shard.replacement = c;
    shard.overlapTimer = setTimeout(() => this.promote(shard, 'overlap timeout'), this.options.rotationOverlapMaxMs);
  }

  /** The replacement becomes the active connection; the old one is closed. */
  private promote(shard: Shard, why: string): void {
    const next = shard.replacement;
    if (!next || next.state !== 'open') return;
    clearTimeout(shard.overlapTimer);
    const old = shard.active;
    shard.active = next;
    shard.replacement = undefined;
    this.logger.info('connection rotated', { shard: shard.id, from: old?.id, to: next.id, why });
    old?.close('rotated');
    this.scheduleRotation(shard, next);
  }

  private onClose(shard: Shard, c: Connection, reason: string): void {
    const p = this.progress.get(c);
    this.progress.delete(c);
    if (this.stopping) return;
    if (reason.startsWith('stalled')) {
      this.stats.stalls++;
      // Silent from the start (no kline ever): as suspect as a silent connection, and the stall
      // timeout may well come before the first expected close.
      if (p && p.lastMinute === undefined && this.options.route?.abandon(p.url)) {
        this.stats.pathSwitches++;
        this.logger.warn('connection stalled without a single kline: trying the next stream path', { connection: c.id, url: p.url, nextUrl: this.options.route.url });
      }
    }
    if (shard.replacement === c) {
      // The replacement failed: keep the old one and try again after a backoff.
      shard.replacement = undefined;
      clearTimeout(shard.overlapTimer);
      this.logger.warn('replacement connection closed', { connection: c.id, reason });
      shard.rotateTimer = setTimeout(() => this.startRotation(shard), backoffDelay(shard.failures++, this.options.backoff));
      return;
    }
    if (shard.active !== c) return; // a rotated-out or dropped connection
    shard.active = undefined;
    if (!this.shards.has(shard.id)) return;
    if (shard.replacement && shard.replacement.state === 'open') {
      this.promote(shard, `old connection closed (${reason})`);
      return;
    }
    if (shard.replacement) {
      // Still connecting: let it become the active one.
      shard.active = shard.replacement;
      shard.replacement = undefined;
      clearTimeout(shard.overlapTimer);
      return;
    }
    this.stats.reconnects++;
    const delay = backoffDelay(shard.failures++, this.options.backoff);
    this.logger.warn('connection lost; reconnecting', { connection: c.id, shard: shard.id, reason, delayMs: delay });
    clearTimeout(shard.rotateTimer);
    shard.reconnectTimer = setTimeout(() => this.connectActive(shard), delay);
  }
}
