/**
 * `resume-reads`: documents the MongoDB server would examine when the ingest resumes
 * (`lastOpenTimes` for every market), per market, with the MongoDB adapter on a counting fake of
 * the driver (bench/mongo-fake.ts). The goal (≤ 2 per market) holds only for one index lookup
 * per market; a `$group` over the collection examines every stored kline.
 */
import type { Kline } from '../core/kline';
import { MongoKlineStore } from '../core/store/mongo';
import { fakeMongoClient } from './mongo-fake';
import { benchKline } from './storage-reads';
import { num, verdict, type Table } from './table';

export interface ResumeReadsFigures {
  markets: number;
  klinesPerMarket: number;
  examinedPerMarket: number;
  returnedPerMarket: number;
  operations: number;
  found: number;
}

export async function benchResumeReads(options: { markets: number; minutes: number }): Promise<ResumeReadsFigures> {
  const { client, db } = fakeMongoClient();
  const store = new MongoKlineStore({ client: client as never, database: 'bench' });
  const start = Date.UTC(2026, 0, 5);
  const symbols = Array.from({ length: options.markets }, (_, m) => `M${String(m).padStart(4, '0')}USDT`);
  for (let i = 0; i < options.minutes; i++) {
    const batch: Kline[] = symbols.map((s, m) => benchKline(s, start + i * 60_000, m + i));
    await store.upsert('1m', batch);
  }
  db.reset();
  const markets = symbols.map((symbol) => ({ marketType: 'spot' as const, symbol }));
  // The port after market types: lastOpenTimes(interval, markets); before: lastOpenTimes(interval).
  const last = (await (store.lastOpenTimes as (...a: unknown[]) => Promise<Map<string, number>>).call(store, '1m', markets)) as Map<string, number>;
  const t = db.total((name) => name.includes('klines'));
  return {
    markets: options.markets,
    klinesPerMarket: options.minutes,
    examinedPerMarket: t.examined / options.markets,
    returnedPerMarket: t.returned / options.markets,
    operations: t.operations,
    found: last.size,
  };
}

export function resumeReadsTable(f: ResumeReadsFigures): Table {
  return {
    title: `resume-reads: ingest resume (lastOpenTimes) over ${num(f.markets)} markets with ${f.klinesPerMarket} klines each (MongoDB adapter, counting driver fake)`,
    headers: ['measure', 'goal', 'measured', 'result'],
    rows: [
      ['documents examined per market', '≤ 2', f.examinedPerMarket.toFixed(2), verdict(f.examinedPerMarket <= 2)],
      ['documents returned per market', '≤ 2', f.returnedPerMarket.toFixed(2), verdict(f.returnedPerMarket <= 2)],
    ],
    notes: [`${num(f.operations)} operations sent; ${num(f.found)} markets found. Examined = documents matched by an index-served filter (one naming the symbol), else the whole collection.`],
  };
}
