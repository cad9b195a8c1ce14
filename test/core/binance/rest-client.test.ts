import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCATION_REFUSED_MESSAGE, LocationRefusedError } from '../../../core/binance/errors';
import { startIngest } from '../../../ingest-task/capture/ingest';
import { BinanceRestClient, requestWeightLimit } from '../../../core/binance/rest/rest-client';
import { InProcessSink } from '../../../ingest-task/sinks/in-process';
import { WeightGate } from '../../../core/binance/rest/weight-gate';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

describe('BinanceRestClient', () => {
  it('fails at once with the clear 451 message and does not retry', async () => {
    // Prepare
    let requests = 0;
    const { url, server } = await serve((_req, res) => {
      requests++;
      res.writeHead(451, { 'content-type': 'application/json' }).end('{"code":0,"msg":"Service unavailable from a restricted location"}');
    });
    const client = new BinanceRestClient({ baseUrl: url });
    try {
      // Act
      const error = await client.exchangeInfo().catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(LocationRefusedError);
      expect((error as Error).message).toBe(LOCATION_REFUSED_MESSAGE);
      expect((error as Error).message).toContain('BINANCE_REST_URL/BINANCE_STREAM_URL');
      expect(requests).toBe(1);
    } finally {
      client.close();
      await close(server);
    }
  });

  it('makes startIngest fail with the clear 451 message after one request, with nothing left running', async () => {
    let requests = 0;
    const { url, server } = await serve((_req, res) => {
      requests++;
      res.writeHead(451).end();
    });
    const sink = new InProcessSink({ onBatch: async () => undefined });
    try {
      await expect(startIngest({ restUrl: url, streamUrl: 'ws://127.0.0.1:9', sink })).rejects.toThrow(LOCATION_REFUSED_MESSAGE);
      await new Promise((r) => setTimeout(r, 300));
      expect(requests).toBe(1);
    } finally {
      await close(server);
    }
  });

  it('waits out a 418 ban for its Retry-After, then carries on', async () => {
    const times: number[] = [];
    const { url, server } = await serve((_req, res) => {
      times.push(Date.now());
      if (times.length === 1) res.writeHead(418, { 'retry-after': '1' }).end('{"code":-1003,"msg":"banned"}');
      else res.writeHead(200).end('{"serverTime":7}');
    });
    const client = new BinanceRestClient({ baseUrl: url });
    try {
      expect(await client.serverTime()).toBe(7);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
      expect(client.stats.banned).toBe(1);
    } finally {
      client.close();
      await close(server);
    }
  });

  it('waits out a 429 Retry-After before sending anything else', async () => {
    const times: number[] = [];
    const { url, server } = await serve((_req, res) => {
      times.push(Date.now());
      if (times.length === 1) res.writeHead(429, { 'retry-after': '1', 'x-mbx-used-weight-1m': '10' }).end('{"code":-1003,"msg":"Too many requests"}');
      else res.writeHead(200, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': '11' }).end('{"serverTime":123}');
    });
    const client = new BinanceRestClient({ baseUrl: url });
    try {
      expect(await client.serverTime()).toBe(123);
      expect(times).toHaveLength(2);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
      expect(client.stats.throttled).toBe(1);
    } finally {
      client.close();
      await close(server);
    }
  });

  it('retries 5xx answers and then succeeds', async () => {
    let n = 0;
    const { url, server } = await serve((_req, res) => {
      n++;
      if (n <= 2) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'x-mbx-used-weight-1m': '3' }).end('[]');
    });
    const client = new BinanceRestClient({ baseUrl: url, retryBackoff: { baseMs: 10, capMs: 20 } });
    try {
      expect(await client.klines('AUSDT', 0, 59_999)).toEqual([]);
      expect(n).toBe(3);
    } finally {
      client.close();
      await close(server);
    }
  });

  it('reads the weight limit and window from exchangeInfo.rateLimits', () => {
    expect(requestWeightLimit([{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 }, { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }])).toEqual({ limit: 6000, windowMs: 60_000 });
    expect(requestWeightLimit([{ rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 2, limit: 50 }])).toEqual({ limit: 50, windowMs: 2_000 });
    expect(requestWeightLimit([])).toBeUndefined();
  });
});

describe('WeightGate', () => {
  it('lets requests through only while the reported weight plus in-flight weight stays within the budget', () => {
    // Prepare
    let now = 60_000 * 10 + 5_000;
    const gate = new WeightGate({ limit: 100, windowMs: 60_000, headroom: 0.5, now: () => now });
    // Act / Assess
    expect(gate.budget).toBe(50);
    expect(gate.waitMs(20)).toBe(0);
    gate.reserve(20);
    gate.settle(20, 45);
    expect(gate.waitMs(2)).toBe(0);
    gate.reserve(2);
    expect(gate.waitMs(5)).toBeGreaterThan(0);
    gate.settle(2, 47);
    // The next window starts at 11 minutes.
    const wait = gate.waitMs(5);
    expect(wait).toBeGreaterThanOrEqual(55_000);
    now += wait;
    expect(gate.waitMs(5)).toBe(0);
  });

  it('stays closed for the whole of a Retry-After block', () => {
    let now = 0;
    const gate = new WeightGate({ limit: 100, windowMs: 1_000, headroom: 0.5, now: () => now });
    gate.block(5_000);
    expect(gate.waitMs(1)).toBe(5_000);
    now = 4_999;
    expect(gate.waitMs(1)).toBe(1);
    now = 5_000;
    expect(gate.waitMs(1)).toBe(0);
  });
});
