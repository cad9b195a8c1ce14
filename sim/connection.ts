/**
 * One stream connection: its subscriptions, control messages, limits (incoming message rate,
 * ping/pong, lifetime, send buffer) and the per-frame faults applied on the way out.
 */
import type { WebSocket } from 'ws';
import type { FaultController } from './faults';
import type { SimLimits } from './options';

export type DisconnectReason =
  | 'client'
  | 'rate-limit'
  | 'pong-timeout'
  | 'lifetime'
  | 'drop-fault'
  | 'shutdown'
  | 'slow-consumer'
  | 'too-many-streams'
  | 'server-close';

/** What a connection needs from the server it belongs to. */
export interface ConnectionHub {
  limits(): SimLimits;
  faults: FaultController;
  subscribe(conn: StreamConnection, names: string[]): void;
  unsubscribe(conn: StreamConnection, names: string[]): void;
  onMessageReceived(): void;
  onFrameSent(): void;
  onClosed(conn: StreamConnection, reason: DisconnectReason): void;
  simNow(): number;
}

type RequestId = number | string | null;

export class StreamConnection {
  readonly streams = new Set<string>();
  stalled = false;
  private closedReason: DisconnectReason | undefined;
  private held: string | undefined;
  private readonly incoming: number[] = [];
  private readonly outstandingPings = new Map<string, NodeJS.Timeout>();
  private pingTimer: NodeJS.Timeout | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;
  private pingCounter = 0;

  constructor(readonly id: number, private readonly ws: WebSocket, public combined: boolean, private readonly hub: ConnectionHub) {
    const limits = hub.limits();
    ws.on('message', (data, isBinary) => this.onMessage(isBinary ? null : data.toString()));
    // Pongs are sent by hand (autoPong is off) so that a stalled connection does not answer.
    ws.on('ping', (payload) => {
      if (this.countIncoming() && !this.stalled) ws.pong(payload);
    });
    ws.on('pong', (payload) => this.onPong(payload.toString()));
    ws.on('close', () => this.finish('client'));
    ws.on('error', () => this.finish('client'));
    if (limits.pingIntervalMs > 0) this.pingTimer = setInterval(() => this.sendPing(), limits.pingIntervalMs);
    if (limits.maxConnectionLifetimeMs > 0) this.lifetimeTimer = setTimeout(() => this.close('lifetime', 1000, 'Connection lifetime exceeded'), limits.maxConnectionLifetimeMs);
  }

  get open(): boolean {
    return this.closedReason === undefined;
  }

  /** Send one event; `frame` is already in this connection's format (combined or raw). */
  send(frame: string): void {
    if (!this.open || this.stalled) return;
    const faults = this.hub.faults;
    if (faults.frameFaultsOn()) {
      const bad = faults.malformed(frame);
      if (bad !== undefined) this.write(bad);
      if (this.held === undefined && faults.reorder()) {
        this.held = frame;
        return;
      }
      this.write(frame);
      if (faults.duplicate()) this.write(frame);
    } else {
      this.write(frame);
    }
    if (this.held !== undefined) {
      const held = this.held;
      this.held = undefined;
      this.write(held);
    }
  }

  private write(frame: string): void {
    this.ws.send(frame);
    this.hub.onFrameSent();
    if (this.ws.bufferedAmount > this.hub.limits().maxBufferedBytes) this.terminate('slow-consumer');
  }

  private reply(body: object): void {
    if (this.open && !this.stalled) this.ws.send(JSON.stringify(body));
  }

  private error(code: number, msg: string, id: RequestId): void {
    this.reply({ error: { code, msg }, id });
  }

  /** Counts a PING, PONG or data message; past the per-second limit the connection is closed. */
  private countIncoming(): boolean {
    this.hub.onMessageReceived();
    const now = Date.now();
    this.incoming.push(now);
    while (this.incoming.length > 0 && this.incoming[0] <= now - 1000) this.incoming.shift();
    if (this.incoming.length > this.hub.limits().maxIncomingPerSecond) {
      this.close('rate-limit', 1008, 'Too many requests');
      return false;
    }
    return true;
  }

