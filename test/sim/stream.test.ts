import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../sim';
import { parseStreamPath } from '../../sim/stream-server';
import { shapeDiff } from './json-shape';
import { connect, parseCombined, sleep, streamUrl, type KlineEvent } from './ws-client';

const docs = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '../fixtures/binance-docs', name), 'utf8'));
const MINUTE = 60_000;
const closing = (text: string): boolean => text.includes('"x":true');

describe('simulator streams', () => {
  let sim: Simulator;
  beforeAll(async () => {
    // 600× : one simulated minute per 100 real ms.
    sim = await startSimulator({ markets: 30, seed: 21, speed: 600, updatesPerMinute: 2 });
  });
  afterAll(() => sim.close());

  it('sends combined frames with the documented kline payload: same fields, order and types', async () => {
    const unicode = sim.symbols().find((s) => /[^\x00-\x7f]/.test(s))!;
    const ascii = sim.symbols()[0];
    const client = await connect(streamUrl(sim.streamUrl, [ascii, unicode]));

    const open = parseCombined(await client.waitFor((t) => !closing(t)));
    const closed = parseCombined(await client.waitFor((t) => closing(t) && t.includes(JSON.stringify(unicode))));
    client.ws.close();

    const documented = docs('kline-stream-payload.json') as { k: object };
    for (const frame of [open, closed]) {
      expect(Object.keys(frame)).toEqual(['stream', 'data']);
      expect(shapeDiff(documented, frame.data)).toEqual([]);
      expect(Object.keys(frame.data)).toEqual(Object.keys(documented));
      expect(Object.keys(frame.data.k)).toEqual(Object.keys(documented.k));
    }
    expect(closed.stream).toBe(`${unicode.toLowerCase()}@kline_1m`);
    expect(closed.data.s).toBe(unicode);
    expect(closed.data.E).toBeGreaterThan(closed.data.k.T);
  });

  it('publishes closing updates equal to the REST row and to truth()', async () => {
    const symbol = sim.symbols()[4];
    const client = await connect(streamUrl(sim.streamUrl, [symbol]));

    const { data } = parseCombined(await client.waitFor(closing));
    client.ws.close();
    const rows = (await (await fetch(`${sim.restUrl}/api/v3/klines?symbol=${symbol}&interval=1m&startTime=${data.k.t}&limit=1`)).json()) as unknown[][];
    const [truth] = sim.truth(symbol, data.k.t, data.k.t);

    const k = data.k;
    expect(rows[0]).toEqual([k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, '0']);
    expect(truth).toEqual({ marketType: 'spot', symbol, interval: '1m', openTime: k.t, closeTime: k.T, open: k.o, high: k.h, low: k.l, close: k.c, volume: k.v, quoteVolume: k.q, trades: k.n, takerBuyBaseVolume: k.V, takerBuyQuoteVolume: k.Q });
  });

  it('answers SUBSCRIBE, LIST_SUBSCRIPTIONS and UNSUBSCRIBE on /ws and sends raw events', async () => {
    const names = sim.symbols().slice(0, 2).map((s) => `${s.toLowerCase()}@kline_1m`);
    const client = await connect(`${sim.streamUrl}/ws`);

    client.send({ method: 'SUBSCRIBE', params: names, id: 1 });
    const subscribed = await client.waitFor((t) => t.includes('"id":1'));
    const raw = JSON.parse(await client.waitFor((t) => t.includes('"e":"kline"'))) as KlineEvent;
    client.send({ method: 'LIST_SUBSCRIPTIONS', id: 3 });
    const listed = await client.waitFor((t) => t.includes('"id":3'));
    client.send({ method: 'UNSUBSCRIBE', params: names, id: 312 });
    await client.waitFor((t) => t.includes('"id":312'));
    await sleep(50);
    const after = client.texts.length;
    await sleep(400); // four simulated minutes
    client.ws.close();

    expect(JSON.parse(subscribed)).toEqual(docs('subscribe-response.json'));
    expect(shapeDiff(docs('list-subscriptions-response.json'), JSON.parse(listed))).toEqual([]);
    expect(JSON.parse(listed)).toEqual({ result: names, id: 3 });
    expect(raw).not.toHaveProperty('stream');
    expect(raw.k.i).toBe('1m');
    expect(client.texts.length).toBe(after);
  });

  it('rejects a SUBSCRIBE beyond 1024 streams and closes a URL with more than 1024', async () => {
    const names = Array.from({ length: 1025 }, (_, i) => `coin${i}usdt@kline_1m`);
    const client = await connect(`${sim.streamUrl}/ws`);

    client.send({ method: 'SUBSCRIBE', params: names, id: 7 });
    const reply = JSON.parse(await client.waitFor((t) => t.includes('"id":7'))) as { error?: { code: number } };
    client.send({ method: 'SUBSCRIBE', params: names.slice(0, 1024), id: 8 });
    const ok = JSON.parse(await client.waitFor((t) => t.includes('"id":8')));
    client.ws.close();
    const tooMany = await connect(`${sim.streamUrl}/stream?streams=${names.join('/')}`);
    const closed = await tooMany.closed;

    expect(reply.error?.code).toEqual(expect.any(Number));
    expect(ok).toEqual({ result: null, id: 8 });
    expect(closed.code).toBe(1008);
  });

  it('disconnects a client that sends more than 5 messages in a second', async () => {
    const before = sim.stats().disconnects['rate-limit'] ?? 0;
    const client = await connect(`${sim.streamUrl}/ws`);

    for (let i = 0; i < 6; i++) client.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    const closed = await client.closed;

    expect(closed.code).toBe(1008);
    expect(sim.stats().disconnects['rate-limit']).toBe(before + 1);
  });

  it('keeps a client that paces its messages under 5 a second', async () => {
    const client = await connect(`${sim.streamUrl}/ws`);

    for (let i = 0; i < 7; i++) {
      client.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
      await sleep(340);
    }

    expect(client.isClosed()).toBe(false);
    client.ws.close();
  });

  it('answers bad control messages with Binance error codes', async () => {
    const client = await connect(`${sim.streamUrl}/ws`);

    client.send('{not json');
    const badJson = JSON.parse(await client.waitFor((t) => t.includes('"code":3')));
    client.send({ method: 'PUBLISH', params: [], id: 9 });
    const badMethod = JSON.parse(await client.waitFor((t) => t.includes('"id":9')));
    client.ws.close();

    expect(badJson).toEqual({ error: { code: 3, msg: expect.stringContaining('Invalid JSON') }, id: null });
    expect(badMethod).toEqual({ error: { code: 2, msg: expect.stringContaining('unknown variant') }, id: 9 });
  });
});

