/** The simulator as each Binance venue: REST prefixes, futures exchangeInfo, USDⓈ-M stream routing, frame rate. */
import { startSimulator, type Simulator } from '../../sim/index';
import { connect } from './ws-client';

const START = Date.UTC(2026, 0, 5);

async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('simulated venues', () => {
  let usdm: Simulator;
  let coinm: Simulator;
  beforeAll(async () => {
    usdm = await startSimulator({ marketType: 'usdm', markets: 10, speed: 60, seed: 3, startTime: START });
    coinm = await startSimulator({ marketType: 'coinm', markets: 10, speed: 60, seed: 3, startTime: START });
  });
  afterAll(async () => {
    await usdm.close();
    await coinm.close();
  });

  it('serves each venue under its own REST prefix only, with futures weights and limit 1500', async () => {
    expect((await get(`${usdm.restUrl}/fapi/v1/time`)).status).toBe(200);
    expect((await get(`${usdm.restUrl}/api/v3/time`)).status).toBe(404);
    expect((await get(`${usdm.restUrl}/dapi/v1/time`)).status).toBe(404);
    expect((await get(`${coinm.restUrl}/dapi/v1/ping`)).status).toBe(200);
    const symbol = usdm.symbols()[0];
    const rows = await fetch(`${usdm.restUrl}/fapi/v1/klines?symbol=${symbol}&interval=1m&startTime=${START - 1500 * 60_000}&limit=1500`);
    expect(rows.status).toBe(200);
    expect(((await rows.json()) as unknown[]).length).toBe(1500);
    // 1000 < limit: weight 10.
    expect(Number(rows.headers.get('x-mbx-used-weight-1m'))).toBeGreaterThanOrEqual(10);
    expect((await get(`${usdm.restUrl}/fapi/v1/klines?symbol=${symbol}&interval=1m&limit=1501`)).body).toEqual({ code: -1130, msg: "Data sent for parameter 'limit' is not valid." });
  });

  it('answers futures exchangeInfo as Binance does: status on USDⓈ-M, contractStatus on COIN-M, contract types and delivery dates', async () => {
    const u = (await get(`${usdm.restUrl}/fapi/v1/exchangeInfo`)).body;
    expect(u.rateLimits[0]).toEqual({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 });
    expect(u.symbols.every((s: any) => s.status === 'TRADING' && s.contractStatus === undefined)).toBe(true);
    expect(u.symbols.some((s: any) => s.contractType === 'CURRENT_QUARTER' && /_\d{6}$/.test(s.symbol))).toBe(true);
    expect(u.symbols.find((s: any) => s.contractType === 'PERPETUAL').deliveryDate).toBe(4133404800000);
    const c = (await get(`${coinm.restUrl}/dapi/v1/exchangeInfo`)).body;
    expect(c.symbols.every((s: any) => s.contractStatus === 'TRADING' && s.status === undefined && s.quoteAsset === 'USD')).toBe(true);
    expect(c.symbols.every((s: any) => /^[A-Z]+USD_(PERP|\d{6})$/.test(s.symbol))).toBe(true);
  });

  it('USDⓈ-M: /market delivers klines; /public and the bare host accept the subscription and deliver nothing', async () => {
    const stream = `${usdm.symbols()[0].toLowerCase()}@kline_1m`;
    const market = await connect(`${usdm.streamUrl}/market/stream?streams=${stream}`);
    const publicPath = await connect(`${usdm.streamUrl}/public/stream`);
    const bare = await connect(`${usdm.streamUrl}/ws`);
    try {
      publicPath.send({ method: 'SUBSCRIBE', params: [stream], id: 1 });
      bare.send({ method: 'SUBSCRIBE', params: [stream], id: 2 });
      expect(JSON.parse(await publicPath.waitFor((t) => t.includes('"id":1')))).toEqual({ result: null, id: 1 });
      expect(JSON.parse(await bare.waitFor((t) => t.includes('"id":2')))).toEqual({ result: null, id: 2 });
      await market.waitFor((t) => t.includes('"x":true'), 5_000);
      expect(publicPath.texts.filter((t) => t.includes('"kline"'))).toEqual([]);
      expect(bare.texts.filter((t) => t.includes('"kline"'))).toEqual([]);
    } finally {
      for (const r of [market, publicPath, bare]) r.ws.terminate();
    }
  });

  it('futures push updates 8× as often as spot at the same speed', async () => {
    const spot = await startSimulator({ markets: 1, speed: 1, seed: 3 });
    const fut = await startSimulator({ marketType: 'usdm', markets: 1, speed: 1, seed: 3 });
    try {
      expect(spot.options.updatesPerMinute).toBe(29);
      expect(fut.options.updatesPerMinute).toBe(239);
    } finally {
      await spot.close();
      await fut.close();
    }
  });
});
