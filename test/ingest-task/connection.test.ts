import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Connection, DEFAULT_CONNECTION_TIMERS, type ConnectionTimers } from '../../ingest-task/streams/connection';

interface FakeServer {
  url: string;
  sockets: WebSocket[];
  urls: string[];
  messages: { at: number; text: string }[];
  close(): Promise<void>;
}

async function fakeServer(onConnection?: (ws: WebSocket) => void): Promise<FakeServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const server: FakeServer = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    sockets: [],
    urls: [],
    messages: [],
    close: () =>
      new Promise<void>((r) => {
        for (const s of server.sockets) s.terminate();
        wss.close(() => r());
      }),
  };
  wss.on('connection', (ws, req) => {
    server.sockets.push(ws);
    server.urls.push(req.url ?? '');
    ws.on('message', (data) => {
      const text = data.toString();
      server.messages.push({ at: Date.now(), text });
      const m = JSON.parse(text) as { id: number };
      ws.send(JSON.stringify({ result: null, id: m.id }));
    });
    onConnection?.(ws);
  });
  return server;
}

function open(url: string, timers: Partial<ConnectionTimers>, streams: string[] = ['aaausdt@kline_1m'], extra: { urlStreamsMax?: number; streamsPerMessage?: number } = {}): Promise<{ connection: Connection; closed: Promise<string>; frames: string[] }> {
  const frames: string[] = [];
  let closedResolve!: (reason: string) => void;
  const closed = new Promise<string>((r) => (closedResolve = r));
  return new Promise((resolve) => {
    const connection: Connection = new Connection({
      id: 1,
      baseUrl: url,
      streams,
      urlStreamsMax: extra.urlStreamsMax ?? 100,
      streamsPerMessage: extra.streamsPerMessage ?? 100,
      timers: { ...DEFAULT_CONNECTION_TIMERS, ...timers },
      onFrame: (frame, c) => {
        frames.push(frame.toString());
        const m = JSON.parse(frame.toString()) as { id?: number; result?: unknown };
        if (typeof m.id === 'number') c.acknowledge(m.id);
      },
      onOpen: () => resolve({ connection, closed, frames }),
      onClose: (_c, reason) => closedResolve(reason),
    });
  });
}

describe('Connection', () => {
  let server: FakeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    // Prepare
    const pongs: string[] = [];
    server = await fakeServer((ws) => {
      ws.on('pong', (payload) => pongs.push(payload.toString()));
      ws.ping('1767571200000123');
    });
    // Act
    const { connection } = await open(server.url, {});
    for (let i = 0; i < 50 && pongs.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    // Assess
    expect(pongs).toEqual(['1767571200000123']);
    connection.close('test done');
  });

  it('terminates a connection that goes silent for longer than the stall timeout', async () => {
    server = await fakeServer((ws) => ws.send('{"stream":"aaausdt@kline_1m","data":{}}'));
    const started = Date.now();
    const { closed, frames } = await open(server.url, { stallTimeoutMs: 200 });
    const reason = await closed;
    expect(reason).toMatch(/^stalled/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(frames).toHaveLength(1);
  });

  it('terminates a connection whose server stops pinging, even while frames flow', async () => {
    let timer: NodeJS.Timeout | undefined;
    server = await fakeServer((ws) => {
      timer = setInterval(() => ws.readyState === ws.OPEN && ws.send('{"stream":"aaausdt@kline_1m","data":{}}'), 20);
    });
    const { closed } = await open(server.url, { stallTimeoutMs: 1_000, pingTimeoutMs: 250 });
    expect(await closed).toMatch(/^no ping/);
    clearInterval(timer);
  });

  it('puts the first streams in the URL and subscribes the rest in paced messages', async () => {
    // Prepare
    server = await fakeServer();
    const streams = Array.from({ length: 450 }, (_, i) => `s${i}usdt@kline_1m`);
    // Act
    const { connection } = await open(server.url, { controlIntervalMs: 150 }, streams, { urlStreamsMax: 50, streamsPerMessage: 100 });
    for (let i = 0; i < 200 && !connection.fullySubscribed; i++) await new Promise((r) => setTimeout(r, 10));
    // Assess
    expect(connection.fullySubscribed).toBe(true);
    const inUrl = decodeURIComponent(server.urls[0].split('streams=')[1]).split('/');
    expect(inUrl).toEqual(streams.slice(0, 50));
    const subscribed = server.messages.flatMap((m) => (JSON.parse(m.text) as { params: string[] }).params);
    expect([...inUrl, ...subscribed]).toEqual(streams);
    expect(server.messages).toHaveLength(4);
    for (let i = 1; i < server.messages.length; i++) expect(server.messages[i].at - server.messages[i - 1].at).toBeGreaterThanOrEqual(140);
    connection.close('test done');
  });

  it('URL-encodes Unicode stream names', async () => {
    server = await fakeServer();
    const { connection } = await open(server.url, {}, ['币安人生usdt@kline_1m']);
    expect(server.urls[0]).toBe(`/stream?streams=${encodeURIComponent('币安人生usdt@kline_1m')}`);
    connection.close('test done');
  });
  it('reads in batches: every frame arrives, in order, several per read; a connection paused for the sink stays paused across batches', async () => {
    // Prepare: a server pushing a frame every 2 ms
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    server = await fakeServer((ws) => {
      timer = setInterval(() => ws.readyState === ws.OPEN && ws.send(`{"stream":"aaausdt@kline_1m","data":{"n":${sent++}}}`), 2);
    });
    try {
      const { connection, frames } = await open(server.url, { readBatchMs: 100 });
      const times: number[] = [];
      const count = (): number => frames.filter((f) => f.includes('"n"')).length;
      const probe = setInterval(() => times.push(count()), 5);

      // Act: read for a while, pause (the sink is slow) over several batch ticks, resume
      await new Promise((r) => setTimeout(r, 600));
      connection.pause();
      await new Promise((r) => setTimeout(r, 20));
      const atPause = count();
      await new Promise((r) => setTimeout(r, 350));
      const afterPause = count();
      connection.resume();
      await new Promise((r) => setTimeout(r, 300));
      clearInterval(probe);
      clearInterval(timer);
      connection.close('test done');

      // Assess: nothing read while paused; then everything, in order, with no frame lost
      expect(afterPause).toBe(atPause);
      const ns = frames.filter((f) => f.includes('"n"')).map((f) => (JSON.parse(f) as { data: { n: number } }).data.n);
      expect(ns).toEqual(ns.map((_, i) => i));
      expect(ns.length).toBeGreaterThan(atPause);
      // Batched: the count grows about once per batch, not at every 5 ms probe
      const grew = times.slice(1).filter((t, i) => t > times[i]).length;
      expect(grew / (times.length - 1)).toBeLessThan(0.5);
    } finally {
      clearInterval(timer);
    }
  });
});
