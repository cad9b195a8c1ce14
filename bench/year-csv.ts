/**
 * One year of one market's 1m klines as a data.binance.vision spot CSV (525,600 rows, µs
 * timestamps as in spot dumps from 2025, Binance's 8 fraction digits, ~20 % of minutes without
 * trades): the input of the `resample-vs-polars` and `export-*` rows. Deterministic (seeded
 * PRNG), written once to the OS temp folder and reused.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from '../test/fixtures/trades';

export const YEAR_START = Date.UTC(2025, 0, 1);
export const YEAR_MINUTES = 525_600;
export const YEAR_SYMBOL = 'BENCHUSDT';

function text8(units: number): string {
  return `${Math.floor(units / 1e8)}.${String(units % 1e8).padStart(8, '0')}`;
}

/** Path of the year file (`BENCHUSDT-1m-2025.csv`), generated on first use. */
export async function yearCsv(dir = tmpdir()): Promise<string> {
  const path = join(dir, `${YEAR_SYMBOL}-1m-2025.csv`);
  if (existsSync(path) && statSync(path).size > 50e6) return path;
  const random = rng(2025);
  const tmp = `${path}.partial`;
  const out = createWriteStream(tmp);
  let price = 3_000_000_000_000; // 30,000.00000000
  let buf = '';
  for (let m = 0; m < YEAR_MINUTES; m++) {
    const t = (YEAR_START + m * 60_000) * 1000;
    const trades = random() < 0.2 ? 0 : 1 + Math.floor(random() * 900);
    let open = price;
    let high = price;
    let low = price;
    let volume = 0;
    let quote = 0;
    if (trades > 0) {
      const step = Math.floor(price / 2000);
      open = price + Math.floor((random() - 0.5) * step);
      const close = Math.max(1, open + Math.floor((random() - 0.5) * step));
      high = Math.max(open, close) + Math.floor(random() * step);
      low = Math.max(1, Math.min(open, close) - Math.floor(random() * step));
      price = close;
      volume = Math.floor(random() * 1e11);
      quote = Math.floor((volume / 1e8) * (price / 1e8) * 1e8);
    }
    const takerBase = Math.floor(volume * random());
    const takerQuote = Math.floor((quote * takerBase) / Math.max(1, volume));
    buf += `${t},${text8(open)},${text8(high)},${text8(low)},${text8(price)},${text8(volume)},${t + 59_999_999},${text8(quote)},${trades},${text8(takerBase)},${text8(takerQuote)},0\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
  renameSync(tmp, path);
  return path;
}

if (require.main === module) {
  yearCsv(process.argv[2]).then((p) => process.stdout.write(`${p}\n`));
}
