/**
 * `history [--market-type T,…] [--symbols S,…] [--from DATE] [--to DATE] [--store URL] …`:
 * fill the store from Binance's dumps (BINANCE_DUMPS_URL, default https://data.binance.vision),
 * REST (BINANCE_REST_URL) for the days not published yet; then build the resampled bars of the
 * imported range. Resumable (`--state`, default ./data/history-state.json). The store: `--store`,
 * else the secret MONGODB_SECRET_ARN names (the AWS task), else KLINE_STORE / MONGODB_URI.
 * A store with a 1m retention (MongoDB TTL) refuses a `--from` older than it (exit 2) unless
 * `--ignore-retention`; without `--from` the import starts at the earliest day it keeps
 * (core/history/retention.ts).
 * Progress: a bar on a terminal (stderr), JSON lines on stdout otherwise; a summary at the end.
 * Exit codes: 0 done, 1 store/REST failure, 2 bad arguments (a --from past the retention too),
 * 3 some files failed, 130 stopped.
 * Ctrl-C (SIGINT) or SIGTERM stops taking tasks and lets those under way finish (exit 130); a
 * second Ctrl-C quits at once (the next run redoes what was cut off).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import type { Env, StoreConfig } from '../../core/config';
import { DEFAULT_DUMPS_URL } from '../../core/dumps/paths';
import { DumpSite } from '../../core/dumps/site';
import { runHistory, type HistoryProgress, type HistoryRest, type HistorySummary } from '../../core/history/run';
import { historyStart, RetentionError } from '../../core/history/retention';
import { HistoryState } from '../../core/history/state';
import { DAY_MS } from '../../core/interval';
import { parseMarketTypes, type MarketRef, type MarketType } from '../../core/market';
import { DEFAULT_RESAMPLE_OPTIONS, rebuildRange } from '../../core/resample-job';
import { openStore } from '../../core/store/index';
import type { KlineStore, TimeRange } from '../../core/store/port';
import type { CliIo } from '../cli';
import { restHistory, venueClients } from '../../core/binance/rest/history-rest';
import { cliStoreSource, resolveStoreSource, type CliStoreSource, type SecretsClient } from './store-source';
import { parseInstant } from './report';

export const USAGE =
  'usage: npm run cli -- history [--market-type spot[,usdm,coinm]] [--symbols A,B] [--from DATE] [--to DATE]\n' +
  '         [--store URL] [--ignore-retention] [--state FILE] [--concurrency N] [--max-mbps N] [--dumps-url URL]\n';

/**
 * An AbortSignal raised by the first SIGINT or SIGTERM; its handlers are removed at `dispose`
 * (and the first removes itself, so a second Ctrl-C has Node's default effect: exit at once).
 */
export function interruptSignal(onInterrupt: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    dispose();
    onInterrupt(sig);
    controller.abort();
  };
  const dispose = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return { signal: controller.signal, dispose };
}

export interface HistoryDeps {
  env?: Env;
  openStore?: (config: StoreConfig) => Promise<KlineStore>;
  rest?: HistoryRest;
  now?: () => number;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
  /** Secrets Manager, for MONGODB_SECRET_ARN (default: a client for AWS_REGION). */
  secrets?: () => SecretsClient;
}

interface Args {
  types: MarketType[];
  symbols: string[] | undefined;
  from: number | undefined;
  to: number | undefined;
  /** `--store`, MONGODB_SECRET_ARN or the environment, checked (see store-source.ts). */
  store: CliStoreSource;
  /** Import days older than the store's 1m retention anyway. */
  ignoreRetention: boolean;
  statePath: string;
  concurrency: number;
  bytesPerSecond: number | undefined;
  dumpsUrl: string;
}

