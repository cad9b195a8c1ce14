/**
 * The end-of-run verification of `--sim` against real simulators (their truth is a pure function
 * of seed, market and minute) and a real SQLite store: every market type, everything stored
 * (an earlier run's minutes included), how far behind capture was, and a verdict that is
 * VERIFIED only when all of it holds.
 */
import { MINUTE_MS, RESAMPLED_INTERVALS } from '../../../core/interval';
import type { Kline } from '../../../core/kline';
import type { MarketType } from '../../../core/market';
import { resample } from '../../../core/resample';
import { SqliteKlineStore } from '../../../core/store/sqlite';
import { startVenueSimulators, type Simulator, type VenueSimulators } from '../../../sim/index';
import { verifySimulatedRun, type RunVerificationInput } from '../../../bin/local/verify-run';

const START = Date.UTC(2026, 0, 5);
const TYPES = ['spot', 'usdm'] as const;
/** This run's first minute; the store also holds an earlier run's half hour before it. */
const STARTED_AT = START;
const EARLIER = START - 30 * MINUTE_MS;
const CAUGHT_UP_TO = START + 9 * MINUTE_MS;

/** A venue's truth for open times in [from, to), labelled with its market type as the ingest labels it. */
function truthOf(sim: Simulator, from: number, to: number): Kline[] {
  return sim.markets().flatMap((m) => sim.truth(m.symbol, from, to - 1).map((k) => ({ ...k, marketType: sim.marketType })));
}

