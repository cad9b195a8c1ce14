/**
 * A resumed `--sim` run must continue the same world (issue 14 item 13): the simulated world is a
 * pure function of (seed, world start), whatever time the simulator's clock starts at. And the
 * hostile `bogus-time` fault: one true closing frame sent again with `E` in the year 2100.
 */
import { BOGUS_EVENT_TIME, faultsFromNames, startSimulator, type SimOptions } from '../../sim';
import { generateMarkets } from '../../sim/markets';
import { resolveOptions } from '../../sim/options';
import { connect, parseCombined, streamUrl } from './ws-client';

const MINUTE = 60_000;
const WORLD_START = Date.UTC(2026, 0, 5);
const LATER = WORLD_START + 3 * 60 * MINUTE;
const churn = { listings: 2, breaks: 2, halts: 1, delistings: 1, withinMs: 6 * 60 * MINUTE };

function world(o: SimOptions): { symbol: string; history: { at: number; status: string }[] }[] {
  return generateMarkets(resolveOptions({ markets: 40, seed: 5, churn, ...o })).map((m) => ({ symbol: m.symbol, history: m.history }));
}

describe('a simulator started later in the same world', () => {
  it('lists the same markets with the same status history when given the world start', () => {
    const first = world({ startTime: WORLD_START });
    const resumed = world({ startTime: LATER, worldStartTime: WORLD_START });
    expect(resumed).toStrictEqual(first);
    // The churn is really there: listings, breaks and a delisting within the world's first hours.
    const changes = first.flatMap((m) => m.history.filter((h) => h.at > WORLD_START));
    expect(changes.map((h) => h.status).sort()).toEqual(expect.arrayContaining(['BREAK', 'DELISTED', 'HALT', 'TRADING']));
  });

  it('re-rolls the lifecycle from the new start without it (what a resumed run used to get)', () => {
    expect(world({ startTime: LATER })).not.toStrictEqual(world({ startTime: WORLD_START }));
  });

  it('publishes the same klines and expected minutes for a minute both runs cover', async () => {
    const a = await startSimulator({ markets: 40, seed: 5, churn, startTime: WORLD_START });
    const b = await startSimulator({ markets: 40, seed: 5, churn, startTime: LATER, worldStartTime: WORLD_START });
    try {
      const from = WORLD_START + 30 * MINUTE;
      const to = WORLD_START + 5 * 60 * MINUTE;
      expect(b.expectedMinutes(from, to)).toStrictEqual(a.expectedMinutes(from, to));
      for (const symbol of a.markets(to).map((m) => m.symbol)) expect(b.truth(symbol, from, to)).toStrictEqual(a.truth(symbol, from, to));
      expect(b.marketHistory()).toStrictEqual(a.marketHistory());
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a world start after the clock start', () => {
    expect(() => resolveOptions({ startTime: WORLD_START, worldStartTime: LATER })).toThrow(/worldStartTime/);
  });
});

describe('the bogus-time fault', () => {
  it('is only named, never part of "all"', () => {
    expect(faultsFromNames(['all']).bogusTimeFrames).toBeUndefined();
    expect(faultsFromNames(['bogus-time']).bogusTimeFrames).toBe(1);
  });

  it('sends one true closing frame again with E in 2100, once', async () => {
    const sim = await startSimulator({ markets: 5, seed: 8, speed: 600, updatesPerMinute: 1, unicodeSymbols: 0, faults: ['bogus-time'] });
    try {
      const client = await connect(streamUrl(sim.streamUrl, sim.symbols()));
      const bogus = parseCombined(await client.waitFor((t) => t.includes(`"E":${BOGUS_EVENT_TIME}`), 10_000));
      // Three more minutes of frames: no second bogus frame.
      const seen = client.texts.length;
      await sim.waitUntil(sim.now() + 3 * MINUTE);
      client.ws.close();
      expect(client.texts.slice(seen).filter((t) => t.includes(`"E":${BOGUS_EVENT_TIME}`))).toHaveLength(0);
      expect(client.texts.filter((t) => t.includes(`"E":${BOGUS_EVENT_TIME}`))).toHaveLength(1);
      expect(bogus.data.k.x).toBe(true);
      const [truth] = sim.truth(bogus.data.s, bogus.data.k.t, bogus.data.k.t);
      expect({ open: bogus.data.k.o, close: bogus.data.k.c, trades: bogus.data.k.n }).toStrictEqual({ open: truth.open, close: truth.close, trades: truth.trades });
    } finally {
      await sim.close();
    }
  }, 30_000);
});
