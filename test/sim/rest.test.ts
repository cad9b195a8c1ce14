import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sumDecimals, compareDecimal } from '../../core/decimal';
import { startSimulator, type Simulator } from '../../sim';
import { shapeDiff } from './json-shape';
import { connect } from './ws-client';

const docs = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '../fixtures/binance-docs', name), 'utf8'));

async function get(sim: Simulator, path: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${sim.restUrl}${path}`);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

type Row = [number, string, string, string, string, string, number, string, number, string, string, string];

describe('simulator REST', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ markets: 30, seed: 11, speed: 60 });
  });
  afterAll(() => sim.close());

  it('answers exchangeInfo with the documented fields and JSON types', async () => {
    const { status, body } = await get(sim, '/api/v3/exchangeInfo');

    expect(status).toBe(200);
    expect(shapeDiff(docs('exchange-info.json'), body, { optional: ['sors'], discriminators: ['filterType', 'rateLimitType'] })).toEqual([]);
    const info = body as { symbols: { symbol: string; status: string }[]; rateLimits: { rateLimitType: string; limit: number }[] };
    expect(info.symbols).toHaveLength(30);
    expect(info.rateLimits.find((r) => r.rateLimitType === 'REQUEST_WEIGHT')?.limit).toBe(6000);
    expect(info.symbols.some((s) => /[^\x00-\x7f]/.test(s.symbol))).toBe(true);
  });

  it('filters exchangeInfo by symbol and symbols, and rejects unknown symbols with -1121', async () => {
    const [a, b] = sim.symbols();

    const one = (await get(sim, `/api/v3/exchangeInfo?symbol=${encodeURIComponent(a)}`)).body as { symbols: { symbol: string }[] };
    const two = (await get(sim, `/api/v3/exchangeInfo?symbols=${encodeURIComponent(JSON.stringify([a, b]))}`)).body as { symbols: { symbol: string }[] };
    const bad = await get(sim, '/api/v3/exchangeInfo?symbol=NOSUCHCOIN');

    expect(one.symbols.map((s) => s.symbol)).toEqual([a]);
    expect(two.symbols.map((s) => s.symbol).sort()).toEqual([a, b].sort());
    expect(bad).toMatchObject({ status: 400, body: { code: -1121, msg: 'Invalid symbol.' } });
  });

  it('answers klines with documented rows: 12 columns, decimal text, the open minute last', async () => {
    const symbol = sim.symbols()[3];

    const { status, body } = await get(sim, `/api/v3/klines?symbol=${symbol}&interval=1m&limit=5`);

    expect(status).toBe(200);
    expect(shapeDiff(docs('klines.json'), body)).toEqual([]);
    const rows = body as Row[];
    expect(rows).toHaveLength(5);
    for (const r of rows) for (const i of [1, 2, 3, 4, 5, 7, 9, 10]) expect(r[i]).toMatch(/^[0-9]+\.[0-9]{8}$/);
    expect(rows.map((r) => r[0] - rows[0][0])).toEqual([0, 60_000, 120_000, 180_000, 240_000]);
    // The last row is the minute still open: its close time is in the future.
    expect(rows[4][6]).toBeGreaterThanOrEqual(sim.now() - 1000);
  });

  it('returns closed rows equal to truth() for a startTime/endTime range', async () => {
    const symbol = sim.symbols()[5];
    const from = sim.options.startTime - 3 * 60 * 60_000;
    const to = from + 99 * 60_000;

    const { body } = await get(sim, `/api/v3/klines?symbol=${symbol}&interval=1m&startTime=${from}&endTime=${to}&limit=1000`);

    const truth = sim.truth(symbol, from, to).map((k) => [k.openTime, k.open, k.high, k.low, k.close, k.volume, k.closeTime, k.quoteVolume, k.trades, k.takerBuyBaseVolume, k.takerBuyQuoteVolume, '0']);
    expect(truth).toHaveLength(100);
    expect(body).toEqual(truth);
  });

  it('builds 5m klines from the 1m klines of the window', async () => {
    const symbol = sim.symbols()[7];
    const from = sim.options.startTime - 60 * 60_000;

    const five = (await get(sim, `/api/v3/klines?symbol=${symbol}&interval=5m&startTime=${from}&limit=1`)).body as Row[];
    const ones = sim.truth(symbol, from, from + 4 * 60_000);

    expect(five[0][0]).toBe(from);
    expect(five[0][1]).toBe(ones[0].open);
    expect(five[0][4]).toBe(ones[4].close);
    expect(five[0][2]).toBe(ones.map((k) => k.high).reduce((a, b) => (compareDecimal(a, b) >= 0 ? a : b)));
    expect(five[0][3]).toBe(ones.map((k) => k.low).reduce((a, b) => (compareDecimal(a, b) <= 0 ? a : b)));
    expect(five[0][5]).toBe(sumDecimals(ones.map((k) => k.volume), 8));
    expect(five[0][8]).toBe(ones.reduce((n, k) => n + k.trades, 0));
  });

  it('leaves out minutes of a BREAK, and still returns `limit` rows for the most recent klines', async () => {
    const start = Date.UTC(2026, 0, 5);
    const probe = await startSimulator({ markets: 2, startTime: start });
    const symbol = probe.symbols()[0];
    await probe.close();
    const own = await startSimulator({ markets: 2, startTime: start, lifecycle: [{ symbol, at: start - 10 * 60_000, status: 'BREAK' }, { symbol, at: start - 5 * 60_000, status: 'TRADING' }] });
    try {
      const ranged = (await get(own, `/api/v3/klines?symbol=${symbol}&interval=1m&startTime=${start - 20 * 60_000}&endTime=${start - 60_000}`)).body as Row[];
      const recent = (await get(own, `/api/v3/klines?symbol=${symbol}&interval=1m&limit=20`)).body as Row[];

      expect(ranged.map((r) => (start - r[0]) / 60_000)).toEqual([20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 5, 4, 3, 2, 1]);
      expect(recent).toHaveLength(20);
      expect(recent.map((r) => r[0]).filter((t) => t >= start - 10 * 60_000 && t < start - 5 * 60_000)).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it.each([
    ['missing symbol', '/api/v3/klines?interval=1m', -1102],
    ['missing interval', '/api/v3/klines?symbol=SYM', -1102],
    ['unknown symbol', '/api/v3/klines?symbol=NOPE&interval=1m', -1121],
    ['bad interval', '/api/v3/klines?symbol=SYM&interval=7m', -1120],
    ['limit over 1000', '/api/v3/klines?symbol=SYM&interval=1m&limit=1001', -1130],
    ['non-numeric startTime', '/api/v3/klines?symbol=SYM&interval=1m&startTime=yesterday', -1100],
  ])('rejects %s (%s) with 400 and Binance error code %i', async (_name, path, code) => {
    const { status, body } = await get(sim, path.replace('SYM', sim.symbols()[0]));

    expect(status).toBe(400);
    expect(body).toEqual({ code, msg: expect.any(String) });
  });

  it('reports used weight per request in X-MBX-USED-WEIGHT-1M (ping 1, klines 2, exchangeInfo 20)', async () => {
    const own = await startSimulator({ markets: 3, limits: { weightWindowMs: 86_400_000 } });
    try {
      const a = Number((await get(own, '/api/v3/ping')).headers.get('x-mbx-used-weight-1m'));
      const b = Number((await get(own, `/api/v3/klines?symbol=${own.symbols()[0]}&interval=1m`)).headers.get('x-mbx-used-weight-1m'));
      const c = Number((await get(own, '/api/v3/exchangeInfo')).headers.get('x-mbx-used-weight-1m'));
      const d = await get(own, '/api/v3/time');

      expect([b - a, c - b, Number(d.headers.get('x-mbx-used-weight-1m')) - c]).toEqual([2, 20, 1]);
      expect(d.body).toEqual({ serverTime: expect.any(Number) });
    } finally {
      await own.close();
    }
  });

  it('answers 429 with Retry-After past the weight limit and 418 to a client that keeps going', async () => {
    const own = await startSimulator({ markets: 3, limits: { weightWindowMs: 86_400_000, requestWeightPerWindow: 4, ignoredBackoffsBeforeBan: 1 } });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof get>> | undefined;
      for (let i = 0; i < 7; i++) {
        last = await get(own, '/api/v3/ping');
        statuses.push(last.status);
      }

      expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 418]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last!.body).toEqual({ code: -1003, msg: expect.stringContaining('banned') });
      expect(own.stats()).toMatchObject({ count429: 2, count418: 1, maxWeightUsedInWindow: 4 });
    } finally {
      await own.close();
    }
  });

  it('plays a restricted location: HTTP 451 with Binance\'s message for REST and streams, until turned off', async () => {
    const own = await startSimulator({ markets: 2, faults: { restrictedLocation: true } });
    try {
      const refused = await get(own, '/api/v3/exchangeInfo');
      const upgrade = connect(`${own.streamUrl}/stream?streams=x@kline_1m`);
      await expect(upgrade).rejects.toThrow('HTTP 451');
      own.setFaults({});
      const served = await get(own, '/api/v3/ping');

      expect(refused).toMatchObject({ status: 451, body: { code: 0, msg: expect.stringContaining('restricted location') } });
      expect(served.status).toBe(200);
    } finally {
      await own.close();
    }
  });

  it('injects 500, 503 and 429 responses when rest-errors is on, and a 429 asks for back-off', async () => {
    const own = await startSimulator({ markets: 3, seed: 8, faults: { restErrors: 1 }, limits: { ignoredBackoffsBeforeBan: 1000 } });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      while (!statuses.includes(429) && statuses.length < 50) {
        const res = await get(own, '/api/v3/time');
        statuses.push(res.status);
        retryAfter = res.headers.get('retry-after');
        expect(res.body).toEqual({ code: expect.any(Number), msg: expect.any(String) });
      }

      expect(new Set(statuses)).toEqual(new Set([500, 503, 429]));
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // During the back-off every request is refused, whatever the fault dice say.
      expect((await get(own, '/api/v3/time')).status).toBe(429);
    } finally {
      await own.close();
    }
  });
});
