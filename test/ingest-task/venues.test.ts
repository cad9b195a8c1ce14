/**
 * Every market type through the real REST and websocket paths of the simulator: the wrong
 * USDⓈ-M stream path is found silent and left for the right one, one venue's 451 leaves the
 * others untouched, and COIN-M's contractStatus and a delivered quarterly are read right.
 */
import type { Kline } from '../../core/kline';
import { startCapture } from '../../ingest-task/capture/capture';
import { startIngest, type IngestHandle } from '../../ingest-task/capture/ingest';
import { createLogger } from '../../core/logger';
import { LOCATION_REFUSED_MESSAGE } from '../../core/binance/errors';
import { COINM, SPOT, USDM, VENUES } from '../../core/binance/venues';
import { startSimulator, startVenueSimulators, type Simulator, type VenueSimulators } from '../../sim/index';
import { KLINE_FIELDS, recordingSink, sleep, waitCaughtUp } from './harness';

const START = Date.UTC(2026, 0, 5);
const MINUTE = 60_000;

/** Every expected minute in [from, to] once and equal to the truth; the problems found. */
function problems(sim: Simulator, klines: readonly Kline[], from: number, to: number): string[] {
  const seen = new Map<string, Kline>();
  const out: string[] = [];
  for (const k of klines) {
    const key = `${k.symbol}|${k.openTime}`;
    if (seen.has(key)) out.push(`duplicate ${key}`);
    seen.set(key, k);
  }
  for (const e of sim.expectedMinutes(from, to)) if (!seen.has(`${e.symbol}|${e.openTime}`)) out.push(`missing ${e.symbol}|${e.openTime}`);
  for (const m of sim.markets()) {
    for (const t of sim.truth(m.symbol, from, to)) {
      const got = seen.get(`${t.symbol}|${t.openTime}`);
      if (got) for (const f of KLINE_FIELDS) if (got[f] !== t[f]) out.push(`${t.symbol}|${t.openTime}.${f}`);
    }
  }
  return out;
}

const quietLogger = () => {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }) };
};

describe('USDⓈ-M stream paths', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ marketType: 'usdm', markets: 8, speed: 60, seed: 5, startTime: START });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('a stream URL on the wrong path (/public) is found silent, left for /market, and every minute still arrives once', async () => {
    const { lines, logger } = quietLogger();
    const { sink, klines } = recordingSink();
    const ingest = await startIngest({ venue: USDM, restUrl: sim.restUrl, streamUrl: `${sim.streamUrl}/public`, sink, flushIntervalMs: 50, clockPollMs: 200, logger });
    try {
      const target = START + 4 * MINUTE;
      expect(await waitCaughtUp(ingest, target, 30_000)).toBe(true);
      const s = ingest.status();
      expect(s.pathSwitches).toBeGreaterThanOrEqual(1);
      expect(s.streamPath).toBe('/market');
      // After the switch the stream delivers: later minutes come from it, not from REST.
      const afterSwitch = START + 6 * MINUTE;
      expect(await waitCaughtUp(ingest, afterSwitch, 30_000)).toBe(true);
      const streamed = ingest.status().klinesFromStream;
      expect(streamed).toBeGreaterThan(0);
      expect(problems(sim, klines, START, afterSwitch)).toEqual([]);
      expect(lines.some((l) => l.includes('connection silent past the expected close'))).toBe(true);
    } finally {
      await ingest.stop();
    }
  });

  it('the right path (/market) from the host alone: no switch, no silence', async () => {
    const { sink, klines } = recordingSink();
    const ingest = await startIngest({ venue: USDM, restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, flushIntervalMs: 50 });
    try {
      const from = Math.ceil(sim.now() / MINUTE) * MINUTE + MINUTE;
      expect(await waitCaughtUp(ingest, from + 3 * MINUTE, 30_000)).toBe(true);
      const s = ingest.status();
      expect([s.pathSwitches, s.silentConnections, s.silentStreams, s.streamPath]).toEqual([0, 0, 0, '/market']);
      expect(problems(sim, klines, from, from + 3 * MINUTE)).toEqual([]);
    } finally {
      await ingest.stop();
    }
  });
});