describe('simulator stream limits and faults', () => {
  const start = Date.UTC(2026, 0, 5);
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('pings, keeps a client that answers with pongs, and disconnects one that does not', async () => {
    sim = await startSimulator({ markets: 2, speed: 600, limits: { pingIntervalMs: 300, pongTimeoutMs: 500 } });
    const polite = await connect(streamUrl(sim.streamUrl, sim.symbols()));
    const silent = await connect(streamUrl(sim.streamUrl, sim.symbols()), { autoPong: false });

    const closed = await silent.closed;
    await sleep(600);

    expect(closed.code).toBe(1008);
    expect(sim.stats().disconnects['pong-timeout']).toBe(1);
    expect(polite.pings).toBeGreaterThanOrEqual(3);
    expect(polite.isClosed()).toBe(false);
    polite.ws.close();
  });

  it('refuses connection attempts past the per-IP limit with HTTP 429', async () => {
    sim = await startSimulator({ markets: 1, speed: 600, limits: { maxConnectionAttempts: 2 } });
    const url = streamUrl(sim.streamUrl, sim.symbols());
    const first = await connect(url);
    const second = await connect(url);

    await expect(connect(url)).rejects.toThrow('HTTP 429');
    expect(sim.stats().connectionsRefused).toBe(1);
    first.ws.close();
    second.ws.close();
  });

  it('closes a connection at the end of its lifetime', async () => {
    sim = await startSimulator({ markets: 2, speed: 600, limits: { maxConnectionLifetimeMs: 300 } });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));

    const closed = await client.closed;

    expect(closed.code).toBe(1000);
    expect(sim.stats().disconnects.lifetime).toBe(1);
  });

  it('sends serverShutdown in the documented shape, then closes', async () => {
    sim = await startSimulator({ markets: 2, speed: 600, startTime: start, faults: { schedule: [{ at: start + 2 * MINUTE, kind: 'shutdown' }] }, limits: { shutdownGraceMs: 100 } });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));

    const event = JSON.parse(await client.waitFor((t) => t.includes('serverShutdown')));
    const closed = await client.closed;

    expect(shapeDiff(docs('server-shutdown-combined.json'), event)).toEqual([]);
    expect(event.stream).toBe('!serverShutdown');
    expect(closed.code).toBe(1001);
  });

  it('stalls a connection: open but silent, no frames, no pings, no pongs to client pings', async () => {
    sim = await startSimulator({ markets: 2, speed: 600, startTime: start, faults: { schedule: [{ at: start + 2 * MINUTE, kind: 'stall' }] }, limits: { pingIntervalMs: 100, pongTimeoutMs: 1000, maxIncomingPerSecond: 50 } });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));
    await client.waitFor(closing);

    let pongs = 0;
    client.ws.on('pong', () => pongs++);
    client.ws.ping('before');
    await sleep(400); // the stall has begun (200 ms)
    const pongsBefore = pongs;
    const frames = client.texts.length;
    const pings = client.pings;
    client.ws.ping('during');
    await sleep(500);

    expect(pongsBefore).toBe(1);
    expect(pongs).toBe(1);

    expect(client.texts.length).toBe(frames);
    expect(client.pings).toBe(pings);
    expect(client.isClosed()).toBe(false);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.ws.terminate();
  });

  it('drops a connection abruptly (no close frame)', async () => {
    sim = await startSimulator({ markets: 2, speed: 600, startTime: start, faults: { schedule: [{ at: start + MINUTE, kind: 'drop' }] } });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));

    const closed = await client.closed;

    expect(closed.code).toBe(1006);
    expect(sim.stats().disconnects['drop-fault']).toBe(1);
  });

  it('drops every connection within a simulated minute when dropPerMinute is 1', async () => {
    sim = await startSimulator({ markets: 1, speed: 600, seed: 4, faults: { dropPerMinute: 1 } });
    const clients = await Promise.all([1, 2, 3].map(() => connect(streamUrl(sim!.streamUrl, sim!.symbols()))));

    const closed = await Promise.all(clients.map((c) => c.closed));

    expect(closed.map((c) => c.code)).toEqual([1006, 1006, 1006]);
    expect(sim.stats().disconnects['drop-fault']).toBe(3);
  });

  it('duplicates every frame when duplicate=1', async () => {
    sim = await startSimulator({ markets: 1, speed: 600, faults: { duplicate: 1 } });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));

    await client.waitFor(closing);
    await sleep(250);
    client.ws.close();

    const t = client.texts;
    expect(t.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i + 1 < t.length; i += 2) expect(t[i + 1]).toBe(t[i]);
  });

  it('changes faults at run time with setFaults', async () => {
    sim = await startSimulator({ markets: 1, speed: 600, updatesPerMinute: 3 });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));
    await client.waitFor(closing);
    const before = client.texts.slice();

    sim.setFaults({ duplicate: 1 });
    const from = client.texts.length;
    await client.waitFor(closing, 5000, from);
    await sleep(30); // the duplicate follows the original
    client.ws.close();

    const after = client.texts.slice(from);
    expect(before.every((t, i) => i === 0 || t !== before[i - 1])).toBe(true);
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(after.filter((t) => closing(t))).toHaveLength(2);
  });

  it('fires a fault scheduled in the past at once, without repeating any frame', async () => {
    sim = await startSimulator({ markets: 1, speed: 600, updatesPerMinute: 3 });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));
    const other = await connect(streamUrl(sim.streamUrl, sim.symbols()));
    await client.waitFor(closing);

    sim.setFaults({ schedule: [{ at: sim.now() - 30_000, kind: 'drop', count: 1 }] });
    await client.closed;
    await sleep(300);
    other.ws.close();

    const t = other.texts;
    expect(t.length).toBeGreaterThan(4);
    expect(new Set(t).size).toBe(t.length);
  });

  it('reorders frames when reorder is on, without losing any', async () => {
    sim = await startSimulator({ markets: 1, speed: 600, updatesPerMinute: 3, faults: { reorder: 1 } });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));

    await sleep(600);
    client.ws.close();

    const events = client.texts.map((t) => parseCombined(t).data);
    const times = events.map((e) => e.E);
    expect(times.some((t, i) => i > 0 && t < times[i - 1])).toBe(true);
    const closedMinutes = events.filter((e) => e.k.x).map((e) => e.k.t).sort((a, b) => a - b);
    expect(closedMinutes.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < closedMinutes.length - 1; i++) expect(closedMinutes[i] - closedMinutes[i - 1]).toBe(MINUTE);
  });

  it('adds malformed frames (truncated JSON, garbage) when malformed is on', async () => {
    sim = await startSimulator({ markets: 1, speed: 600, faults: { malformed: 0.5 } });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));

    await sleep(600);
    client.ws.close();

    const parsed = client.texts.map((t) => {
      try {
        const v = JSON.parse(t) as { data?: { k?: unknown } };
        return v.data?.k !== undefined && !Array.isArray(v.data.k);
      } catch {
        return false;
      }
    });
    expect(parsed.filter((ok) => !ok).length).toBeGreaterThan(0);
    expect(parsed.filter((ok) => ok).length).toBeGreaterThan(0);
  });

  it('delivers a late closing update after the next minute has started updating', async () => {
    sim = await startSimulator({ markets: 1, speed: 600, updatesPerMinute: 2, faults: { late: 1, lateDelayMs: 25_000 } });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));

    const closedText = await client.waitFor(closing);
    client.ws.close();

    const index = client.texts.indexOf(closedText);
    const closed = parseCombined(closedText).data;
    const earlier = client.texts.slice(0, index).map((t) => parseCombined(t).data);
    expect(earlier.some((e) => !e.k.x && e.k.t === closed.k.t + MINUTE)).toBe(true);
    expect(closed.E).toBeGreaterThanOrEqual(closed.k.T + 25_000);
  });

  it('publishes zero-trade minutes with x:true, n=0, f=L=-1 and a flat price', async () => {
    sim = await startSimulator({ markets: 4, speed: 600, illiquidShare: 1, zeroTradeProbability: 0.9 });
    const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));

    const zero = parseCombined(await client.waitFor((t) => closing(t) && t.includes('"n":0,'))).data.k;
    client.ws.close();

    expect(zero).toMatchObject({ f: -1, L: -1, n: 0, v: '0.00000000', q: '0.00000000' });
    expect(new Set([zero.o, zero.h, zero.l, zero.c]).size).toBe(1);
  });
});

describe('stream paths', () => {
  it('reads combined, raw and raw-with-streams paths, with URL-encoded Unicode names', () => {
    expect(parseStreamPath(`/stream?streams=${encodeURIComponent('币安人生usdt@kline_1m')}/btcusdt@kline_1m`)).toEqual({ combined: true, names: ['币安人生usdt@kline_1m', 'btcusdt@kline_1m'], delivers: true });
    expect(parseStreamPath('/ws')).toEqual({ combined: false, names: [], delivers: true });
    expect(parseStreamPath('/ws/btcusdt@kline_1m')).toEqual({ combined: false, names: ['btcusdt@kline_1m'], delivers: true });
    expect(parseStreamPath('/api/v3/klines')).toBeUndefined();
    expect(() => parseStreamPath('/ws/%E0%A4%A')).toThrow();
  });
});
