/**
 * data.binance.vision's layout for 1m kline files:
 *   /data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2021-11.zip
 *   /data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2021-11-27.zip   (+ `.CHECKSUM` beside each)
 * USDⓈ-M futures live under /data/futures/um/…, COIN-M under /data/futures/cm/….
 */
import { isMarketType, type MarketType } from '../market';

export type DumpPeriod = 'monthly' | 'daily';

export const DEFAULT_DUMPS_URL = 'https://data.binance.vision';

const PREFIX: Record<MarketType, string> = { spot: 'spot', usdm: 'futures/um', coinm: 'futures/cm' };

/** One published dump file: a market's 1m klines of one month (`YYYY-MM`) or one day (`YYYY-MM-DD`). */
export interface DumpFile {
  marketType: MarketType;
  symbol: string;
  period: DumpPeriod;
  /** `YYYY-MM` (monthly) or `YYYY-MM-DD` (daily). */
  date: string;
}

/** The zip's file name, e.g. `BTCUSDT-1m-2021-11-27.zip`. */
export function dumpFileName(f: Pick<DumpFile, 'symbol' | 'date'>): string {
  return `${f.symbol}-1m-${f.date}.zip`;
}

/** The URL path of the zip (symbols are URL-encoded: some spot symbols are Unicode). */
export function dumpUrlPath(f: DumpFile): string {
  const sym = encodeURIComponent(f.symbol);
  return `/data/${PREFIX[f.marketType]}/${f.period}/klines/${sym}/1m/${sym}-1m-${f.date}.zip`;
}

/** A short name for messages and the state file: `spot/daily/BTCUSDT-1m-2021-11-27.zip`. */
export function dumpLabel(f: DumpFile): string {
  return `${f.marketType}/${f.period}/${dumpFileName(f)}`;
}

const PATH = /^\/data\/(spot|futures\/um|futures\/cm)\/(monthly|daily)\/klines\/([^/]+)\/1m\/([^/]+)-1m-([0-9]{4}-[0-9]{2}(?:-[0-9]{2})?)\.zip(\.CHECKSUM)?$/u;

/** Parse a URL path of a zip or its `.CHECKSUM`; undefined when it is not a 1m kline file. */
export function parseDumpUrlPath(path: string): (DumpFile & { checksum: boolean }) | undefined {
  const m = PATH.exec(path);
  if (!m) return undefined;
  let symbol: string;
  let named: string;
  try {
    symbol = decodeURIComponent(m[3]);
    named = decodeURIComponent(m[4]);
  } catch {
    return undefined;
  }
  const marketType = m[1] === 'spot' ? 'spot' : m[1] === 'futures/um' ? 'usdm' : 'coinm';
  const period = m[2] as DumpPeriod;
  const date = m[5];
  if (symbol !== named || !isMarketType(marketType)) return undefined;
  if ((period === 'monthly') !== (date.length === 7)) return undefined;
  return { marketType, symbol, period, date, checksum: m[6] !== undefined };
}

/** `YYYY-MM-DD` of a UTC day start (ms). */
export function dayString(dayStart: number): string {
  return new Date(dayStart).toISOString().slice(0, 10);
}

/** `YYYY-MM` of a UTC time (ms). */
export function monthString(t: number): string {
  return new Date(t).toISOString().slice(0, 7);
}

/** The ms range [from, to) a dump file covers. */
export function dumpRange(f: Pick<DumpFile, 'period' | 'date'>): { from: number; to: number } {
  const [y, m, d] = f.date.split('-').map(Number);
  if (f.period === 'daily') {
    const from = Date.UTC(y, m - 1, d);
    return { from, to: from + 86_400_000 };
  }
  return { from: Date.UTC(y, m - 1, 1), to: Date.UTC(y, m, 1) };
}