describe('verifySimulatedRun', () => {
  let sims: VenueSimulators;
  let store: SqliteKlineStore;
  const simMap = (): Map<MarketType, Simulator> => new Map(TYPES.map((t) => [t, sims.venue(t)]));

  beforeAll(async () => {
    // speed 1: the clocks barely move; the truth does not depend on them anyway.
    sims = await startVenueSimulators(TYPES, { markets: 4, speed: 1, seed: 9, startTime: START });
  });
  afterAll(async () => {
    await sims.close();
  });
  beforeEach(async () => {
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
  });
  afterEach(async () => {
    await store.close();
  });

  /** Store a type's truth for [from, to) with the bars the resampler would build from it. */
  async function storeTruth(type: MarketType, from: number, to: number, change: (k: Kline[]) => Kline[] = (k) => k): Promise<Kline[]> {
    const klines = change(truthOf(sims.venue(type), from, to));
    await store.upsert('1m', klines);
    for (const interval of RESAMPLED_INTERVALS) await store.upsert(interval, resample(klines, interval));
    return klines;
  }

  function input(overrides: Partial<RunVerificationInput> = {}): RunVerificationInput {
    return {
      sims: simMap(),
      store,
      types: TYPES.map((marketType) => ({ marketType, state: 'stopped' as const, caughtUpTo: CAUGHT_UP_TO })),
      exchangeAtStop: CAUGHT_UP_TO + MINUTE_MS + 5_000,
      allowedBehindMs: 3 * MINUTE_MS,
      ...overrides,
    };
  }

  it('verifies every type over everything stored, the earlier run included, and names each type', async () => {
    // Prepare
    for (const t of TYPES) await storeTruth(t, EARLIER, CAUGHT_UP_TO + MINUTE_MS);
    // Act
    const v = await verifySimulatedRun(input(), STARTED_AT);
    // Assess
    const verdict = v.lines.find((l) => /^(VERIFIED|MISMATCH|INCOMPLETE)/.test(l)) ?? '';
    expect(verdict).toMatch(/^VERIFIED: spot: expected \d+, stored \d+, missing 0, duplicated 0, differing 0; usdm: expected \d+, stored \d+, missing 0, duplicated 0, differing 0;/);
    expect(verdict).toContain(`open times ${new Date(EARLIER).toISOString()} – ${new Date(CAUGHT_UP_TO + MINUTE_MS).toISOString()}`);
    for (const c of v.checks) expect(c.oneMinute.expected).toBe(sims.venue(c.marketType).expectedMinutes(EARLIER, CAUGHT_UP_TO).length);
    expect(v.checks.reduce((n, c) => n + c.barsChecked, 0)).toBeGreaterThan(0);
    expect(v.lines[0]).toMatch(/behind the exchange .*: spot 5\.0 s, usdm 5\.0 s\./);
    expect(v.ok).toBe(true);
  });

  it("finds a minute missing from an earlier run, before this run's start", async () => {
    // Prepare: usdm's earlier run lost one minute of one market.
    await storeTruth('spot', EARLIER, CAUGHT_UP_TO + MINUTE_MS);
    const lost = await storeTruth('usdm', EARLIER, CAUGHT_UP_TO + MINUTE_MS, (k) => k.filter((x, i) => !(i === 3 && x.openTime < STARTED_AT)));
    expect(lost.length).toBe(truthOf(sims.venue('usdm'), EARLIER, CAUGHT_UP_TO + MINUTE_MS).length - 1);
    // Act
    const v = await verifySimulatedRun(input(), STARTED_AT);
    // Assess
    expect(v.ok).toBe(false);
    expect(v.lines.join('\n')).toMatch(/^MISMATCH: spot: [^;]*missing 0[^;]*; usdm: [^;]*missing 1,/m);
    expect(v.examples.some((e) => e.startsWith('missing usdm:'))).toBe(true);
  });

  it('finds a stored kline that differs from what the exchange published, and one it never published', async () => {
    await storeTruth('spot', EARLIER, CAUGHT_UP_TO + MINUTE_MS, (k) => k.map((x, i) => (i === 0 ? { ...x, close: `${x.close}1` } : x)));
    await storeTruth('usdm', EARLIER, CAUGHT_UP_TO + MINUTE_MS);
    // A kline of a market the usdm venue never listed.
    const [one] = truthOf(sims.venue('usdm'), START, START + MINUTE_MS);
    await store.upsert('1m', [{ ...one, symbol: 'NEVERLISTEDUSDT' }]);
    const v = await verifySimulatedRun(input(), STARTED_AT);
    expect(v.ok).toBe(false);
    expect(v.lines.join('\n')).toMatch(/^MISMATCH: spot: [^;]*differing 1; usdm: [^;]*unexpected 1;/m);
  });

  it('says INCOMPLETE and fails when capture was far behind the exchange, even though what it holds is right', async () => {
    for (const t of TYPES) await storeTruth(t, EARLIER, CAUGHT_UP_TO + MINUTE_MS);
    const v = await verifySimulatedRun(input({ exchangeAtStop: CAUGHT_UP_TO + 3 * 3_600_000 }), STARTED_AT);
    expect(v.ok).toBe(false);
    expect(v.lines[0]).toMatch(/spot 3\.0 h, usdm 3\.0 h/);
    expect(v.lines).toContainEqual(expect.stringMatching(/^INCOMPLETE: spot: expected \d+, .*; usdm: /));
    expect(v.lines).toContainEqual(expect.stringMatching(/^INCOMPLETE: usdm was 3\.0 h behind the exchange \(more than 3\.0 min\)/));
  });

  it('says INCOMPLETE when one type captured nothing (its venue refused), naming why', async () => {
    await storeTruth('spot', EARLIER, CAUGHT_UP_TO + MINUTE_MS);
    const types = [
      { marketType: 'spot' as const, state: 'stopped' as const, caughtUpTo: CAUGHT_UP_TO },
      { marketType: 'usdm' as const, state: 'failed' as const, caughtUpTo: undefined, error: 'HTTP 451: location refused' },
    ];
    const v = await verifySimulatedRun(input({ types }), STARTED_AT);
    expect(v.ok).toBe(false);
    expect(v.lines).toContainEqual(expect.stringMatching(/^INCOMPLETE: spot: expected \d+, stored \d+, missing 0/));
    expect(v.lines).toContainEqual('INCOMPLETE: usdm captured no full minute (venue failed: HTTP 451: location refused).');
  });

  it('fails with "Nothing to verify yet" when no full minute was captured', async () => {
    const types = TYPES.map((marketType) => ({ marketType, state: 'stopped' as const, caughtUpTo: undefined }));
    const v = await verifySimulatedRun(input({ types }), STARTED_AT);
    expect(v.ok).toBe(false);
    expect(v.lines).toContainEqual(expect.stringMatching(/^Nothing to verify yet: no full minute was captured/));
    expect(v.checks).toEqual([]);
  });
});
