/**
 * Issue 11's proof for the ingest: one `startCapture` runs spot, USDⓈ-M and COIN-M at once against
 * three simulators (own processes, real websockets on loopback) with every fault and lifecycle
 * event: random drops, stalls, server shutdowns, duplicate, reordered, malformed and late frames and
 * REST errors (429 with Retry-After) on every venue; one certain drop, stall and shutdown per venue
 * timed after the capture runs; the USDⓈ-M stream URL given on the wrong path (/public, silent); a
 * quarterly contract delivered mid-run and a perpetual delisted (USDⓈ-M); a spot market halted and
 * resumed; and COIN-M refused with HTTP 451 for a while mid-run, its connections dropped into the
 * refusal (it either rides it out or fails, is started again and resumes from what was stored; the
 * other venues never notice).
 *
 * Per type, compared with that venue's truth: every expected minute once, equal field by field,
 * carrying its own market type, so BTCUSDT-like symbols listed on spot and USDⓈ-M (different
 * klines) never mix.
 */
import type { Kline } from '../../core/kline';
import type { MarketStatusEvent, MarketType } from '../../core/market';
import { startCapture } from '../../ingest-task/capture/capture';
import type { IngestHandle } from '../../ingest-task/capture/ingest';
import { createLogger } from '../../core/logger';
import { VENUES } from '../../core/binance/venues';
import type { FaultConfig, LifecycleEvent, SimOptions } from '../../sim/index';
import { generateMarkets } from '../../sim/markets';
import { resolveOptions } from '../../sim/options';
import { MODERATE_FAULT_RATES, compareWithTruth, minuteOf, recordingSink, shortLimits, sleep, waitCaughtUp, waitForSimTime } from './harness';
import { startRemoteSimulator, type RemoteSimulator } from './sim-process';

const TYPES = ['spot', 'usdm', 'coinm'] as const;
const START = Date.UTC(2026, 0, 5);
const MINUTE = 60_000;
const SPEED = 120;
const SEED = 11;
const MARKETS: Record<MarketType, number> = { spot: 40, usdm: 25, coinm: 10 };
/** Lifecycle events fall here, well after a loaded machine has the capture running (40 real s after the launch). */
const EVENTS_FROM = START + 80 * MINUTE;
const RUN_UNTIL = START + 150 * MINUTE;
const WEIGHT_LIMIT = 1200;
const RATES = MODERATE_FAULT_RATES;
const LIMITS = shortLimits(WEIGHT_LIMIT);

/** The simulator's market list for these options, computed without starting one (sim/markets.ts is pure). */
const marketsOf = (o: SimOptions) => generateMarkets(resolveOptions(o));

/**
 * USDⓈ-M: one quarterly delivered in [EVENTS_FROM, EVENTS_FROM + 30 min] (the churn window that
 * puts the seed's delivery there), and a perpetual that also trades on spot delisted (SETTLING,
 * then gone 30 minutes later).
 */
function usdmPlan(): { options: SimOptions; delivered: string; delisted: string; deliveredAt: number; delistedAt: number } {
  const base: SimOptions = { marketType: 'usdm', markets: MARKETS.usdm, seed: SEED, startTime: START };
  for (let withinMin = 45; withinMin < 400; withinMin++) {
    const churn = { deliveries: 1, withinMs: withinMin * MINUTE };
    const markets = marketsOf({ ...base, churn });
    const quarterly = markets.find((m) => m.history.some((h) => h.status === 'DELIVERING'));
    const at = quarterly?.history.find((h) => h.status === 'DELIVERING')?.at ?? 0;
    if (!quarterly || at < EVENTS_FROM || at > EVENTS_FROM + 30 * MINUTE) continue;
    const spot = new Set(marketsOf({ marketType: 'spot', markets: MARKETS.spot, seed: SEED, startTime: START }).map((m) => m.symbol));
    const perpetual = markets.find((m) => m.contractType === 'PERPETUAL' && !spot.has(m.symbol)) ?? markets.find((m) => m.contractType === 'PERPETUAL');
    if (!perpetual) throw new Error('no USDⓈ-M perpetual generated');
    const delistedAt = EVENTS_FROM + 12 * MINUTE;
    const lifecycle: LifecycleEvent[] = [
      { symbol: perpetual.symbol, at: delistedAt, status: 'SETTLING' },
      { symbol: perpetual.symbol, at: delistedAt + 30 * MINUTE, status: 'DELISTED' },
    ];
    return { options: { ...base, churn, lifecycle }, delivered: quarterly.symbol, delisted: perpetual.symbol, deliveredAt: at, delistedAt };
  }
  throw new Error('no churn window puts a delivery mid-run');
}