function positive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} expects a positive number, got "${text}"`);
  return n;
}

function parse(argv: string[], env: Env): Args {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'market-type': { type: 'string' },
      symbols: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      store: { type: 'string' },
      'ignore-retention': { type: 'boolean' },
      state: { type: 'string' },
      concurrency: { type: 'string' },
      'max-mbps': { type: 'string' },
      'dumps-url': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  const types = parseMarketTypes(values['market-type'] ?? 'spot', '--market-type');
  const symbols = values.symbols?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (symbols !== undefined && symbols.length === 0) throw new Error('--symbols is empty');
  const from = values.from === undefined ? undefined : parseInstant(values.from, '--from');
  const to = values.to === undefined ? undefined : parseInstant(values.to, '--to');
  if (from !== undefined && to !== undefined && from >= to) throw new Error('--from must be before --to');
  const concurrency = positive(values.concurrency, '--concurrency') ?? 4;
  if (!Number.isInteger(concurrency)) throw new Error(`--concurrency expects an integer, got "${values.concurrency}"`);
  const mbps = positive(values['max-mbps'], '--max-mbps');
  const store = cliStoreSource(values.store, env); // a bad URL or KLINE_STORE is a bad argument (exit 2)
  const dumpsUrl = values['dumps-url'] ?? env.BINANCE_DUMPS_URL ?? DEFAULT_DUMPS_URL;
  return {
    types,
    symbols,
    from,
    to,
    store,
    ignoreRetention: values['ignore-retention'] === true,
    statePath: values.state ?? join('data', 'history-state.json'),
    concurrency,
    bytesPerSecond: mbps === undefined ? undefined : (mbps * 1e6) / 8,
    dumpsUrl,
  };
}

const n = (x: number) => x.toLocaleString('en');
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

function summaryLine(s: HistorySummary): string {
  const failed = s.failed.length > 0 ? `; FAILED ${s.failed.length}: ${s.failed.map((f) => `${f.id} (${f.kind})`).join(', ')}` : '';
  return `history: ${s.markets} market(s), ${n(s.files)} file(s), ${n(s.restRanges)} REST range(s), ${n(s.rows)} klines, ${mb(s.bytes)} MB downloaded, ${s.notPublished} not published, ${s.resumed} done earlier, ${(s.elapsedMs / 1000).toFixed(1)} s${s.stopped ? '; STOPPED (run again to resume)' : ''}${failed}\n`;
}

export async function run(argv: string[], io: CliIo, deps: HistoryDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  let args: Args;
  let site: DumpSite;
  try {
    args = parse(argv, env);
    site = new DumpSite({ baseUrl: args.dumpsUrl, tmpDir: join(args.statePath, '..', 'history-downloads'), concurrency: args.concurrency, bytesPerSecond: args.bytesPerSecond, fetchImpl: deps.fetchImpl });
  } catch (err) {
    io.stderr.write(`history: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const now = deps.now ?? Date.now;
  const to = Math.min(args.to ?? now(), Math.floor(now() / 60_000) * 60_000);
  const clients = venueClients(env, deps.fetchImpl);
  const clientFor = clients.clientFor;
  const rest = deps.rest ?? restHistory(clientFor);

  let store: KlineStore | undefined;
  const interrupt = deps.signal ? undefined : interruptSignal((sig) => io.stderr.write(`history: ${sig}: finishing the tasks under way, then stopping (Ctrl-C again quits now)\n`));
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const bar = tty ? new SingleBar({ stream: io.stderr as NodeJS.WriteStream, format: 'history [{bar}] {value}/{total} tasks | {rows} klines | {mb} MB | ETA {eta_formatted}', etaBuffer: 50 }) : undefined;
  let lastLine = 0;
  const onProgress = (p: HistoryProgress) => {
    if (bar) {
      bar.setTotal(p.tasksTotal);
      bar.update(p.tasksDone + p.tasksFailed, { rows: n(p.rows), mb: mb(p.bytes) });
    } else if (Date.now() - lastLine >= 1000) {
      lastLine = Date.now();
      io.stdout.write(`${JSON.stringify({ event: 'progress', ...p })}\n`);
    }
  };
  try {
    const state = HistoryState.load(args.statePath);
    const opened = await (deps.openStore ?? openStore)(await resolveStoreSource(args.store, deps.secrets));
    store = opened;
    const retentions = await Promise.all(args.types.map(async (marketType) => ({ marketType, seconds: await opened.readRetention(marketType) })));
    const start = historyStart(args.from, retentions, now(), args.ignoreRetention);
    if (start.notice !== undefined) io.stderr.write(`history: ${start.notice}\n`);
    const markets: MarketRef[] = [];
    for (const marketType of args.types) {
      const symbols = args.symbols ?? (await clientFor({ marketType, symbol: '' }).exchangeInfo()).symbols.map((s) => s.symbol);
      for (const symbol of symbols) markets.push({ marketType, symbol });
    }
    bar?.start(0, 0, { rows: '0', mb: '0.0' });
    const summary = await runHistory({
      store,
      site,
      rest,
      markets,
      from: start.from,
      to,
      state,
      concurrency: args.concurrency,
      onProgress,
      signal: deps.signal ?? interrupt?.signal,
      now,
      rebuild: async (range: TimeRange) => {
        // The resample job's on-demand rebuild, a bounded span per call.
        const span = DEFAULT_RESAMPLE_OPTIONS.maxRebuildMs;
        for (let from = Math.floor(range.from / DAY_MS) * DAY_MS; from < range.to; from += span) {
          await rebuildRange(store as KlineStore, { from, to: Math.min(from + span, range.to) }, now());
        }
      },
    });
    bar?.stop();
    io.stdout.write(tty ? summaryLine(summary) : `${JSON.stringify({ event: 'summary', ...summary })}\n`);
    if (!tty && summary.failed.length > 0) io.stderr.write(summaryLine(summary));
    return summary.stopped ? 130 : summary.failed.length > 0 ? 3 : 0;
  } catch (err) {
    bar?.stop();
    io.stderr.write(`history: ${(err as Error).message}\n`);
    return err instanceof RetentionError ? 2 : 1;
  } finally {
    interrupt?.dispose();
    clients.close();
    await store?.close().catch(() => undefined);
  }
}
