/**
 * Asking Binance REST about the minutes neither we nor the dump have, within a run's cap on
 * requests. The minutes of a market-day are covered by windows of at most one REST page (1,000
 * minutes, so a day takes at most two requests per market); every window is one request and
 * draws one from the run's budget, shared by all its markets. Minutes left when the budget is
 * spent are not asked and stay unverified: the dump's word only.
 */
import type { HistoryRest } from '../history/run';
import type { Kline } from '../kline';
import type { MarketRef } from '../market';
import type { TimeRange } from '../store/port';

/** Minutes one klines request covers (`limit` 1000, the spot maximum; futures allow more). */
export const REST_WINDOW_MINUTES = 1000;
const MINUTE = 60_000;

/** The requests a whole audit run may still make (every market draws from the same one). */
export interface RestBudget {
  left: number;
}

export interface RestWindow extends TimeRange {
  /** Gap minutes inside the window (the window may span minutes we have). */
  minutes: number;
}

/** What asking REST about one market's gaps did. */
export interface RestCheck {
  /** Gap minutes REST answered for (present or not). */
  askedMinutes: number;
  requests: number;
  /** Gap minutes not asked: the run's request cap was reached. */
  notAsked: number;
  /** Gap minutes whose request failed (e.g. a delisted market: -1121). */
  failedMinutes: number;
  /** REST's klines of gap minutes (the others its pages held are dropped). */
  klines: Kline[];
  /** Open times of the gap minutes REST did not answer for (not asked or failed). */
  unverified: Set<number>;
  problem?: string;
}

/** Windows of at most `maxMinutes` covering every minute of `gaps` (ordered, disjoint), oldest first. */
export function restWindows(gaps: readonly TimeRange[], maxMinutes = REST_WINDOW_MINUTES): RestWindow[] {
  const out: RestWindow[] = [];
  for (const g of gaps) {
    for (let t = g.from; t < g.to; ) {
      const last = out[out.length - 1];
      if (last && t < last.from + maxMinutes * MINUTE) {
        const end = Math.min(g.to, last.from + maxMinutes * MINUTE);
        last.minutes += (end - t) / MINUTE;
        last.to = end;
        t = end;
      } else {
        const end = Math.min(g.to, t + maxMinutes * MINUTE);
        out.push({ from: t, to: end, minutes: (end - t) / MINUTE });
        t = end;
      }
    }
  }
  return out;
}

function minutesOf(range: TimeRange, gaps: readonly TimeRange[], into: Set<number>): void {
  for (const g of gaps) {
    for (let t = Math.max(g.from, range.from); t < Math.min(g.to, range.to); t += MINUTE) into.add(t);
  }
}

/**
 * Ask REST about the minutes of `gaps` (ordered, disjoint), one request per window while
 * `budget` lasts. A failed request ends the market's check (the next would fail alike).
 */
export async function askRest(rest: HistoryRest, market: MarketRef, gaps: readonly TimeRange[], budget: RestBudget): Promise<RestCheck> {
  const out: RestCheck = { askedMinutes: 0, requests: 0, notAsked: 0, failedMinutes: 0, klines: [], unverified: new Set() };
  const wanted = new Set<number>();
  minutesOf({ from: -Infinity, to: Infinity }, gaps, wanted);
  for (const w of restWindows(gaps)) {
    if (out.problem !== undefined) {
      out.failedMinutes += w.minutes;
      minutesOf(w, gaps, out.unverified);
      continue;
    }
    if (budget.left <= 0) {
      out.notAsked += w.minutes;
      minutesOf(w, gaps, out.unverified);
      continue;
    }
    budget.left--;
    out.requests++;
    const found: Kline[] = [];
    try {
      for await (const page of rest.klines(market, w.from, w.to)) found.push(...page.filter((k) => wanted.has(k.openTime)));
    } catch (err) {
      out.problem = `REST check of the exchange's gaps failed: ${(err as Error).message}`;
      out.failedMinutes += w.minutes;
      minutesOf(w, gaps, out.unverified);
      continue;
    }
    out.askedMinutes += w.minutes;
    out.klines.push(...found);
  }
  return out;
}
