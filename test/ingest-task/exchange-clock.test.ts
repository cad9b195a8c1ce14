/**
 * The exchange clock must not trust one frame: a closed kline frame with `E` in 2100 once made
 * every minute up to 2100 look closed and settled as missing. Unit rules first, then the real
 * websocket path through a hostile relay in front of the simulator.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { ExchangeClock } from '../../ingest-task/capture/exchange-clock';
import { startIngest } from '../../ingest-task/capture/ingest';
import { startSimulator, type Simulator } from '../../sim/index';
import { recordingSink, sleep, waitCaughtUp } from './harness';

const YEAR_2100 = Date.UTC(2100, 0, 1);

describe('ExchangeClock', () => {
  it('refuses a frame far beyond the trusted time, and counts it', () => {
    let local = 1_000;
    const clock = new ExchangeClock({ localNow: () => local });
    clock.observe(5_000_000);
    local += 100;
    expect(clock.observeFrame(5_000_050)).toBe(true);
    expect(clock.observeFrame(YEAR_2100)).toBe(false);
    expect(clock.now()).toBe(5_000_050);
    expect(clock.rejectedFrames).toBe(1);
  });

  it('follows a clock that runs faster than real time (the simulator), at its observed rate', () => {
    let local = 0;
    const clock = new ExchangeClock({ localNow: () => local });
    clock.observe(0);
    // Before the rate is known (one trusted time), a frame 30 simulated s ahead after 100 ms is refused…
    local = 100;
    expect(clock.observeFrame(30_000)).toBe(false);
    // …and the server time the ingest then asks for gives the rate: 300 exchange ms per local ms.
    local = 300;
    clock.observe(90_000);
    for (let i = 4; i <= 20; i++) {
      local = i * 100;
      expect(clock.observeFrame(i * 30_000)).toBe(true);
    }
    expect(clock.rate()).toBeCloseTo(300, 0);
    // A reconnect: 2 s without frames is 10 simulated minutes; the next frame is still plausible.
    local += 2_000;
    expect(clock.observeFrame(clock.now() + 600_000)).toBe(true);
    expect(clock.observeFrame(YEAR_2100)).toBe(false);
  });

  it('lets the server time move the bound when the exchange really is that far ahead', () => {
    let local = 0;
    const clock = new ExchangeClock({ localNow: () => local });
    clock.observe(1_000_000);
    local = 10;
    expect(clock.observeFrame(1_000_000 + 3_600_000)).toBe(false);
    clock.observe(1_000_000 + 3_600_000); // the server agrees
    expect(clock.observeFrame(1_000_000 + 3_600_000 + 1_000)).toBe(true);
  });

  it('trusts a time beyond the bound only when frames of three different markets agree on it', () => {
    let local = 0;
    const clock = new ExchangeClock({ localNow: () => local });
    clock.observe(0);
    local = 50;
    const ahead = 150_000; // a simulator at 300×, before its rate is known
    expect(clock.observeFrame(ahead, 'A')).toBe(false);
    expect(clock.observeFrame(ahead, 'A')).toBe(false);
    expect(clock.observeFrame(YEAR_2100, 'B')).toBe(false);
    expect(clock.observeFrame(ahead + 1, 'C')).toBe(false);
    expect(clock.observeFrame(ahead + 2, 'D')).toBe(true);
    expect(clock.now()).toBe(ahead + 2);
    expect(clock.observeFrame(YEAR_2100, 'E')).toBe(false);
  });

  it('ignores what is not a number', () => {
    const clock = new ExchangeClock();
    clock.observe(10);
    expect(clock.observeFrame('2100')).toBe(true);
    expect(clock.observeFrame(Number.NaN)).toBe(true);
    expect(clock.now()).toBe(10);
  });
});

/** A websocket relay in front of the simulator's streams that can send a frame of its own. */
async function hostileRelay(upstream: string): Promise<{ url: string; inject: (frame: string) => number; lastClosing: () => string | undefined; close: () => Promise<void> }> {
  const server: Server = createServer();
  const wss = new WebSocketServer({ server });
  const clients = new Set<WebSocket>();
  let lastClosing: string | undefined;
  wss.on('connection', (client, req) => {
    const up = new WebSocket(upstream + (req.url ?? ''));
    clients.add(client);
    const queued: WebSocket.RawData[] = [];
    up.on('open', () => queued.splice(0).forEach((m) => up.send(m)));
    up.on('message', (data, binary) => {
      const text = data.toString();
      if (text.includes('"x":true')) lastClosing = text;
      if (client.readyState === WebSocket.OPEN) client.send(binary ? data : text);
    });
    up.on('ping', (d) => client.ping(d));
    client.on('message', (m) => (up.readyState === WebSocket.OPEN ? up.send(m) : queued.push(m)));
    client.on('pong', (d) => up.pong(d));
    const end = () => {
      clients.delete(client);
      up.terminate();
      client.terminate();
    };
    up.on('close', end);
    up.on('error', end);
    client.on('close', end);
    client.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inject: (frame) => {
      for (const c of clients) c.send(frame);
      return clients.size;
    },
    lastClosing: () => lastClosing,
    close: async () => {
      for (const c of clients) c.terminate();
      await new Promise((r) => wss.close(r));
      await new Promise((r) => server.close(r));
    },
  };
}

describe('a frame with a bogus event time through the websocket path', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ markets: 8, speed: 300, seed: 3, limits: { weightWindowMs: 1_000 } });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('is refused and counted, and every market keeps being captured exactly', async () => {
    // Prepare
    const relay = await hostileRelay(sim.streamUrl);
    const { sink, klines } = recordingSink();
    const ingest = await startIngest({ restUrl: sim.restUrl, streamUrl: relay.url, sink, flushIntervalMs: 50 });
    const from = Math.floor(sim.now() / 60_000) * 60_000 + 60_000;
    expect(await waitCaughtUp(ingest, from + 60_000, 30_000)).toBe(true);

    // Act: a real closing frame, replayed with E in the year 2100
    const real = relay.lastClosing()!;
    const bogus = real.replace(/"E":\d+/, `"E":${YEAR_2100}`);
    expect(bogus).not.toBe(real);
    expect(relay.inject(bogus)).toBeGreaterThan(0);
    await sleep(3_000);
    const to = Math.floor(sim.now() / 60_000) * 60_000 - 3 * 60_000;
    const caughtUp = await waitCaughtUp(ingest, to, 30_000);
    const status = ingest.status();
    await ingest.stop();
    await relay.close();

    // Assess
    expect(caughtUp).toBe(true);
    expect(status.framesRefusedForTime).toBeGreaterThanOrEqual(1);
    const expected = sim.expectedMinutes(from, to).map((e) => `${e.symbol}|${e.openTime}`).sort();
    const got = [...new Set(klines.filter((k) => k.openTime >= from && k.openTime <= to).map((k) => `${k.symbol}|${k.openTime}`))].sort();
    expect(expected.length).toBeGreaterThan(8 * 5);
    expect(got).toStrictEqual(expected);
  }, 90_000);
});
