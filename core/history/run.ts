/**
 * `history`: fill the store with markets' 1m klines from Binance's dumps, REST for the days not
 * published yet. Tasks (files, REST days) run a few at a time; each file is checked by DumpSite
 * (SHA-256, zip, CRC-32) before a row of it is read, its rows pass the store's validation, and
 * every write is an idempotent upsert, so a run interrupted anywhere and started again ends with
 * the same store. Done tasks are kept in the resume state.
 */
import { DumpError } from '../dumps/errors';
import { csvBatchesFromBuffer, DumpRowError } from '../dumps/csv-batches';
import { dumpLabel } from '../dumps/paths';
import type { DumpSite } from '../dumps/site';
import { DAY_MS } from '../interval';
import type { Kline, KlineSource } from '../kline';
import { marketKey, type MarketRef, type MarketStatusEvent } from '../market';
import type { KlineStore, TimeRange } from '../store/port';
import { dailyTasks, planMarket, restTask, type HistoryTask } from './plan';
import type { FailedTask, HistoryState } from './state';

/** Binance REST for what the dumps do not hold yet. */
export interface HistoryRest {
  /** Open time of the market's first 1m kline (its listing), undefined when it has none. */
  firstOpenTime(market: MarketRef): Promise<number | undefined>;
  /** The market's 1m klines with open time in [from, to), page by page. */
  klines(market: MarketRef, from: number, to: number): AsyncIterable<Kline[]>;
}

export interface HistoryProgress {
  tasksTotal: number;
  tasksDone: number;
  tasksFailed: number;
  rows: number;
  bytes: number;
  elapsedMs: number;
  /** Estimated ms left, from the pace so far; undefined until a task is done. */
  etaMs: number | undefined;
}

export interface HistorySummary extends HistoryProgress {
  markets: number;
  /** Tasks skipped because an earlier run did them. */
  resumed: number;
  files: number;
  /** Files not published (404) and so covered by daily files or REST. */
  notPublished: number;
  restRanges: number;
  failed: FailedTask[];
  /** Open times written, or undefined when nothing was. */
  imported: TimeRange | undefined;
  /** True when stopped by the signal before every task ran. */
  stopped: boolean;
}

export interface HistoryOptions {
  store: KlineStore;
  site: DumpSite;
  rest: HistoryRest;
  markets: readonly MarketRef[];
  /** First day (ms); default: each market's first kline. */
  from?: number;
  /** End (ms, exclusive); typically now. */
  to: number;
  state: HistoryState;
  /** Tasks at once (default 4). */
  concurrency?: number;
  batchSize?: number;
  onProgress?: (p: HistoryProgress) => void;
  /** Stops taking new tasks; tasks under way finish (or are redone next time). */
  signal?: AbortSignal;
  /** Build the resampled bars of the imported range once it is in. */
  rebuild?: (range: TimeRange) => Promise<void>;
  now?: () => number;
}

/** Provenance on each kline (the `source` field of docs/data-model.md). */
function withSource(klines: Kline[], source: KlineSource): Kline[] {
  for (const k of klines) k.source = source;
  return klines;
}

