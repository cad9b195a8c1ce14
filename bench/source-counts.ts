/**
 * `npm run bench -- --only source-counts`: what the daily report's per-source counts cost on
 * SQLite. A day of `markets` × 1,440 minutes, a share of them from REST backfill or a dump; the
 * day's total count (countByMarket, the whole day's keys) against countBySource (the partial
 * index: the non-stream entries only, one range seek per symbol), CPU ms per call, and SQLite's plan of the latter.
 * With `historyDays`, every market first gets that many earlier days from a dump (a store after a
 * history import: the index then holds the history too); the count of the day should not grow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Kline } from '../core/kline';
import { SqliteKlineStore, countBySourceSql } from '../core/store/sqlite';
import { num, type Table } from './table';

const MINUTE = 60_000;
const DAY = Date.UTC(2026, 0, 3);

export interface SourceCountsFigures {
  markets: number;
  historyDays: number;
  klines: number;
  nonStream: number;
  totalCpuMs: number;
  bySourceCpuMs: number;
  plan: string;
}

function cpuMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  return fn().then(() => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  });
}

function kline(symbol: string, openTime: number): Kline {
  return {
    marketType: 'spot', symbol, interval: '1m', openTime, closeTime: openTime + MINUTE - 1,
    open: '1.5', high: '2', low: '1', close: '1.5', volume: '3', quoteVolume: '4.5', trades: 2, takerBuyBaseVolume: '1', takerBuyQuoteVolume: '1.5',
  };
}

export async function benchSourceCounts(markets: number, nonStreamShare: number, historyDays = 0): Promise<SourceCountsFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-source-'));
  const path = join(dir, 'k.db');
  try {
    const store = new SqliteKlineStore({ path });
    await store.applySchema();
    let nonStream = 0;
    for (let m = 0; m < markets; m++) {
      const symbol = `S${String(m).padStart(4, '0')}USDT`;
      for (let d = historyDays; d > 0; d--) {
        const day = DAY - d * 1440 * MINUTE;
        await store.upsert('1m', Array.from({ length: 1440 }, (_, i) => ({ ...kline(symbol, day + i * MINUTE), source: 'dump' as const })));
      }
      const batch: Kline[] = [];
      for (let i = 0; i < 1440; i++) {
        const openTime = DAY + i * MINUTE;
        // Deterministic spread: every market has a few backfilled minutes.
        const pick = ((m * 1440 + i) * 2654435761) % 1_000_000 < nonStreamShare * 1_000_000;
        if (pick) nonStream++;
        batch.push(pick ? { ...kline(symbol, openTime), source: i % 2 === 0 ? 'rest' : 'dump' } : kline(symbol, openTime));
      }
      await store.upsert('1m', batch);
    }
    const range = { from: DAY, to: DAY + 1440 * MINUTE };
    // Warm the page cache once, then measure the best of three of each.
    await store.countByMarket('spot', '1m', range);
    await store.countBySource('spot', range);
    let totalCpuMs = Infinity;
    let bySourceCpuMs = Infinity;
    for (let r = 0; r < 3; r++) {
      totalCpuMs = Math.min(totalCpuMs, await cpuMs(() => store.countByMarket('spot', '1m', range)));
      bySourceCpuMs = Math.min(bySourceCpuMs, await cpuMs(() => store.countBySource('spot', range)));
    }
    const counted = [...(await store.countBySource('spot', range)).values()].reduce((n, c) => n + c.rest + c.dump, 0);
    if (counted !== nonStream) throw new Error(`countBySource counted ${counted}, stored ${nonStream}`);
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = db
      .prepare<[number, number], { detail: string }>(`EXPLAIN QUERY PLAN ${countBySourceSql('klines_1m')}`)
      .all(range.from, range.to)
      .map((p) => p.detail)
      .join('; ');
    db.close();
    return { markets, historyDays, klines: markets * 1440, nonStream, totalCpuMs, bySourceCpuMs, plan };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sourceCountsTable(runs: readonly SourceCountsFigures[]): Table {
  const f = runs[0];
  const history = (r: SourceCountsFigures) => (r.historyDays === 0 ? 'the day alone' : `after ${r.historyDays} earlier days from a dump (${num(r.markets * 1440 * r.historyDays)} more entries)`);
  return {
    title: `source-counts: a day of ${num(f.markets)} markets (${num(f.klines)} 1m klines, ${num(f.nonStream)} from REST or a dump) in SQLite`,
    headers: ['store holds', 'query', 'index entries in the day', 'CPU ms (best of 3)'],
    align: ['left', 'left', 'right', 'right'],
    rows: runs.flatMap((r) => [
      [history(r), 'countByMarket (the day, every kline)', num(r.klines), r.totalCpuMs.toFixed(1)],
      [history(r), 'countBySource (partial index, non-stream only: a seek per symbol)', num(r.nonStream), r.bySourceCpuMs.toFixed(1)],
    ]),
    notes: [`SQLite plan of countBySource: ${f.plan}`, 'CPU ms from process.cpuUsage() around each call (the machine is shared: wall time is not reported).'],
  };
}
