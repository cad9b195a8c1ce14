/**
 * End-of-run proof for `--sim`: every expected (market, minute) stored exactly once and equal to
 * what the simulator published, and every resampled bar equal to resampling that truth.
 */
import { intervalMs, RESAMPLED_INTERVALS } from '../../core/interval';
import { klineKey, type Kline } from '../../core/kline';
import { resample } from '../../core/resample';
import { describeSymbol, symbolProblem } from '../../core/symbol';
import type { MarketType } from '../../core/market';
import type { KlineStore, TimeRange } from '../../core/store/port';
import type { Simulator } from '../../sim';
import { compareKlines, isPerfect, type KlineComparison } from './verify';

export interface SimCheck {
  marketType: MarketType;
  /** Open times whose every expected minute must be stored. */
  range: TimeRange;
  /** Markets the simulator listed whose symbol breaks the symbol rule: their minutes are rejected, never expected. */
  refused: { symbol: string; reason: string; minutes: number }[];
  /** Stored klines are checked against the truth up to here (≥ range.to): ones past range.to must equal it too. */
  storedTo: number;
  oneMinute: KlineComparison;
  /** Stored klines outside the expected minutes that equal the simulator's (e.g. a halt's last minute). */
  extraButTrue: number;
  resampled: { interval: string; comparison: KlineComparison }[];
  barsChecked: number;
  ok: boolean;
}

function byOpenTime(a: Kline, b: Kline): number {
  return a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.openTime - b.openTime;
}

/** First and last stored 1m open time of a market type, or undefined when none is stored. */
export async function storedSpan(store: KlineStore, marketType: MarketType): Promise<TimeRange | undefined> {
  const all = await store.read({ marketType, interval: '1m', from: 0, to: Number.MAX_SAFE_INTEGER });
  if (all.length === 0) return undefined;
  let from = Infinity;
  let to = -Infinity;
  for (const k of all) {
    from = Math.min(from, k.openTime);
    to = Math.max(to, k.openTime);
  }
  return { from, to };
}

/**
 * Compare the store with one venue's simulator: every expected (market, minute) with open time in
 * [range.from, range.to) stored once and equal to the truth, and every stored kline of the type
 * with open time in [range.from, storedTo) equal to the truth (none the exchange never published).
 */