export async function runHistory(o: HistoryOptions): Promise<HistorySummary> {
  const now = o.now ?? Date.now;
  const started = now();
  const s: HistorySummary = {
    markets: o.markets.length,
    tasksTotal: 0,
    tasksDone: 0,
    tasksFailed: 0,
    rows: 0,
    bytes: 0,
    elapsedMs: 0,
    etaMs: undefined,
    resumed: 0,
    files: 0,
    notPublished: 0,
    restRanges: 0,
    failed: [],
    imported: undefined,
    stopped: false,
  };
  const queue: HistoryTask[] = [];
  const push = (tasks: HistoryTask[]) => {
    for (const t of tasks) {
      if (o.state.done.has(t.id)) {
        s.resumed++;
        continue;
      }
      queue.push(t);
      s.tasksTotal++;
    }
  };
  const progress = () => {
    s.elapsedMs = now() - started;
    const finished = s.tasksDone + s.tasksFailed;
    s.etaMs = finished === 0 ? undefined : Math.round((s.elapsedMs / finished) * (s.tasksTotal - finished));
    o.onProgress?.({ tasksTotal: s.tasksTotal, tasksDone: s.tasksDone, tasksFailed: s.tasksFailed, rows: s.rows, bytes: s.bytes, elapsedMs: s.elapsedMs, etaMs: s.etaMs });
  };
  const noteWritten = (klines: readonly Kline[]) => {
    if (klines.length === 0) return;
    const first = klines[0].openTime;
    const last = klines[klines.length - 1].openTime + 60_000;
    s.imported = s.imported === undefined ? { from: first, to: last } : { from: Math.min(s.imported.from, first), to: Math.max(s.imported.to, last) };
  };
  const write = async (klines: Kline[], label: string, lines?: readonly number[]) => {
    const result = await o.store.upsert('1m', klines);
    if (result.failures.length > 0) {
      const f = result.failures[0];
      const where = lines === undefined ? `at ${new Date(klines[f.index].openTime).toISOString()}` : `line ${lines[f.index]}`;
      throw new DumpError('bad-row', label, `${result.failures.length} row(s) refused by the store, first ${where}: ${f.reason}`);
    }
    s.rows += klines.length;
    noteWritten(klines);
  };

  // Plan every market (its first day from REST when no --from).
  const listings: MarketStatusEvent[] = [];
  for (const market of o.markets) {
    if (o.signal?.aborted) break;
    let from = o.from;
    const first = o.from === undefined || o.from < o.to ? await o.rest.firstOpenTime(market) : undefined;
    if (first !== undefined) from = Math.max(from ?? first, first);
    if (from === undefined || from >= o.to) continue;
    if (first !== undefined) listings.push({ ...market, status: 'TRADING', at: first });
    push(planMarket(market, from, o.to));
  }
  await recordListings(o.store, listings);
  progress();

  const runTask = async (task: HistoryTask): Promise<void> => {
    if (task.kind === 'rest') {
      for await (const page of o.rest.klines(task.market, task.from, task.to)) {
        if (page.length > 0) await write(withSource(page, 'rest'), task.id);
      }
      s.restRanges++;
      // A day still running is never done: the next run fetches the rest of it.
      if (task.to % DAY_MS === 0 && task.to <= now()) o.state.markDone(task.id);
      return;
    }
    const label = dumpLabel(task.file);
    let dump;
    try {
      dump = await o.site.get(task.file);
    } catch (err) {
      if (err instanceof DumpError && err.kind === 'not-published') {
        s.notPublished++;
        const market = { marketType: task.file.marketType, symbol: task.file.symbol };
        if (task.file.period === 'monthly') {
          const [y, m] = task.file.date.split('-').map(Number);
          push(dailyTasks(market, Date.UTC(y, m - 1, 1), Date.UTC(y, m, 1)));
        } else {
          const [y, m, d] = task.file.date.split('-').map(Number);
          const day = Date.UTC(y, m - 1, d);
          push([restTask(market, day, day + DAY_MS)]);
        }
        // Not marked done: the next run asks again (it may be published by then).
        return;
      }
      throw err;
    }
    try {
      s.bytes += dump.bytes;
      // The CSV DumpSite checked (size, CRC-32) is parsed from memory: the zip is inflated once.
      // Rows are validated once, by the store's upsert (validate: false); its refusals name the line.
      try {
        for (const batch of csvBatchesFromBuffer(dump.csv, { marketType: task.file.marketType, symbol: task.file.symbol, batchSize: o.batchSize, validate: false })) {
          await write(withSource(batch.klines, 'dump'), label, batch.lines);
        }
      } catch (err) {
        if (err instanceof DumpRowError) throw new DumpError('bad-row', label, err.message);
        throw err;
      }
      s.files++;
      o.state.markDone(task.id);
    } finally {
      await o.site.release(dump);
    }
  };

  const worker = async () => {
    for (;;) {
      if (o.signal?.aborted) {
        s.stopped = queue.length > 0;
        return;
      }
      const task = queue.shift();
      if (!task) return;
      try {
        await runTask(task);
        s.tasksDone++;
      } catch (err) {
        s.tasksFailed++;
        const e = err instanceof DumpError ? err : undefined;
        const failure = { id: task.id, kind: e?.kind ?? 'error', message: (err as Error).message };
        s.failed.push(failure);
        o.state.markFailed(failure);
      }
      o.state.save(2000);
      progress();
    }
  };
  // Workers pull from one queue; a task may add tasks (a month → its days), which idle workers
  // would miss once they returned, so workers are restarted until the queue stays empty.
  while (queue.length > 0 && !o.signal?.aborted) {
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  }
  if (o.signal?.aborted && queue.length > 0) s.stopped = true;
  o.state.save();
  if (s.imported && o.rebuild && !s.stopped) await o.rebuild(s.imported);
  progress();
  return s;
}

/** Markets as `marketKey`s, for messages. */
export function describeMarkets(markets: readonly MarketRef[]): string {
  return markets.length <= 3 ? markets.map(marketKey).join(', ') : `${markets.length} markets`;
}

/**
 * A market the store has no status history of is recorded as trading from its first kline: the
 * ingest resumes the markets the status history names (one index lookup each), so without this a
 * store filled by history alone would not be backfilled from where history ended, and reports
 * would not count the market's minutes. Markets with a history are left as they are.
 */
async function recordListings(store: KlineStore, listings: readonly MarketStatusEvent[]): Promise<void> {
  if (listings.length === 0) return;
  const known = new Set((await store.marketHistory(listings)).map(marketKey));
  const fresh = listings.filter((l) => !known.has(marketKey(l)));
  if (fresh.length > 0) await store.recordMarketStatus(fresh);
}
