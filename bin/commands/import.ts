/**
 * `import FILE.csv... [--store URL] [--symbol S] [--market-type spot|usdm|coinm] [--batch N]`:
 * load data.binance.vision kline dumps into the store (history backfill).
 *
 * - Files are dump CSVs or the .zip files as downloaded.
 * - The market type comes from `--market-type`, else from the file's data.binance.vision path
 *   (`spot/…`, `futures/um/…` → usdm, `futures/cm/…` → coinm), else spot; a flag that
 *   contradicts the path stops the import before anything is written.
 * - Symbol and interval come from the file name (`BTCUSDT-1m-2025-01-01.csv`); `--symbol`
 *   overrides the symbol. 1m files go to klines_1m; 5m/15m/30m/1h files to their tables (a
 *   Binance bar counts as complete: Binance built it from every trade of the window).
 * - Each file is read and checked whole before any of it is written, so a bad line stops the
 *   run with nothing of that file stored; then it is read again and streamed into the store in
 *   batches, so memory stays one batch whatever the file's size; .zip files through yauzl with
 *   their CRC-32 checked; files before it are fully imported, and the summary
 *   says which. Writes are idempotent upserts in batches, so re-running an import is safe.
 * - Progress goes to stderr when stderr is a terminal; the summary line goes to stdout.
 * - The store: `--store`, else the secret MONGODB_SECRET_ARN names, else KLINE_STORE (store-source.ts).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { StoreConfig } from '../../core/config';
import { CsvLineError, parseDumpFileName, readDump } from '../../core/csv-dump';
import { openDumpZip } from '../../core/dumps/zip';
import { ConfigError } from '../../core/errors';
import { MINUTE_MS, STORED_INTERVALS, intervalMs, type StoredInterval } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { storeProblem } from '../../core/store/batch';
import { openStore } from '../../core/store/index';
import type { KlineStore } from '../../core/store/port';
import type { MarketType } from '../../core/market';
import type { CliIo } from '../cli';
import { cliStoreSource, commandStoreConfig, type CliStoreSource, type SecretsClient } from './store-source';
import { MARKET_TYPE_USAGE, marketTypeOfFile, parseMarketTypeFlag } from './market-type-option';

export const USAGE = `usage: npm run cli -- import FILE.csv... [--store URL] [--symbol S] [${MARKET_TYPE_USAGE}] [--batch N]\n`;
export const DEFAULT_BATCH = 5000;

export interface ImportDeps {
  /** Opens the store (default: core/store openStore). */
  openStore?: (config: StoreConfig) => Promise<KlineStore>;
  env?: Record<string, string | undefined>;
  /** Secrets Manager, for MONGODB_SECRET_ARN (default: a client for AWS_REGION). */
  secrets?: () => SecretsClient;
}

interface ImportedFile {
  file: string;
  marketType: MarketType;
  symbol: string;
  interval: StoredInterval;
  klines: number;
  written: number;
}

/** A problem with one file: stops the import. */
class FileProblem extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

function isStoredInterval(s: string): s is StoredInterval {
  return (STORED_INTERVALS as readonly string[]).includes(s);
}

/** A dump's CSV text: a `.csv` as it is, a `.zip` through yauzl with its CRC-32 checked. */
async function openCsv(file: string): Promise<Readable> {
  if (!file.toLowerCase().endsWith('.zip')) return createReadStream(file);
  return (await openDumpZip(file, file)).stream;
}

interface FileShape {
  symbol: string;
  interval: StoredInterval;
  klines: number;
}

/**
 * Stream one dump's klines (checked as the store would); memory is one line at a time. The
 * caller reads a file twice: once to check it whole, once to write it.
 */
async function* fileKlines(
  file: string,
  marketType: MarketType,
  symbolOverride: string | undefined,
  shape?: FileShape,
): AsyncGenerator<Kline & { interval: StoredInterval }> {
  const named = parseDumpFileName(file);
  const symbol = shape?.symbol ?? symbolOverride ?? named?.symbol;
  if (symbol === undefined) throw new FileProblem(file, 'cannot tell the symbol from the file name (expected SYMBOL-1m-YYYY-MM-DD.csv); pass --symbol');
  if (named !== undefined && !isStoredInterval(named.interval)) {
    throw new FileProblem(file, `interval ${named.interval} is not stored (only ${STORED_INTERVALS.join(', ')})`);
  }
  let input: Readable | undefined;
  let interval: StoredInterval | undefined = shape?.interval ?? (named?.interval as StoredInterval | undefined);
  try {
    input = await openCsv(file);
    for await (const { line, kline } of readDump(input, { marketType, symbol, interval })) {
      if (interval === undefined) {
        if (!isStoredInterval(kline.interval)) throw new CsvLineError(line, `interval ${kline.interval} is not stored (only ${STORED_INTERVALS.join(', ')})`);
        interval = kline.interval;
      }
      if (interval !== '1m') kline.sourceCount = intervalMs(interval) / MINUTE_MS;
      const problem = storeProblem(interval, kline);
      if (problem !== undefined) throw new CsvLineError(line, problem);
      yield kline as Kline & { interval: StoredInterval };
    }
  } catch (err) {
    if (err instanceof FileProblem) throw err;
    if (err instanceof CsvLineError) throw new FileProblem(file, `line ${err.line}: ${err.reason}`);
    throw new FileProblem(file, `cannot read: ${(err as Error).message}`);
  } finally {
    input?.destroy();
  }
}

