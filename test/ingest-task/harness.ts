/** Shared helpers for the ingest-against-simulator tests. */
import type { IngestBatch } from '../../core/codec';
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import type { MarketStatusEvent } from '../../core/market';
import type { IngestHandle } from '../../ingest-task/capture/ingest';
import { InProcessSink } from '../../ingest-task/sinks/in-process';
import type { FaultConfig } from '../../sim/index';
import type { RemoteSimulator } from './sim-process';

export const KLINE_FIELDS = ['symbol', 'interval', 'openTime', 'closeTime', 'open', 'high', 'low', 'close', 'volume', 'quoteVolume', 'trades', 'takerBuyBaseVolume', 'takerBuyQuoteVolume'] as const;

/** An in-process sink that records everything it receives, in order. */
export function recordingSink(): { sink: InProcessSink; klines: Kline[]; events: MarketStatusEvent[] } {
  const klines: Kline[] = [];
  const events: MarketStatusEvent[] = [];
  const sink = new InProcessSink({
    onBatch: async (b: IngestBatch) => {
      for (const k of b.klines) klines.push(k);
      for (const e of b.marketEvents) events.push(e);
    },
  });
  return { sink, klines, events };
}

/** Every random fault at moderate rates: the fault-run tests' common load. */
export const MODERATE_FAULT_RATES: FaultConfig = {
  dropPerMinute: 0.005,
  stallPerMinute: 0.003,
  shutdownPerMinute: 0.005,
  duplicate: 0.001,
  reorder: 0.001,
  malformed: 0.0005,
  late: 0.01,
  lateDelayMs: 5_000,
  restErrors: 0.005,
};

/** Real-time limits shortened like a fast clock, so a run meets pings, connection lifetimes and weight windows. */
export const shortLimits = (requestWeightPerWindow: number) => ({
  pingIntervalMs: 1_000,
  pongTimeoutMs: 3_000,
  maxConnectionLifetimeMs: 12_000,
  weightWindowMs: 1_000,
  requestWeightPerWindow,
  shutdownGraceMs: 500,
});

export const minuteOf = (t: number): number => Math.floor(t / MINUTE_MS) * MINUTE_MS;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until the simulator's clock passed `until` (simulated ms). */
export async function waitForSimTime(sim: RemoteSimulator, until: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await sim.now()) < until) {
    if (Date.now() > deadline) throw new Error('simulator clock did not advance in time');
    await sleep(100);
  }
}

/** Wait until every expected minute up to `target` was forwarded; false on timeout. */
export async function waitCaughtUp(ingest: IngestHandle, target: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = ingest.status();
    if (s.caughtUpTo !== undefined && s.caughtUpTo >= target && s.pendingKlines === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

export interface Comparison {
  expected: number;
  missing: string[];
  duplicates: string[];
  unexpected: string[];
  different: string[];
}

/**
 * Compare what a sink received with the simulator's truth over [from, to] (open times):
 * every expected (market, minute) exactly once and equal field by field.
 */
export async function compareWithTruth(sim: RemoteSimulator, received: readonly Kline[], from: number, to: number, symbols?: ReadonlySet<string>): Promise<Comparison> {
  const seen = new Map<string, Kline>();
  const duplicates: string[] = [];
  for (const k of received) {
    const key = `${k.symbol}|${k.openTime}`;
    if (seen.has(key)) duplicates.push(key);
    seen.set(key, k);
  }
  const expected = (await sim.expectedMinutes(from, to)).filter((e) => !symbols || symbols.has(e.symbol));
  const expectedKeys = new Set(expected.map((e) => `${e.symbol}|${e.openTime}`));
  const missing = [...expectedKeys].filter((key) => !seen.has(key));
  const unexpected = received.filter((k) => k.openTime >= from && k.openTime <= to && (!symbols || symbols.has(k.symbol)) && !expectedKeys.has(`${k.symbol}|${k.openTime}`)).map((k) => `${k.symbol}|${k.openTime}`);
  const different: string[] = [];
  const marketSymbols = [...new Set(expected.map((e) => e.symbol))];
  const truths = await Promise.all(marketSymbols.map((s) => sim.truth(s, from, to)));
  for (const truth of truths) {
    for (const t of truth) {
      const got = seen.get(`${t.symbol}|${t.openTime}`);
      if (!got) continue;
      for (const f of KLINE_FIELDS) if (got[f] !== t[f]) different.push(`${t.symbol}|${t.openTime}.${f}: ${String(got[f])} ≠ ${String(t[f])}`);
    }
  }
  return { expected: expected.length, missing, duplicates, unexpected, different };
}
