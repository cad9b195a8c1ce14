/**
 * `resample --to INTERVAL [--time-zone ±HH:MM] [--market-type spot|usdm|coinm] [--out FILE] FILE.csv`: a data.binance.vision
 * kline CSV (ms or µs timestamps, optional header; or the .zip as downloaded) resampled into any
 * longer Binance interval of whole minutes (3m … 1d, 3d, 1w, 1M), aligned as Binance aligns its
 * klines (in UTC, or in Binance's `timeZone` sense with --time-zone), written in the same
 * 12-column layout (ms timestamps, decimals with the input's fraction digits, last column 0).
 *
 * The market type (flag, else the file's data.binance.vision path, else spot) does not change the
 * output; a flag that contradicts the path is refused as for `import`.
 * Streaming, memory bounded whatever the file's size: rows are written as windows complete.
 * Output is held until it reaches OUTPUT_HOLD bytes, so a bad line in a small file gives one
 * message on stderr and nothing on stdout; with --out the file appears only when complete.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { CsvLineError, formatCsvRow, intervalOfCsvLine, openDumpFile, parseDumpFileName } from '../../core/csv-dump';
import { readDumpFast } from '../../core/export/csv-lines';
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import type { MarketType } from '../../core/market';
import { Resampler } from '../../core/resample';
import { BINANCE_INTERVALS, isBinanceInterval } from '../../core/windows';
import type { CliIo } from '../cli';
import { MARKET_TYPE_USAGE, marketTypeOfFile, parseMarketTypeFlag } from './market-type-option';
import { timeZoneOption } from './time-zone-option';

export const USAGE = `usage: npm run cli -- resample --to ${BINANCE_INTERVALS.slice(1).join('|')} [--time-zone ±HH:MM] [${MARKET_TYPE_USAGE}] [--out FILE] FILE.csv\n`;
/** Bytes of output held back before the first write (see the module comment). */
const OUTPUT_HOLD = 1 << 20;

interface Args {
  to: string;
  tzOffsetMs: number;
  file: string;
  marketType: MarketType;
  out: string | undefined;
}

function parse(argv: string[]): Args {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { to: { type: 'string' }, 'time-zone': { type: 'string' }, 'market-type': { type: 'string' }, out: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.to === undefined) throw new Error('--to is required');
  if (!isBinanceInterval(values.to) || values.to === '1m') {
    throw new Error(`--to ${values.to} is not an interval to resample into (one of ${BINANCE_INTERVALS.slice(1).join(', ')})`);
  }
  const tzOffsetMs = timeZoneOption(values['time-zone']);
  if (positionals.length !== 1) throw new Error(positionals.length === 0 ? 'no FILE.csv given' : 'give exactly one FILE.csv');
  const marketType = marketTypeOfFile(positionals[0], parseMarketTypeFlag(values['market-type']));
  return { to: values.to, tzOffsetMs, file: positionals[0], marketType, out: values.out };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let args: Args;
  try {
    args = parse(argv);
  } catch (err) {
    io.stderr.write(`resample: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { to, tzOffsetMs, file, marketType } = args;
  const named = parseDumpFileName(file);
  const target: Writable = args.out === undefined ? (io.stdout as Writable) : createWriteStream(`${args.out}.partial`);
  let input: Readable | undefined;
  let resampler: Resampler | undefined;
  let rows = 0;
  let incomplete = 0;
  let buf = '';
  let written = false;
  const emit = (bar: Kline | undefined) => {
    if (bar === undefined) return;
    if (bar.sourceCount! < (bar.closeTime + 1 - bar.openTime) / MINUTE_MS) incomplete++;
    rows++;
    buf += `${formatCsvRow(bar)}\n`;
  };
  const flush = async (force: boolean) => {
    if (buf.length === 0 || (!force && buf.length < (written ? 1 << 16 : OUTPUT_HOLD))) return;
    written = true;
    const ok = target.write(buf);
    buf = '';
    if (!ok) await once(target, 'drain');
  };
  try {
    input = await openDumpFile(file);
    for await (const klines of readDumpFast(input, { marketType, symbol: named?.symbol ?? 'CSV', interval: named?.interval, intervalOfLine: intervalOfCsvLine })) {
      if (resampler === undefined && klines.length > 0) {
        try {
          resampler = new Resampler(klines[0].interval, to, tzOffsetMs);
        } catch (err) {
          throw new CsvLineError(1, (err as Error).message);
        }
      }
      for (const k of klines) emit(resampler!.push(k));
      await flush(false);
    }
    emit(resampler?.flush());
    if (rows === 0) {
      io.stderr.write(`resample: ${file}: no klines in the file\n`);
      return 1;
    }
    await flush(true);
    if (args.out !== undefined) {
      target.end();
      await once(target, 'finish');
      renameSync(`${args.out}.partial`, args.out);
    }
  } catch (err) {
    const problem = err instanceof CsvLineError ? `line ${err.line}: ${err.reason}` : `cannot read: ${(err as Error).message}`;
    io.stderr.write(`resample: ${file}: ${problem}${written ? ' (the rows before it were written)' : ''}\n`);
    return 1;
  } finally {
    input?.destroy();
    if (args.out !== undefined) {
      target.destroy();
      rmSync(`${args.out}.partial`, { force: true });
    }
  }
  if (incomplete > 0) {
    io.stderr.write(`resample: note: ${incomplete} of ${rows} ${to} klines were built from fewer 1m klines than the window holds (${file} has missing minutes)\n`);
  }
  return 0;
}
