/**
 * One websocket to Binance's combined-stream endpoint.
 *
 * It owns the socket and its timers: stall detection (no data frame for `stallTimeoutMs`),
 * ping deadline (no server ping for `pingTimeoutMs`), and its paced control messages. Pongs are
 * sent by `ws` itself (`autoPong`), echoing the ping payload as Binance requires. It does not
 * reconnect: the stream manager decides what happens after `onClose`.
 *
 * All timers here are REAL durations (a simulator's accelerated clock does not change them).
 */
import WebSocket from 'ws';
import { ControlPacer } from './pacing';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface ConnectionTimers {
  /** A connection that delivers no data frame for this long while it has streams is dead. */
  stallTimeoutMs: number;
  /** A connection that receives no server ping for this long is dead (Binance pings every 20 s). */
  pingTimeoutMs: number;
  /** Give up on an opening handshake after this long. */
  handshakeTimeoutMs: number;
  /** Control messages go at most once per this interval (500 ms = 2/s). */
  controlIntervalMs: number;
  /**
   * Read the socket in batches this often (0 = whenever data arrives). Futures push a frame per
   * stream every 250 ms, mostly one TCP segment each: woken per segment, the process spends more
   * on wake-ups and reads (epoll, syscalls, the stream machinery) than on the frames. Paused
   * between batches, the kernel holds what arrives and one read takes all of it. Adds at most
   * this much to a kline's latency.
   */
  readBatchMs?: number;
}

export const DEFAULT_CONNECTION_TIMERS: ConnectionTimers = {
  stallTimeoutMs: 30_000,
  pingTimeoutMs: 90_000,
  handshakeTimeoutMs: 15_000,
  controlIntervalMs: 500,
  readBatchMs: 20,
};

export interface ConnectionOptions {
  id: number;
  /** Base URL, e.g. wss://data-stream.binance.vision */
  baseUrl: string;
  streams: readonly string[];
  /** Streams put in the URL; the rest are subscribed with paced SUBSCRIBE messages. */
  urlStreamsMax: number;
  /** Streams per SUBSCRIBE / UNSUBSCRIBE message. */
  streamsPerMessage: number;
  timers: ConnectionTimers;
  onFrame: (frame: Buffer, connection: Connection) => void;
  onOpen?: (connection: Connection) => void;
  onClose: (connection: Connection, reason: string) => void;
}

export function combinedStreamUrl(baseUrl: string, streams: readonly string[]): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (streams.length === 0) return `${base}/stream`;
  return `${base}/stream?streams=${streams.map((s) => encodeURIComponent(s)).join('/')}`;
}

