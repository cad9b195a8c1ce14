/**
 * The stream endpoint: upgrades `/stream?streams=…` (combined) and `/ws`, `/ws/<name>` (raw)
 * on the shared HTTP server, keeps the stream → connections registry and fans frames out.
 * USDⓈ-M routes by path (`/market/stream…` carries klines); a connection on another of its paths
 * (`/public`, none) is accepted, acknowledges SUBSCRIBEs and never receives a kline.
 * Frame text is built once per event and shared by every connection that receives it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { StreamConnection, type ConnectionHub, type DisconnectReason } from './connection';
import type { FaultController } from './faults';
import type { SimLimits } from './options';
import { SIM_VENUES, type SimVenue } from './venues';

export interface StreamStats {
  connectionsOpened: number;
  /** Upgrades refused with 429 for too many connection attempts. */
  connectionsRefused: number;
  messagesReceived: number;
  framesSent: number;
  disconnects: Partial<Record<DisconnectReason, number>>;
}

/**
 * `[/<routed path>]/stream?streams=a/b` (combined), `/ws` or `/ws/a/b` (raw); undefined for other
 * paths; throws on bad encoding. `delivers`: the routed path carries kline streams.
 */
export function parseStreamPath(rawUrl: string, venue: SimVenue = SIM_VENUES.spot): { combined: boolean; names: string[]; delivers: boolean } | undefined {
  const url = new URL(rawUrl, 'http://sim');
  let path = url.pathname;
  let routed = '';
  for (const p of [...venue.deliveringPaths, ...venue.silentPaths]) {
    if (p !== '' && (path === p || path.startsWith(p + '/'))) {
      routed = p;
      path = path.slice(p.length);
      break;
    }
  }
  if (!venue.deliveringPaths.includes(routed) && !venue.silentPaths.includes(routed)) return undefined;
  const delivers = venue.deliveringPaths.includes(routed);
  if (path === '/stream' || path === '/stream/') {
    const streams = url.searchParams.get('streams');
    return { combined: true, names: streams ? streams.split('/').filter((s) => s !== '') : [], delivers };
  }
  if (path === '/ws' || path === '/ws/') return { combined: false, names: [], delivers };
  if (path.startsWith('/ws/')) return { combined: false, names: decodeURIComponent(path.slice(4)).split('/').filter((s) => s !== ''), delivers };
  return undefined;
}

export class StreamServer {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, autoPong: false });
  private readonly registry = new Map<string, Set<StreamConnection>>();
  /** Open connections, oldest first. */
  readonly connections = new Set<StreamConnection>();
  private nextId = 1;
  readonly stats: StreamStats = { connectionsOpened: 0, connectionsRefused: 0, messagesReceived: 0, framesSent: 0, disconnects: {} };
  private readonly hub: ConnectionHub;
  /** Real times of recent connection attempts per IP. */
  private readonly attempts = new Map<string, number[]>();
  /** Connections on a routed path that does not carry kline streams. */
  private readonly silent = new WeakSet<StreamConnection>();

  constructor(limits: () => SimLimits, faults: FaultController, simNow: () => number, private readonly venue: SimVenue = SIM_VENUES.spot) {
    this.hub = {
      limits,
      faults,
      simNow,
      subscribe: (conn, names) => this.subscribe(conn, names),
      unsubscribe: (conn, names) => this.unsubscribe(conn, names),
      onMessageReceived: () => this.stats.messagesReceived++,
      onFrameSent: () => this.stats.framesSent++,
      onClosed: (conn, reason) => this.onClosed(conn, reason),
    };
  }

  /** Handle an HTTP upgrade; answers 404 for paths that are not stream endpoints. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let target: ReturnType<typeof parseStreamPath>;
    try {
      target = parseStreamPath(req.url ?? '/', this.venue);
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!target) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const { combined, names, delivers } = target;
    const retryAfter = this.countAttempt(req.socket.remoteAddress ?? 'unknown');
    if (retryAfter !== undefined) {
      this.stats.connectionsRefused++;
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${retryAfter}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new StreamConnection(this.nextId++, ws, combined, this.hub);
      if (!delivers) this.silent.add(conn);
      this.connections.add(conn);
      this.stats.connectionsOpened++;
      if (names.length > this.hub.limits().maxStreamsPerConnection) {
        conn.close('too-many-streams', 1008, 'Too many streams');
        return;
      }
      this.subscribe(conn, names);
    });
  }

  /** Record a connection attempt; returns Retry-After seconds when over the limit. */
  private countAttempt(ip: string): number | undefined {
    const { maxConnectionAttempts: max, connectionAttemptWindowMs: windowMs } = this.hub.limits();
    const now = Date.now();
    let list = this.attempts.get(ip);
    if (!list) this.attempts.set(ip, (list = []));
    while (list.length > 0 && list[0] <= now - windowMs) list.shift();
    if (list.length >= max) return Math.max(1, Math.ceil((list[0] + windowMs - now) / 1000));
    list.push(now);
    return undefined;
  }

  hasSubscribers(stream: string): boolean {
    const set = this.registry.get(stream);
    return set !== undefined && set.size > 0;
  }

  /** Send one event (the raw `data` JSON) to every subscriber of `stream`. */
  broadcast(stream: string, data: string): void {
    const set = this.registry.get(stream);
    if (!set || set.size === 0) return;
    let wrapped: string | undefined;
    for (const conn of set) {
      if (conn.combined) {
        wrapped ??= `{"stream":${JSON.stringify(stream)},"data":${data}}`;
        conn.send(wrapped);
      } else conn.send(data);
    }
  }

  /** Send `serverShutdown` to a connection and close it after the grace period. */
  shutdown(conn: StreamConnection, eventTime: number): void {
    const data = `{"e":"serverShutdown","E":${eventTime}}`;
    conn.shutdown(conn.combined ? `{"stream":"!serverShutdown","data":${data}}` : data);
  }

  private subscribe(conn: StreamConnection, names: string[]): void {
    for (const name of names) {
      if (conn.streams.has(name)) continue;
      conn.streams.add(name);
      if (this.silent.has(conn)) continue;
      let set = this.registry.get(name);
      if (!set) this.registry.set(name, (set = new Set()));
      set.add(conn);
    }
  }

  private unsubscribe(conn: StreamConnection, names: string[]): void {
    for (const name of names) {
      conn.streams.delete(name);
      this.registry.get(name)?.delete(conn);
    }
  }

  private onClosed(conn: StreamConnection, reason: DisconnectReason): void {
    this.connections.delete(conn);
    this.unsubscribe(conn, [...conn.streams]);
    this.stats.disconnects[reason] = (this.stats.disconnects[reason] ?? 0) + 1;
  }

  /** Close every connection (server stopping). */
  closeAll(): void {
    for (const conn of [...this.connections]) conn.terminate('server-close');
    this.wss.close();
  }
}
