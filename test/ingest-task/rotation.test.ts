import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { AttemptBudget } from '../../core/binance/backoff';
import { DEFAULT_CONNECTION_TIMERS } from '../../ingest-task/streams/connection';
import { StreamManager } from '../../ingest-task/streams/stream-manager';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5);

function closing(minute: number): string {
  const t = T0 + minute * M;
  return JSON.stringify({ stream: 'aaausdt@kline_1m', data: { e: 'kline', E: t + M, s: 'AAAUSDT', k: { t, T: t + M - 1, s: 'AAAUSDT', i: '1m', x: true } } });
}

interface Peer {
  ws: WebSocket;
  openedAt: number;
  closedAt: number | undefined;
}

describe('StreamManager rotation', () => {
  let wss: WebSocketServer;
  let manager: StreamManager | undefined;
  const peers: Peer[] = [];

  beforeEach(async () => {
    peers.length = 0;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) => {
      const peer: Peer = { ws, openedAt: Date.now(), closedAt: undefined };
      peers.push(peer);
      ws.on('close', () => (peer.closedAt = Date.now()));
    });
  });

  afterEach(async () => {
    await manager?.stop();
    for (const p of peers) p.ws.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  function start(maxConnectionAgeMs: number, rotationOverlapMaxMs: number): StreamManager {
    const m: StreamManager = new StreamManager({
      streamUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      shardLimits: { maxStreamsPerConnection: 1024, headroom: 0.1 },
      // Reads as frames arrive: with connections aged 200 ms, 20 ms read batches would blur the order under test.
      timers: { ...DEFAULT_CONNECTION_TIMERS, stallTimeoutMs: 60_000, pingTimeoutMs: 60_000, readBatchMs: 0 },
      urlStreamsMax: 100,
      streamsPerMessage: 100,
      maxConnectionAgeMs,
      rotationOverlapMaxMs,
      backoff: { baseMs: 50, capMs: 100 },
      budget: new AttemptBudget(),
      onFrame: (frame, connection) => {
        const data = (JSON.parse(frame.toString()) as { data: { e: string; k?: { t: number; x: boolean } } }).data;
        if (data.e === 'serverShutdown') m.serverShutdown(connection);
        else if (data.k?.x) m.noteClosing(connection, data.k.t);
      },
    });
    m.add(['AAAUSDT']);
    return m;
  }

  const until = async (predicate: () => boolean, timeoutMs = 3_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('condition not reached');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('opens the replacement when the connection reaches its maximum age, not before', async () => {
    manager = start(400, 10_000);
    await until(() => peers.length === 1);
    await until(() => peers.length === 2);
    expect(peers[1].openedAt - peers[0].openedAt).toBeGreaterThanOrEqual(390);
    expect(peers[0].closedAt).toBeUndefined();
  });

  it('closes the old connection only after the replacement delivered the close of a later minute', async () => {
    // Prepare
    manager = start(200, 10_000);
    await until(() => peers.length === 2);
    const [old, replacement] = peers;
    // Act / Assess: the first closing update only shows the replacement works…
    replacement.ws.send(closing(10));
    await new Promise((r) => setTimeout(r, 100));
    expect(old.closedAt).toBeUndefined();
    // …a minute that began after it was subscribed proves it covers whole minutes
    replacement.ws.send(closing(11));
    await until(() => old.closedAt !== undefined);
    expect(replacement.closedAt).toBeUndefined();
    expect(manager.stats.rotations).toBe(1);
  });

  it('closes the old connection after the overlap limit when the replacement proves nothing', async () => {
    manager = start(200, 300);
    await until(() => peers.length === 2);
    const replacementOpened = peers[1].openedAt;
    await until(() => peers[0].closedAt !== undefined);
    expect((peers[0].closedAt ?? 0) - replacementOpened).toBeGreaterThanOrEqual(250);
  });

  it('replaces a connection at once when the server announces a shutdown', async () => {
    manager = start(60_000, 10_000);
    await until(() => peers.length === 1);
    const shutdownFrame = '{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}';
    await new Promise((r) => setTimeout(r, 50));
    peers[0].ws.send(shutdownFrame);
    await until(() => peers.length === 2, 1_000);
    expect(manager.stats.serverShutdowns).toBe(1);
  });
});