export class Connection {
  readonly id: number;
  state: ConnectionState = 'connecting';
  /** Streams this connection carries (or will, once queued SUBSCRIBEs are sent). */
  readonly streams: Set<string>;
  openedAt: number | undefined;
  lastFrameAt = Date.now();
  lastPingAt = Date.now();
  framesReceived = 0;
  /** Set once every SUBSCRIBE sent so far was acknowledged. */
  fullySubscribed = false;
  closeReason: string | undefined;
  private readonly socket: WebSocket;
  private readonly pacer: ControlPacer;
  private readonly pendingIds = new Set<number>();
  private nextId = 1;
  private watchdog: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private readTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConnectionOptions) {
    this.id = options.id;
    this.streams = new Set(options.streams);
    this.pacer = new ControlPacer({ minIntervalMs: options.timers.controlIntervalMs });
    const inUrl = options.streams.slice(0, options.urlStreamsMax);
    // `autoPong` (the default) answers each ping with a pong carrying the same payload.
    this.socket = new WebSocket(combinedStreamUrl(options.baseUrl, inUrl), { autoPong: true, perMessageDeflate: false });
    this.handshakeTimer = setTimeout(() => this.terminate('handshake timeout'), options.timers.handshakeTimeoutMs);
    this.socket.on('open', () => {
      clearTimeout(this.handshakeTimer);
      this.state = 'open';
      this.openedAt = Date.now();
      this.lastFrameAt = this.openedAt;
      this.lastPingAt = this.openedAt;
      // Streams added or removed while connecting are settled now.
      const urlSet = new Set(inUrl);
      const toSubscribe = [...this.streams].filter((s) => !urlSet.has(s));
      const toUnsubscribe = inUrl.filter((s) => !this.streams.has(s));
      this.fullySubscribed = toSubscribe.length === 0;
      if (toSubscribe.length > 0) this.queueControl('SUBSCRIBE', toSubscribe);
      if (toUnsubscribe.length > 0) this.queueControl('UNSUBSCRIBE', toUnsubscribe);
      this.startWatchdog();
      this.startReadBatches();
      options.onOpen?.(this);
    });
    this.socket.on('message', (data: Buffer) => {
      this.lastFrameAt = Date.now();
      this.framesReceived++;
      try {
        options.onFrame(data, this);
      } catch {
        // A frame the handler cannot digest must not take the connection down.
      }
    });
    this.socket.on('ping', () => {
      this.lastPingAt = Date.now();
    });
    this.socket.on('error', (e: Error) => {
      this.finish(`error: ${e.message}`);
    });
    this.socket.on('close', (code: number) => {
      this.finish(this.closeReason ?? `closed by server (${code})`);
    });
  }

  get ageMs(): number {
    return this.openedAt === undefined ? 0 : Date.now() - this.openedAt;
  }

  /** Subscribe streams (paced). While connecting, they are sent once open. */
  subscribe(streams: readonly string[]): void {
    const fresh = streams.filter((s) => !this.streams.has(s));
    for (const s of fresh) this.streams.add(s);
    if (fresh.length > 0 && this.state === 'open') this.queueControl('SUBSCRIBE', fresh);
  }

  unsubscribe(streams: readonly string[]): void {
    const held = streams.filter((s) => this.streams.has(s));
    for (const s of held) this.streams.delete(s);
    if (held.length > 0 && this.state === 'open') this.queueControl('UNSUBSCRIBE', held);
  }

  /** A `{"result":…,"id":N}` reply arrived for this connection. */
  acknowledge(id: number): void {
    if (!this.pendingIds.delete(id)) return;
    if (this.pendingIds.size === 0 && this.pacer.pending === 0) this.fullySubscribed = true;
  }

  /** Close politely (rotation, stop). */
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.closeReason = reason;
    try {
      this.socket.close(1000, reason.slice(0, 100));
    } catch {
      /* already closing */
    }
    // A server that does not answer the close frame is cut off.
    setTimeout(() => this.terminate(reason), 2_000).unref();
  }

  /** Cut the socket now (dead, stalled). */
  terminate(reason: string): void {
    if (this.state === 'closed') return;
    this.closeReason = this.closeReason ?? reason;
    try {
      this.socket.terminate();
    } catch {
      /* ignore */
    }
    this.finish(reason);
  }

  /** Pause / resume reading (sink backpressure). A paused connection is not "stalled". */
  pause(): void {
    this.paused = true;
    if (this.state === 'open') this.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.lastFrameAt = Date.now();
    if (this.state === 'open') this.socket.resume();
  }

  private paused = false;

  private queueControl(method: 'SUBSCRIBE' | 'UNSUBSCRIBE', streams: readonly string[]): void {
    const per = Math.max(1, this.options.streamsPerMessage);
    for (let i = 0; i < streams.length; i += per) {
      const params = streams.slice(i, i + per);
      const id = this.nextId++;
      if (method === 'SUBSCRIBE') {
        this.fullySubscribed = false;
        this.pendingIds.add(id);
      }
      this.pacer
        .enqueue(() => {
          if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ method, params, id }));
        })
        .catch(() => undefined);
    }
  }

  /**
   * Between batches the socket is paused; each tick resumes it, the poll phase reads everything
   * the kernel holds, and a setImmediate (after that phase) pauses it again. A connection paused
   * for the sink stays paused.
   */
  private startReadBatches(): void {
    const ms = this.options.timers.readBatchMs ?? 0;
    if (ms <= 0) return;
    if (!this.paused) this.socket.pause();
    this.readTimer = setInterval(() => {
      if (this.state !== 'open' || this.paused) return;
      this.socket.resume();
      setImmediate(() => {
        if (this.state === 'open' && !this.paused) this.socket.pause();
      });
    }, ms);
  }

  private startWatchdog(): void {
    const t = this.options.timers;
    const every = Math.max(10, Math.min(1_000, Math.floor(Math.min(t.stallTimeoutMs, t.pingTimeoutMs) / 4)));
    const problem = (): string | undefined => {
      const now = Date.now();
      if (this.paused || this.state === 'closed') return undefined;
      if (this.streams.size > 0 && now - this.lastFrameAt > t.stallTimeoutMs) return `stalled: no frame for ${now - this.lastFrameAt} ms`;
      if (now - this.lastPingAt > t.pingTimeoutMs) return `no ping for ${now - this.lastPingAt} ms`;
      return undefined;
    };
    this.watchdog = setInterval(() => {
      if (problem() === undefined) return;
      // After a long event-loop pause the timer can run before the socket's waiting data is read:
      // look again once pending I/O has been handled, so a busy process does not cut live sockets.
      setImmediate(() => {
        const reason = problem();
        if (reason !== undefined) this.terminate(reason);
      });
    }, every);
  }

  private finish(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.readTimer) clearInterval(this.readTimer);
    this.pacer.close();
    this.options.onClose(this, this.closeReason ?? reason);
  }
}
