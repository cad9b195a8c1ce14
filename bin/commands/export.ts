/**
 * `export --interval I --from ISO --to ISO [--format csv|parquet] [--store URL] [--market-type T,…]
 * [--symbols S,…] [--time-zone ±HH:MM] [--monthly] [--out DIR]`: stored klines to files users
 * open in their own tools (core/export/run.ts).
 *
 * - CSV: data.binance.vision's layout and file names, one file per market and day (or month
 *   with --monthly), byte-identical to Binance's files for the same klines.
 * - Parquet: `DIR/market_type=…/interval=…/date=…/klines.parquet`, exact DECIMAL(38,8) prices
 *   and volumes, UTC timestamps, `source_count` on resampled bars.
 * - Resumable: complete files are skipped, so re-running after a stop finishes the job.
 * - Progress on stderr when it is a terminal; the summary line on stdout.
 * - The store: `--store`, else the secret MONGODB_SECRET_ARN names, else KLINE_STORE (store-source.ts).
 */
import { parseArgs } from 'node:util';
import type { StoreConfig } from '../../core/config';
import { exportKlines, type ExportFormat } from '../../core/export/run';
import { storeSource } from '../../core/export/store-source';
import { MARKET_TYPES, parseMarketTypes, type MarketType } from '../../core/market';
import { openStore } from '../../core/store/index';
import type { KlineStore } from '../../core/store/port';
import { BINANCE_INTERVALS, formatTimeZone, isBinanceInterval, type BinanceInterval } from '../../core/windows';
import type { CliIo } from '../cli';
import { cliStoreSource, commandStoreConfig, type CliStoreSource, type SecretsClient } from './store-source';
import { parseInstant } from './report';
import { timeZoneOption } from './time-zone-option';

export const USAGE =
  'usage: npm run cli -- export --interval 1m|5m|…|1d|1w|1M --from ISO --to ISO [--format csv|parquet] [--store URL]\n' +
  `         [--market-type ${MARKET_TYPES.join(',')}] [--symbols BTCUSDT,…] [--time-zone ±HH:MM] [--monthly] [--out DIR]\n`;

export interface ExportDeps {
  openStore?: (config: StoreConfig) => Promise<KlineStore>;
  env?: Record<string, string | undefined>;
  /** Secrets Manager, for MONGODB_SECRET_ARN (default: a client for AWS_REGION). */
  secrets?: () => SecretsClient;
}

interface Args {
  interval: BinanceInterval;
  from: number;
  to: number;
  format: ExportFormat;
  store: CliStoreSource;
  marketTypes: MarketType[];
  symbols: string[] | undefined;
  tzOffsetMs: number;
  monthly: boolean;
  outDir: string;
}

function parse(argv: string[], env: Record<string, string | undefined>): Args {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      interval: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'csv' },
      store: { type: 'string' },
      'market-type': { type: 'string', default: 'spot' },
      symbols: { type: 'string' },
      'time-zone': { type: 'string' },
      monthly: { type: 'boolean', default: false },
      out: { type: 'string', default: 'export' },
    },
    allowPositionals: false,
    strict: true,
  });
  void positionals;
  if (values.interval === undefined) throw new Error('--interval is required');
  if (!isBinanceInterval(values.interval)) throw new Error(`--interval ${values.interval} is not one of ${BINANCE_INTERVALS.join(', ')}`);
  if (values.from === undefined) throw new Error('--from is required');
  if (values.to === undefined) throw new Error('--to is required');
  const from = parseInstant(values.from, '--from');
  const to = parseInstant(values.to, '--to');
  if (from >= to) throw new Error(`--from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()})`);
  if (values.format !== 'csv' && values.format !== 'parquet') throw new Error(`--format ${values.format} is not csv or parquet`);
  if (values.monthly && values.format === 'parquet') throw new Error('--monthly is for CSV (Parquet files are partitioned by day)');
  const tzOffsetMs = timeZoneOption(values['time-zone']);
  if (values.out.trim() === '') throw new Error('--out is empty');
  const symbols = values.symbols?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (symbols !== undefined && symbols.length === 0) throw new Error('--symbols is empty');
  return {
    interval: values.interval,
    from,
    to,
    format: values.format,
    store: cliStoreSource(values.store, env),
    marketTypes: parseMarketTypes(values['market-type'], '--market-type'),
    symbols,
    tzOffsetMs,
    monthly: values.monthly,
    outDir: values.out,
  };
}

export { storeSource };

export async function run(argv: string[], io: CliIo, deps: ExportDeps = {}): Promise<number> {
  let args: Args;
  try {
    args = parse(argv, deps.env ?? process.env);
  } catch (err) {
    io.stderr.write(`export: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = await commandStoreConfig('export', args.store, io.stderr, deps.secrets);
  if (config === undefined) return 1;
  let store: KlineStore;
  try {
    store = await (deps.openStore ?? ((config) => openStore(config, { mustExist: true })))(config);
  } catch (err) {
    io.stderr.write(`export: cannot open the store: ${(err as Error).message}\n`);
    return 1;
  }
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const started = Date.now();
  try {
    const summary = await exportKlines(storeSource(store), {
      marketTypes: args.marketTypes,
      symbols: args.symbols,
      interval: args.interval,
      tzOffsetMs: args.tzOffsetMs,
      from: args.from,
      to: args.to,
      format: args.format,
      period: args.monthly ? 'monthly' : 'daily',
      outDir: args.outDir,
      onFile: (e) => {
        if (tty) io.stderr.write(`\r\u001b[Kexport: period ${e.periodsDone}/${e.periods} ${e.skipped ? 'skipped' : 'wrote'} ${e.path}`);
      },
    });
    if (tty) io.stderr.write('\r\u001b[K');
    const zone = args.tzOffsetMs === 0 ? '' : ` in ${formatTimeZone(args.tzOffsetMs)}`;
    const resampledFrom = summary.sources.filter((s) => s !== args.interval);
    const via = resampledFrom.length === 0 ? '' : ` (resampled from ${resampledFrom.join(', ')})`;
    io.stdout.write(
      `export: ${summary.klines} ${args.interval} klines${zone}${via} in ${summary.files} ${args.format} files under ${args.outDir}` +
        `${summary.skipped > 0 ? `, ${summary.skipped} complete files skipped` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
    return 0;
  } catch (err) {
    if (tty) io.stderr.write('\n');
    io.stderr.write(`export: ${(err as Error).message} (complete files stay; run again to resume)\n`);
    return 1;
  } finally {
    await store.close();
  }
}