export async function checkAgainstSimulator(sim: Simulator, store: KlineStore, range: TimeRange, storedTo = range.to): Promise<SimCheck> {
  const marketType = sim.marketType;
  // The simulator's klines carry no venue; its venue is the one it plays.
  const own = (k: Kline): Kline => ({ ...k, marketType });
  // A market whose symbol breaks the rule is refused at discovery: its minutes are rejected, and
  // one of its klines in the store would be unexpected.
  const refusedReasons = new Map<string, string>();
  for (const m of sim.markets()) {
    const problem = symbolProblem(m.symbol);
    if (problem !== undefined) refusedReasons.set(m.symbol, problem);
  }
  const refusedMinutes = new Map<string, number>();
  const expectedMinutes = sim.expectedMinutes(range.from, range.to - 1).filter((m) => {
    if (!refusedReasons.has(m.symbol)) return true;
    refusedMinutes.set(m.symbol, (refusedMinutes.get(m.symbol) ?? 0) + 1);
    return false;
  });
  const refused = [...refusedMinutes].map(([symbol, minutes]) => ({ symbol, reason: refusedReasons.get(symbol)!, minutes }));
  const expectedKeys = new Set(expectedMinutes.map((m) => klineKey({ marketType, ...m })));
  const truthAll = new Map<string, Kline>();
  const truthTo = Math.max(range.to, storedTo);
  for (const m of sim.markets()) if (!refusedReasons.has(m.symbol)) for (const k of sim.truth(m.symbol, range.from, truthTo - 1)) truthAll.set(klineKey(own(k)), own(k));

  const stored = await store.read({ marketType, interval: '1m', from: range.from, to: truthTo });
  const storedKeys = new Set(stored.map(klineKey));
  const expected = [...expectedKeys].map((key) => truthAll.get(key)).filter((k): k is Kline => k !== undefined);
  const oneMinute = compareKlines(expected, stored);
  // Unexpected keys are not an error when they hold exactly what the exchange published.
  let extraButTrue = 0;
  const extra = stored.filter((k) => !expectedKeys.has(klineKey(k)));
  const extraCheck = compareKlines(extra.map((k) => truthAll.get(klineKey(k))).filter((k): k is Kline => k !== undefined), extra);
  extraButTrue = extraCheck.stored - extraCheck.differing - extraCheck.unexpected - extraCheck.duplicated;
  oneMinute.unexpected = extraCheck.unexpected;
  oneMinute.differing += extraCheck.differing;

  // The resampler saw exactly the stored 1m klines; when those are right they are the truth.
  const basis = [...truthAll.values()].filter((k) => storedKeys.has(klineKey(k)) || expectedKeys.has(klineKey(k))).sort(byOpenTime);
  const resampled: SimCheck['resampled'] = [];
  let barsChecked = 0;
  for (const interval of RESAMPLED_INTERVALS) {
    const ms = intervalMs(interval);
    const from = Math.ceil(range.from / ms) * ms;
    const to = Math.floor(range.to / ms) * ms;
    if (to <= from) continue;
    const truthBars = resample(basis.filter((k) => k.openTime >= from && k.openTime < to), interval);
    const storedBars = await store.read({ marketType, interval, from, to });
    const comparison = compareKlines(truthBars, storedBars, true);
    barsChecked += comparison.expected;
    resampled.push({ interval, comparison });
  }
  const ok = isPerfect(oneMinute) && resampled.every((r) => isPerfect(r.comparison));
  return { marketType, range, refused, storedTo: truthTo, oneMinute, extraButTrue, resampled, barsChecked, ok };
}

function wrongBars(c: SimCheck): number {
  return c.resampled.reduce((n, r) => n + r.comparison.missing + r.comparison.differing + r.comparison.duplicated + r.comparison.unexpected, 0);
}

/** `spot: expected 1800, stored 1800, missing 0, duplicated 0, differing 0` (plus unexpected when any). */
export function formatTypeCheck(c: SimCheck): string {
  const m = c.oneMinute;
  const rejected = c.refused.map((r) => `, rejected ${r.minutes} kline(s) of ${describeSymbol(r.symbol)} (${r.reason})`).join('');
  return `${c.marketType}: expected ${m.expected}, stored ${m.stored}, missing ${m.missing}, duplicated ${m.duplicated}, differing ${m.differing}${m.unexpected > 0 ? `, unexpected ${m.unexpected}` : ''}${rejected}`;
}

/**
 * One line for every market type: VERIFIED only when every type was checked and perfect,
 * MISMATCH when any check found a fault, INCOMPLETE when what was checked is right but a type
 * could not be (nothing captured, or capture far behind).
 */
export function formatSimCheck(checks: SimCheck | readonly SimCheck[], incomplete = false): string {
  const list = Array.isArray(checks) ? (checks as readonly SimCheck[]) : [checks as SimCheck];
  const ok = list.length > 0 && list.every((c) => c.ok);
  const word = !ok ? 'MISMATCH' : incomplete ? 'INCOMPLETE' : 'VERIFIED';
  const bars = list.reduce((n, c) => n + c.barsChecked, 0);
  const wrong = list.reduce((n, c) => n + wrongBars(c), 0);
  const from = Math.min(...list.map((c) => c.range.from));
  const to = Math.max(...list.map((c) => c.range.to));
  return (
    `${word}: ${list.map(formatTypeCheck).join('; ')}; resampled bars checked ${bars}, wrong ${wrong}` +
    ` (everything stored, open times ${new Date(from).toISOString()} – ${new Date(to).toISOString()})`
  );
}