/** Pass 1: check the whole file; nothing is written and nothing is kept. */
async function checkFile(file: string, marketType: MarketType, symbolOverride: string | undefined): Promise<FileShape> {
  let shape: FileShape | undefined;
  for await (const k of fileKlines(file, marketType, symbolOverride)) {
    if (shape === undefined) shape = { symbol: k.symbol, interval: k.interval, klines: 0 };
    shape.klines++;
  }
  if (shape === undefined) throw new FileProblem(file, 'no klines in the file');
  return shape;
}

function describeStore(config: StoreConfig): string {
  return config.kind === 'sqlite' ? `sqlite:${config.path}` : `MongoDB database "${config.database}"`;
}

const count = (n: number) => n.toLocaleString('en');

function summarise(done: readonly ImportedFile[]): string {
  const klines = done.reduce((s, f) => s + f.klines, 0);
  const written = done.reduce((s, f) => s + f.written, 0);
  const symbols = [...new Set(done.map((f) => f.symbol))];
  const intervals = [...new Set(done.map((f) => f.interval))];
  const types = [...new Set(done.map((f) => f.marketType))];
  return `${done.length} file${done.length === 1 ? '' : 's'}, ${count(klines)} ${types.join('/')} ${intervals.join('/')} klines of ${symbols.length <= 3 ? symbols.join(', ') : `${symbols.length} markets`} (${count(written)} new or changed)`;
}

export async function run(argv: string[], io: CliIo, deps: ImportDeps = {}): Promise<number> {
  let files: string[];
  let storeSource: CliStoreSource;
  let symbol: string | undefined;
  let marketTypes: MarketType[];
  let batchSize = DEFAULT_BATCH;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { store: { type: 'string' }, symbol: { type: 'string' }, 'market-type': { type: 'string' }, batch: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length === 0) throw new Error('no FILE.csv given');
    files = positionals;
    symbol = values.symbol;
    if (symbol !== undefined && symbol.trim() === '') throw new Error('--symbol is empty');
    const flag = parseMarketTypeFlag(values['market-type']);
    // Every file's type is settled before the store is opened: a contradiction writes nothing.
    marketTypes = files.map((file) => marketTypeOfFile(file, flag));
    if (values.batch !== undefined) {
      batchSize = Number(values.batch);
      if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`--batch expects a positive integer, got "${values.batch}"`);
    }
    storeSource = cliStoreSource(values.store, deps.env ?? process.env);
  } catch (err) {
    io.stderr.write(`import: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const progress = (text: string) => {
    if (tty) io.stderr.write(`\r\u001b[K${text}`);
  };
  const storeConfig = await commandStoreConfig('import', storeSource, io.stderr, deps.secrets);
  if (storeConfig === undefined) return 1;
  let store: KlineStore;
  try {
    store = await (deps.openStore ?? openStore)(storeConfig);
  } catch (err) {
    io.stderr.write(`import: cannot open the store ${describeStore(storeConfig)}: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }

  const done: ImportedFile[] = [];
  const target = describeStore(storeConfig);
  try {
    for (const [n, file] of files.entries()) {
      progress(`import: checking ${file} (${n + 1}/${files.length})`);
      const marketType = marketTypes[n];
      const shape = await checkFile(file, marketType, symbol);
      const { symbol: fileSymbol, interval } = shape;
      let written = 0;
      let stored = 0;
      let batch: Kline[] = [];
      const flush = async () => {
        let result;
        try {
          result = await store.upsert(interval, batch);
        } catch (err) {
          throw new FileProblem(file, `the store failed after ${count(stored)} of ${count(shape.klines)} klines of this file were written (re-running the import is safe): ${(err as Error).message}`);
        }
        if (result.failures.length > 0) {
          const f = result.failures[0];
          throw new FileProblem(file, `the store refused ${result.failures.length} kline(s), first at ${new Date(batch[f.index].openTime).toISOString()}: ${f.reason}`);
        }
        written += result.written;
        stored += batch.length;
        batch = [];
        progress(`import: ${file} (${n + 1}/${files.length}): ${count(stored)}/${count(shape.klines)} klines`);
      };
      // Pass 2: the file was checked whole; now stream it into the store, one batch in memory.
      for await (const k of fileKlines(file, marketType, symbol, shape)) {
        batch.push(k);
        if (batch.length >= batchSize) await flush();
      }
      if (batch.length > 0) await flush();
      done.push({ file, marketType, symbol: fileSymbol, interval, klines: stored, written });
    }
  } catch (err) {
    progress('');
    const message = err instanceof FileProblem ? err.message : `unexpected error: ${(err as Error).message}`;
    io.stderr.write(`import: ${message}\n`);
    io.stderr.write(done.length === 0 ? `import: nothing was imported into ${target}\n` : `import: imported before the problem: ${summarise(done)} into ${target}\n`);
    await store.close().catch(() => undefined);
    return 1;
  }
  progress('');
  await store.close();
  io.stdout.write(`imported ${summarise(done)} into ${target}\n`);
  return 0;
}
