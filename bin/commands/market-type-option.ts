/** `--market-type spot|usdm|coinm` of the CLI commands that read dump files. */
import { marketTypeOfDumpPath } from '../../core/dump-market-type';
import { MARKET_TYPES, isMarketType, type MarketType } from '../../core/market';

export const MARKET_TYPE_USAGE = `--market-type ${MARKET_TYPES.join('|')}`;

/** The flag's value checked; undefined when the flag is absent. Throws naming the flag. */
export function parseMarketTypeFlag(value: string | undefined): MarketType | undefined {
  if (value === undefined) return undefined;
  if (!isMarketType(value)) throw new Error(`--market-type "${value}" is not a market type (expected ${MARKET_TYPES.join(', ')})`);
  return value;
}

/**
 * A file's market type: the flag, else what its data.binance.vision path says, else spot.
 * A flag that contradicts the path is an error (importing USDⓈ-M klines as spot would mix them).
 */
export function marketTypeOfFile(file: string, flag: MarketType | undefined): MarketType {
  const fromPath = marketTypeOfDumpPath(file);
  if (flag !== undefined && fromPath !== undefined && flag !== fromPath) {
    throw new Error(`${file}: --market-type ${flag} contradicts the path, which holds ${fromPath} klines`);
  }
  return flag ?? fromPath ?? 'spot';
}