describe('three venues at once with every fault and lifecycle event', () => {
  const sims = new Map<MarketType, RemoteSimulator>();
  const plan = usdmPlan();
  const spotMarkets = marketsOf({ marketType: 'spot', markets: MARKETS.spot, seed: SEED, startTime: START });
  const halted = spotMarkets[3].symbol;
  const haltedAt = EVENTS_FROM + 5 * MINUTE;

  beforeAll(async () => {
    const perType: Record<MarketType, SimOptions> = {
      spot: { marketType: 'spot', markets: MARKETS.spot, seed: SEED, startTime: START, lifecycle: [{ symbol: halted, at: haltedAt, status: 'HALT' }, { symbol: halted, at: haltedAt + 12 * MINUTE, status: 'TRADING' }] },
      usdm: plan.options,
      coinm: { marketType: 'coinm', markets: MARKETS.coinm, seed: SEED, startTime: START },
    };
    for (const t of TYPES) sims.set(t, await startRemoteSimulator({ ...perType[t], speed: SPEED, limits: LIMITS, faults: RATES }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...sims.values()].map((s) => s.close()));
  });

  it('stores every expected minute of every type once, equal to its venue, while faults, lifecycle and a 451 on COIN-M happen', async () => {
    // Prepare: one sink, as the writer sees it; the restarted COIN-M ingest resumes from what it stored
    const sim = (t: MarketType): RemoteSimulator => sims.get(t) as RemoteSimulator;
    const { sink, klines, events } = recordingSink();
    const lines: string[] = [];
    const lastStored = (t: MarketType): Map<string, number> => {
      const last = new Map<string, number>();
      for (const k of klines) if (k.marketType === t && k.openTime > (last.get(k.symbol) ?? -1)) last.set(k.symbol, k.openTime);
      return last;
    };
    const capture = await startCapture({
      venues: TYPES.map((t) => ({ venue: VENUES[t], restUrl: sim(t).restUrl, streamUrl: t === 'usdm' ? `${sim(t).streamUrl}/public` : sim(t).streamUrl })),
      sink,
      captureFrom: START,
      resumeFrom: async (t) => lastStored(t),
      venueRetryMs: 500,
      refreshIntervalMs: 500,
      flushIntervalMs: 50,
      gapCheckIntervalMs: 250,
      clockPollMs: 500,
      connectionTimers: { stallTimeoutMs: 1_000, pingTimeoutMs: 5_000 },
      maxConnectionAgeMs: 8_000,
      rotationOverlapMaxMs: 3_000,
      backoff: { baseMs: 100, capMs: 2_000 },
      logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }),
    });
    try {
      for (let i = 0; i < 600 && !TYPES.every((t) => capture.ingest(t)); i++) await sleep(100);
      const first = new Map(TYPES.map((t) => [t, capture.ingest(t) as IngestHandle]));
      // USDⓈ-M leaves the silent path first (the certain faults below must meet open connections).
      for (let i = 0; i < 600 && (first.get('usdm') as IngestHandle).status().pathSwitches === 0; i++) await sleep(100);
      // The certain faults, timed from now that the capture runs (one schedule per venue, on its own clock).
      const schedules = new Map<MarketType, FaultConfig['schedule']>();
      for (const t of TYPES) {
        const from = minuteOf(await sim(t).now());
        expect(from).toBeLessThan(EVENTS_FROM - 5 * MINUTE); // the lifecycle events are still ahead
        schedules.set(t, [
          { at: from + 6 * MINUTE, kind: 'drop', count: 1 },
          { at: from + 14 * MINUTE, kind: 'stall', count: 1 },
          { at: from + 22 * MINUTE, kind: 'shutdown' },
        ]);
        await sim(t).setFaults({ ...RATES, schedule: schedules.get(t) });
      }

      // Act: COIN-M refuses the caller's location for 8 real seconds mid-run, a drop forcing a backfill into the refusal
      await waitForSimTime(sim('coinm'), EVENTS_FROM, 120_000);
      const refusedFrom = minuteOf(await sim('coinm').now());
      await sim('coinm').setFaults({ ...RATES, restrictedLocation: true, schedule: [{ at: refusedFrom + 2 * MINUTE, kind: 'drop' }] });
      await sleep(8_000);
      await sim('coinm').setFaults({ ...RATES });
      for (const t of TYPES) await waitForSimTime(sim(t), RUN_UNTIL, 180_000);
      for (const t of TYPES) await sim(t).setFaults({});
      const to = new Map<MarketType, number>();
      for (const t of TYPES) {
        to.set(t, minuteOf(await sim(t).now()) - 2 * MINUTE);
        expect([t, await waitCaughtUp(capture.ingest(t) as IngestHandle, to.get(t) as number, 120_000)]).toEqual([t, true]);
      }
      const status = capture.status();
      const ingestStatus = new Map(TYPES.map((t) => [t, (capture.ingest(t) as IngestHandle).status()]));
      const stats = new Map(await Promise.all(TYPES.map(async (t) => [t, await sim(t).stats()] as const)));
      await capture.stop();

      // Assess: per type, every expected minute once and equal to that venue's truth, with its own type
      for (const t of TYPES) {
        const own = klines.filter((k) => k.marketType === t);
        const result = await compareWithTruth(sim(t), own, START, to.get(t) as number);
        expect([t, result.missing.slice(0, 5), result.duplicates.slice(0, 5), result.unexpected.slice(0, 5), result.different.slice(0, 5)]).toEqual([t, [], [], [], []]);
        expect(result.expected).toBeGreaterThan(MARKETS[t] * 80);
      }
      expect(klines.every((k) => (TYPES as readonly string[]).includes(k.marketType))).toBe(true);
      // BTCUSDT-like: symbols on both spot and USDⓈ-M, each side equal to its own venue (above) and the two different.
      const usdmSymbols = new Set(klines.filter((k) => k.marketType === 'usdm').map((k) => k.symbol));
      const shared = [...new Set(klines.filter((k) => k.marketType === 'spot' && usdmSymbols.has(k.symbol)).map((k) => k.symbol))];
      expect(shared.length).toBeGreaterThan(0);
      const closeOf = (t: MarketType, s: string): string[] => klines.filter((k) => k.marketType === t && k.symbol === s && k.openTime >= START && k.openTime < START + 10 * MINUTE).map((k) => k.close);
      for (const s of shared) expect([s, closeOf('spot', s)]).not.toEqual([s, closeOf('usdm', s)]);

      // Lifecycle: the delivered quarterly ends the minute before delivery, the delisted perpetual before SETTLING, the halt leaves a hole
      const lastOf = (t: MarketType, s: string): number => Math.max(...klines.filter((k) => k.marketType === t && k.symbol === s).map((k) => k.openTime));
      expect(lastOf('usdm', plan.delivered)).toBe(plan.deliveredAt - MINUTE);
      expect(lastOf('usdm', plan.delisted)).toBe(plan.delistedAt - MINUTE);
      const haltedMinutes = new Set(klines.filter((k) => k.marketType === 'spot' && k.symbol === halted).map((k) => k.openTime));
      expect([haltedMinutes.has(haltedAt - MINUTE), haltedMinutes.has(haltedAt), haltedMinutes.has(haltedAt + 12 * MINUTE)]).toEqual([true, false, true]);
      const eventOf = (t: MarketType, s: string): MarketStatusEvent[] => events.filter((e) => e.marketType === t && e.symbol === s);
      expect(eventOf('usdm', plan.delivered).some((e) => e.status !== 'TRADING')).toBe(true);
      expect(eventOf('usdm', plan.delisted).some((e) => e.status !== 'TRADING')).toBe(true);
      expect(eventOf('spot', halted).map((e) => e.status)).toEqual(expect.arrayContaining(['HALT', 'TRADING']));
      expect(eventOf('spot', plan.delivered)).toEqual([]);

      // The wrong USDⓈ-M path was found silent and left for /market.
      const usdm = ingestStatus.get('usdm') as ReturnType<IngestHandle['status']>;
      expect([usdm.pathSwitches >= 1, usdm.streamPath]).toEqual([true, '/market']);

      // COIN-M met the 451 (REST and stream upgrades refused) and came through it complete (above);
      // spot and USDⓈ-M never saw one and ran on, never restarted.
      const venue = (t: MarketType) => status.venues.find((v) => v.marketType === t);
      expect(TYPES.map((t) => [t, stats.get(t)?.restStatuses[451] ?? 0] as const).map(([t, n]) => [t, n > 0])).toEqual([
        ['spot', false],
        ['usdm', false],
        ['coinm', true],
      ]);
      expect(TYPES.map((t) => venue(t)?.state)).toEqual(['running', 'running', 'running']);
      expect([venue('spot')?.failures, venue('usdm')?.failures]).toEqual([0, 0]);
      expect([capture.ingest('spot'), capture.ingest('usdm')]).toEqual([first.get('spot'), first.get('usdm')]);
      expect(lines.some((l) => l.includes('venue failed') && !l.includes('"marketType":"coinm"'))).toBe(false);

      // The faults really happened on spot and USDⓈ-M (whose ingests ran throughout), and no venue was banned.
      for (const t of ['spot', 'usdm'] as const) {
        const s = ingestStatus.get(t) as ReturnType<IngestHandle['status']>;
        expect([t, s.reconnects > 0, s.stalls > 0, s.serverShutdowns > 0, s.rotations > 0, s.gapsFilled > 0]).toEqual([t, true, true, true, true, true]);
      }
      for (const t of TYPES) {
        const s = stats.get(t);
        expect([t, (s?.disconnects['drop-fault'] ?? 0) > 0, s?.count418, (s?.maxWeightUsedInWindow ?? 0) <= WEIGHT_LIMIT]).toEqual([t, true, 0, true]);
      }
    } finally {
      await capture.stop();
    }
  }, 480_000);
});
