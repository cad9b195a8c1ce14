/**
 * `resample --to 5m|15m|30m|1h [--market-type spot|usdm|coinm] FILE.csv`: a data.binance.vision kline CSV (ms or µs timestamps,
 * optional header; or the .zip as downloaded) resampled into a longer interval, written to stdout in the same 12-column
 * layout (ms timestamps, decimals with the input's fraction digits, last column 0).
 *
 * The market type (flag, else the file's data.binance.vision path, else spot) does not change the
 * output; a flag that contradicts the path is refused as for `import`.
 * The file is streamed line by line; output is held until the whole file has been read, so a
 * bad line gives one message on stderr and nothing on stdout.
 */
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { CsvLineError, formatCsvRow, openDumpFile, parseDumpFileName, readDump } from '../../core/csv-dump';
import { intervalMs, isInterval, MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { Resampler } from '../../core/resample';
import type { MarketType } from '../../core/market';
import type { CliIo } from '../cli';
import { MARKET_TYPE_USAGE, marketTypeOfFile, parseMarketTypeFlag } from './market-type-option';

const USAGE = `usage: npm run cli -- resample --to 5m|15m|30m|1h [${MARKET_TYPE_USAGE}] FILE.csv\n`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  let to: string;
  let file: string;
  let marketType: MarketType;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { to: { type: 'string' }, 'market-type': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.to === undefined) throw new Error('--to is required');
    if (!isInterval(values.to)) throw new Error(`--to ${values.to} is not an interval that divides a day (e.g. 5m, 15m, 30m, 1h)`);
    if (positionals.length !== 1) throw new Error(positionals.length === 0 ? 'no FILE.csv given' : 'give exactly one FILE.csv');
    to = values.to;
    file = positionals[0];
    marketType = marketTypeOfFile(file, parseMarketTypeFlag(values['market-type']));
  } catch (err) {
    io.stderr.write(`resample: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  const named = parseDumpFileName(file);
  let input: Readable | undefined;
  const rows: string[] = [];
  let resampler: Resampler | undefined;
  let incomplete = 0;
  const emit = (bar: Kline | undefined) => {
    if (bar === undefined) return;
    if (bar.sourceCount! < intervalMs(to) / MINUTE_MS) incomplete++;
    rows.push(formatCsvRow(bar));
  };
  try {
    input = await openDumpFile(file);
    for await (const { line, kline } of readDump(input, { marketType, symbol: named?.symbol ?? 'CSV', interval: named?.interval })) {
      if (resampler === undefined) {
        try {
          resampler = new Resampler(kline.interval, to);
        } catch (err) {
          throw new CsvLineError(line, `${(err as Error).message}`);
        }
      }
      emit(resampler.push(kline));
    }
    emit(resampler?.flush());
  } catch (err) {
    const problem = err instanceof CsvLineError ? `line ${err.line}: ${err.reason}` : `cannot read: ${(err as Error).message}`;
    io.stderr.write(`resample: ${file}: ${problem}\n`);
    return 1;
  } finally {
    input?.destroy();
  }

  if (rows.length === 0) {
    io.stderr.write(`resample: ${file}: no klines in the file\n`);
    return 1;
  }
  io.stdout.write(`${rows.join('\n')}\n`);
  if (incomplete > 0) {
    io.stderr.write(`resample: note: ${incomplete} of ${rows.length} ${to} klines were built from fewer 1m klines than the window holds (${file} has missing minutes)\n`);
  }
  return 0;
}
