/**
 * Building data.binance.vision-like kline files: the CSV (spot: no header, µs timestamps from
 * 2025-01-01 and ms before; futures: a header row, ms), zipped with yazl, and its `.CHECKSUM`.
 */
import yazl from 'yazl';
import { sha256 } from '../../core/dumps/checksum';
import type { Kline } from '../../core/kline';
import type { MarketType } from '../../core/market';

export const FUTURES_HEADER = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';
/** Spot dumps switched to microseconds from this day on. */
export const SPOT_MICROSECONDS_FROM = Date.UTC(2025, 0, 1);
/** A fixed entry time so the same klines always give the same bytes (and checksum). */
const ENTRY_TIME = new Date(Date.UTC(2026, 0, 1));

function time(ms: number, micro: boolean, closing: boolean): string {
  return micro ? `${ms}${closing ? '999' : '000'}` : String(ms);
}

export function dumpCsv(marketType: MarketType, klines: readonly Kline[]): string {
  const lines: string[] = marketType === 'spot' ? [] : [FUTURES_HEADER];
  for (const k of klines) {
    const micro = marketType === 'spot' && k.openTime >= SPOT_MICROSECONDS_FROM;
    lines.push(
      `${time(k.openTime, micro, false)},${k.open},${k.high},${k.low},${k.close},${k.volume},${micro ? `${k.closeTime}999` : k.closeTime},${k.quoteVolume},${k.trades},${k.takerBuyBaseVolume},${k.takerBuyQuoteVolume},0`,
    );
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** A zip holding one entry `entryName` with `text`, deflated. */
export function zipText(entryName: string, text: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(text, 'utf8'), entryName, { mtime: ENTRY_TIME, compress: true });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

export interface BuiltDump {
  zip: Buffer;
  sha256: string;
  rows: number;
}

export async function buildDump(marketType: MarketType, csvName: string, klines: readonly Kline[]): Promise<BuiltDump> {
  const zip = await zipText(csvName, dumpCsv(marketType, klines));
  return { zip, sha256: sha256(zip), rows: klines.length };
}
