/**
 * The Lambdas' work against the SQLite store (a file in a temp folder), all markets:
 * - writer: one minute of every market, encoded into SQS bodies as the ingest sends them, written
 *   by `writeMessages` (one combined upsert), then the same bodies again (redelivery);
 * - resampler: a scheduled run over the recent range (2 h lookback → up to 3 h of 1m klines);
 * - resampler after a 12 h outage: the runs it takes to catch up, each bounded.
 * MongoDB timings depend on the cluster tier and network; run the same against Atlas with
 * KLINE_STORE=mongodb+srv://… to size the Lambda timeouts.
 *
 *   npx tsx bench/lambda-jobs.ts [--markets N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBatch } from '../core/codec';
import { parseStoreUrl } from '../core/config';
import type { Kline } from '../core/kline';
import { DEFAULT_RESAMPLE_OPTIONS, HOUR_MS, runResampleCycle } from '../core/resample-job';
import { openStore } from '../core/store';
import type { KlineStore } from '../core/store/port';
import { writeMessages } from '../lambda/writer';
import { generateMarketDay } from './resample';

const quiet = { error: () => undefined };

function argInt(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** The first `hours` of each market's generated day, stored market by market. */
async function loadHours(store: KlineStore, markets: number, fromHour: number, hours: number): Promise<Kline[][]> {
  const days: Kline[][] = [];
  for (let m = 0; m < markets; m++) {
    const day = generateMarketDay(m);
    days.push(day);
    await store.upsert('1m', day.slice(fromHour * 60, (fromHour + hours) * 60));
  }
  return days;
}

async function main(): Promise<void> {
  const markets = argInt('--markets', 2000);
  const dir = mkdtempSync(join(tmpdir(), 'kline-bench-'));
  const rows: [string, string][] = [];
  try {
    // Writer: minute 00:00 of every market, as SQS bodies.
    const store = await openStore(parseStoreUrl(`sqlite:${join(dir, 'writer.db')}`));
    const minute = Array.from({ length: markets }, (_, m) => generateMarketDay(m)[0]);
    const bodies = encodeBatch({ klines: minute, marketEvents: [] }).map((body, i) => ({ id: `m${i}`, body }));
    const first = await timed(() => writeMessages(store, bodies, quiet));
    const again = await timed(() => writeMessages(store, bodies, quiet));
    rows.push([`writer: ${markets} klines in ${bodies.length} SQS bodies (one upsert)`, `${first.seconds.toFixed(3)} s, ${first.value.klinesWritten} written`]);
    rows.push(['writer: same bodies redelivered', `${again.seconds.toFixed(3)} s, ${again.value.klinesWritten} written`]);
    await store.close();

    // Resampler, steady state: 3 h stored, now = 03:01.
    const steady = await openStore(parseStoreUrl(`sqlite:${join(dir, 'steady.db')}`));
    const days = await loadHours(steady, markets, 0, 3);
    const dayStart = days[0][0].openTime;
    const heapBefore = process.memoryUsage().heapUsed;
    const run = await timed(() => runResampleCycle(steady, dayStart + 3 * HOUR_MS + 60_000));
    rows.push([
      `resampler: scheduled run, ${markets} markets`,
      `${run.seconds.toFixed(2)} s, ${run.value.klinesRead} 1m read, ${run.value.barsWritten} bars written, heap +${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(0)} MiB`,
    ]);
    const rerun = await timed(() => runResampleCycle(steady, dayStart + 3 * HOUR_MS + 60_000));
    rows.push(['resampler: same run again (nothing new)', `${rerun.seconds.toFixed(2)} s, ${rerun.value.barsWritten} bars written`]);
    await steady.close();

    // Resampler after a 12 h outage: 14 h of 1m stored, no bar yet; now = 14:01.
    const outage = await openStore(parseStoreUrl(`sqlite:${join(dir, 'outage.db')}`));
    const outageMarkets = Math.min(markets, 500);
    await loadHours(outage, outageMarkets, 0, 14);
    const now = dayStart + 14 * HOUR_MS + 60_000;
    for (let i = 1; i <= 4; i++) {
      const r = await timed(() => runResampleCycle(outage, now, DEFAULT_RESAMPLE_OPTIONS));
      rows.push([`resampler after 12 h outage (${outageMarkets} markets), run ${i}`, `${r.seconds.toFixed(2)} s, ${r.value.klinesRead} 1m read, ${(r.value.behindMs / HOUR_MS).toFixed(1)} h still behind, ${r.value.barsWritten} bars written`]);
    }
    await outage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map(([a]) => a.length));
  for (const [a, b] of rows) console.log(`${a.padEnd(width)}  ${b}`);
}

void main();