describe('three venues at once', () => {
  let sims: VenueSimulators;
  beforeAll(async () => {
    sims = await startVenueSimulators(['spot', 'usdm', 'coinm'], { markets: 10, speed: 60, seed: 11, startTime: START });
  });
  afterAll(async () => {
    await sims.close();
  });

  it("one venue's 451 stops neither of the others; the venue comes back once the refusal is lifted", async () => {
    const usdm = sims.venue('usdm');
    usdm.setFaults({ restrictedLocation: true });
    const { lines, logger } = quietLogger();
    const sinks = recordingSink();
    const capture = await startCapture({
      venues: (['spot', 'usdm', 'coinm'] as const).map((t) => ({ venue: VENUES[t], restUrl: sims.venue(t).restUrl, streamUrl: sims.venue(t).streamUrl })),
      sink: sinks.sink,
      flushIntervalMs: 50,
      venueRetryMs: 300,
      logger,
    });
    try {
      for (let i = 0; i < 300 && !(capture.ingest('spot') && capture.ingest('coinm')); i++) await sleep(100);
      const spot = capture.ingest('spot') as IngestHandle;
      const coinm = capture.ingest('coinm') as IngestHandle;
      const from = Math.ceil(sims.venue('spot').now() / MINUTE) * MINUTE;
      expect(await waitCaughtUp(spot, from + 3 * MINUTE, 30_000)).toBe(true);
      expect(await waitCaughtUp(coinm, from + 3 * MINUTE, 30_000)).toBe(true);
      const refused = capture.status().venues.find((v) => v.marketType === 'usdm');
      // Between retries it is 'failed', during one 'starting'; either way it keeps the reason.
      expect(['failed', 'starting']).toContain(refused?.state);
      expect(refused?.error).toBe(LOCATION_REFUSED_MESSAGE);
      expect(refused?.failures).toBeGreaterThanOrEqual(2); // retried, and refused again
      expect(lines.some((l) => l.includes('venue failed; the other market types carry on') && l.includes('"marketType":"usdm"'))).toBe(true);

      usdm.setFaults({});
      for (let i = 0; i < 300 && !capture.ingest('usdm'); i++) await sleep(100);
      const back = capture.ingest('usdm') as IngestHandle;
      expect(back).toBeDefined();
      const later = Math.ceil(usdm.now() / MINUTE) * MINUTE + MINUTE;
      expect(await waitCaughtUp(back, later + MINUTE, 30_000)).toBe(true);
      expect(capture.status().venues.map((v) => v.state)).toEqual(['running', 'running', 'running']);
    } finally {
      usdm.setFaults({});
      await capture.stop();
    }
  });

  it('COIN-M: contractStatus read, a quarterly delivered mid-run stops being expected, its minutes before delivery all arrive', async () => {
    const coinm = await startSimulator({ marketType: 'coinm', markets: 10, speed: 60, seed: 11, startTime: START, churn: { deliveries: 1, withinMs: 3 * MINUTE } });
    const delivered = coinm.markets().find((m) => /_\d{6}$/.test(m.symbol) && coinm.marketHistory().some((e) => e.symbol === m.symbol && (e.status as string) === 'DELIVERING'));
    expect(delivered).toBeDefined();
    const { sink, klines, events } = recordingSink();
    const ingest = await startIngest({ venue: COINM, restUrl: coinm.restUrl, streamUrl: coinm.streamUrl, sink, flushIntervalMs: 50, refreshIntervalMs: 500, captureFrom: START });
    try {
      const deliveredAt = coinm.marketHistory().find((e) => e.symbol === delivered?.symbol && (e.status as string) === 'DELIVERING')?.at as number;
      const target = Math.max(deliveredAt + MINUTE, Math.floor(coinm.now() / MINUTE) * MINUTE);
      await coinm.waitUntil(target + 2 * MINUTE);
      expect(await waitCaughtUp(ingest, target, 30_000)).toBe(true);
      expect(problems(coinm, klines, START, target)).toEqual([]);
      const own = klines.filter((k) => k.symbol === delivered?.symbol);
      expect(own.length).toBeGreaterThan(0);
      expect(Math.max(...own.map((k) => k.openTime))).toBe(deliveredAt - MINUTE);
      expect(events.some((e) => e.symbol === delivered?.symbol && e.status !== 'TRADING')).toBe(true);
      expect(klines.every((k) => /_(PERP|\d{6})$/.test(k.symbol))).toBe(true);
    } finally {
      await ingest.stop();
      await coinm.close();
    }
  });

  it('the same symbol on spot and USDⓈ-M never mixes: each kline carries its venue and equals that venue\'s truth', async () => {
    const spotSim = sims.venue('spot');
    const usdmSim = sims.venue('usdm');
    const shared = usdmSim.symbols().filter((s) => spotSim.symbols().includes(s));
    expect(shared.length).toBeGreaterThan(0);
    const { sink, klines, events } = recordingSink();
    const capture = await startCapture({
      venues: (['spot', 'usdm'] as const).map((t) => ({ venue: VENUES[t], restUrl: sims.venue(t).restUrl, streamUrl: sims.venue(t).streamUrl, marketFilter: { symbols: shared, quoteAssets: [] } })),
      sink,
      flushIntervalMs: 50,
    });
    try {
      for (let i = 0; i < 300 && !(capture.ingest('spot') && capture.ingest('usdm')); i++) await sleep(100);
      const from = Math.ceil(spotSim.now() / MINUTE) * MINUTE + MINUTE;
      for (const t of ['spot', 'usdm'] as const) expect(await waitCaughtUp(capture.ingest(t) as IngestHandle, from + 2 * MINUTE, 30_000)).toBe(true);
      const typeOf = (x: object): string => (x as { marketType?: string }).marketType ?? 'spot';
      for (const [type, sim] of [['spot', spotSim], ['usdm', usdmSim]] as const) {
        const own = klines.filter((k) => typeOf(k) === type && k.openTime >= from && k.openTime <= from + 2 * MINUTE);
        expect(own.length).toBe(shared.length * 3);
        const truth = new Map(shared.flatMap((s) => sim.truth(s, from, from + 2 * MINUTE)).map((k) => [`${k.symbol}|${k.openTime}`, k]));
        for (const k of own) for (const f of KLINE_FIELDS) expect([k.symbol, f, k[f]]).toEqual([k.symbol, f, truth.get(`${k.symbol}|${k.openTime}`)?.[f]]);
      }
      expect(new Set(events.map(typeOf))).toEqual(new Set(['spot', 'usdm']));
    } finally {
      await capture.stop();
    }
  });

  it('spot BTCUSDT-like symbols also listed on USDⓈ-M carry different klines in the two simulators', () => {
    const spot = new Set(sims.venue('spot').symbols());
    const shared = sims.venue('usdm').symbols().filter((s) => spot.has(s));
    expect(shared.length).toBeGreaterThan(0);
    const a = sims.venue('spot').truth(shared[0], START, START);
    const b = sims.venue('usdm').truth(shared[0], START, START);
    expect(a[0].close).not.toBe(b[0].close);
  });

  it('the ingest reads each venue with its own venue module', () => {
    expect([SPOT, USDM, COINM].map((v) => v.paths.klines)).toEqual(['/api/v3/klines', '/fapi/v1/klines', '/dapi/v1/klines']);
  });
});
