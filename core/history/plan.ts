/**
 * Which files cover a market's history: a monthly file for every whole month in the range
 * (except a month not over yet), daily files for the rest. A monthly file not published turns
 * into its days, a daily file not published into REST for that day (see run.ts).
 */
import { DAY_MS } from '../interval';
import { dayString, monthString, type DumpFile } from '../dumps/paths';
import type { MarketRef } from '../market';

/** One unit of work; `id` is its key in the resume state. */
export type HistoryTask =
  | { kind: 'file'; id: string; file: DumpFile }
  /** REST for [from, to): days not published yet. */
  | { kind: 'rest'; id: string; market: MarketRef; from: number; to: number };

export function fileTask(file: DumpFile): HistoryTask {
  return { kind: 'file', id: `${file.marketType}/${file.period}/${file.symbol}/${file.date}`, file };
}

export function restTask(market: MarketRef, from: number, to: number): HistoryTask {
  return { kind: 'rest', id: `${market.marketType}/rest/${market.symbol}/${new Date(from).toISOString()}/${new Date(to).toISOString()}`, market, from, to };
}

const dayStart = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;
function monthStartAfter(t: number): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Daily file tasks for the whole days in [from, to) (both day-aligned). */
export function dailyTasks(market: MarketRef, from: number, to: number): HistoryTask[] {
  const out: HistoryTask[] = [];
  for (let d = from; d < to; d += DAY_MS) out.push(fileTask({ ...market, period: 'daily', date: dayString(d) }));
  return out;
}

/**
 * The first plan for a market over [from, to) (ms; `from` is rounded down to its day). Whole
 * days before `to`'s day go to files; the part of `to`'s day up to `to` goes to REST.
 */
export function planMarket(market: MarketRef, from: number, to: number): HistoryTask[] {
  const start = dayStart(from);
  const lastDay = dayStart(to);
  const tasks: HistoryTask[] = [];
  let d = start;
  while (d < lastDay) {
    const monthStart = Date.UTC(new Date(d).getUTCFullYear(), new Date(d).getUTCMonth(), 1);
    const monthEnd = monthStartAfter(d);
    if (d === monthStart && monthEnd <= lastDay) {
      tasks.push(fileTask({ ...market, period: 'monthly', date: monthString(d) }));
      d = monthEnd;
    } else {
      const until = Math.min(monthEnd, lastDay);
      tasks.push(...dailyTasks(market, d, until));
      d = until;
    }
  }
  if (to > lastDay) tasks.push(restTask(market, Math.max(lastDay, from), to));
  return tasks;
}