  private onMessage(text: string | null): void {
    if (!this.countIncoming() || this.stalled) return;
    if (text === null) return this.error(3, 'Invalid JSON: expected value at line 1 column 1', null);
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.error(3, 'Invalid JSON: expected value at line 1 column 1', null);
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return this.error(2, 'Invalid request: expected a JSON object', null);
    const m = msg as Record<string, unknown>;
    const id = m.id;
    if (!(id === null || id === undefined || (typeof id === 'number' && Number.isInteger(id)) || (typeof id === 'string' && /^[A-Za-z0-9]{1,36}$/.test(id)))) {
      return this.error(2, 'Invalid request: request ID must be an unsigned integer', null);
    }
    const rid: RequestId = (id ?? null) as RequestId;
    if (typeof m.method !== 'string') return this.error(2, 'Invalid request: missing field `method` at line 1 column 1', rid);
    const params = m.params;
    switch (m.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || !params.every((p) => typeof p === 'string')) return this.error(2, 'Invalid request: params must be an array of strings', rid);
        const names = params as string[];
        if (m.method === 'SUBSCRIBE') {
          const added = names.filter((n) => !this.streams.has(n));
          if (this.streams.size + new Set(added).size > this.hub.limits().maxStreamsPerConnection) {
            return this.error(2, `Invalid request: too many streams; a connection can listen to at most ${this.hub.limits().maxStreamsPerConnection} streams`, rid);
          }
          this.hub.subscribe(this, names);
        } else this.hub.unsubscribe(this, names);
        return this.reply({ result: null, id: rid });
      }
      case 'LIST_SUBSCRIPTIONS':
        return this.reply({ result: [...this.streams], id: rid });
      case 'SET_PROPERTY':
        if (!Array.isArray(params) || params[0] !== 'combined') return this.reply({ code: 0, msg: 'Unknown property', id: rid });
        if (typeof params[1] !== 'boolean') return this.error(1, 'Invalid value type: expected Boolean', rid);
        this.combined = params[1];
        return this.reply({ result: null, id: rid });
      case 'GET_PROPERTY':
        if (!Array.isArray(params) || params[0] !== 'combined') return this.reply({ code: 0, msg: 'Unknown property', id: rid });
        return this.reply({ result: this.combined, id: rid });
      default:
        return this.error(2, `Invalid request: unknown variant \`${m.method}\`, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\` at line 1 column 28`, rid);
    }
  }

  private sendPing(): void {
    if (!this.open || this.stalled) return;
    const payload = String(this.hub.simNow() * 1000 + (this.pingCounter++ % 1000));
    const timer = setTimeout(() => this.close('pong-timeout', 1008, 'Pong timeout'), this.hub.limits().pongTimeoutMs);
    this.outstandingPings.set(payload, timer);
    this.ws.ping(payload);
  }

  private onPong(payload: string): void {
    if (!this.countIncoming()) return;
    const timer = this.outstandingPings.get(payload);
    if (timer === undefined) return; // unsolicited pongs are allowed but do not count as an answer
    // A pong answers its ping and every older one.
    for (const [p, t] of this.outstandingPings) {
      clearTimeout(t);
      this.outstandingPings.delete(p);
      if (p === payload) break;
    }
  }

  /** Go silent: no frames, no pings, no replies; the socket stays open. */
  stall(): void {
    this.stalled = true;
    for (const t of this.outstandingPings.values()) clearTimeout(t);
    this.outstandingPings.clear();
  }

  /** Tell the client to reconnect, then close after the grace period. */
  shutdown(frame: string): void {
    if (!this.open) return;
    if (!this.stalled) this.ws.send(frame);
    setTimeout(() => this.close('shutdown', 1001, 'Server shutdown'), this.hub.limits().shutdownGraceMs).unref();
  }

  close(reason: DisconnectReason, code: number, text: string): void {
    if (!this.open) return;
    this.finish(reason);
    this.ws.close(code, text);
    // A client that never completes the closing handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  terminate(reason: DisconnectReason): void {
    if (!this.open) return;
    this.finish(reason);
    this.ws.terminate();
  }

  private finish(reason: DisconnectReason): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearInterval(this.pingTimer);
    clearTimeout(this.lifetimeTimer);
    for (const t of this.outstandingPings.values()) clearTimeout(t);
    this.outstandingPings.clear();
    this.hub.onClosed(this, reason);
  }
}
