/**
 * One market-day of our archive against Binance's dump, minute by minute: equal, differing
 * (which fields, both values kept), missing in ours, missing in Binance's. Decimals compare by
 * value ("1.10" = "1.1"): a different spelling of the same number is no difference.
 */
import { compareDecimal } from '../decimal';
import { DECIMAL_FIELDS, type Kline } from '../kline';

export const COMPARED_FIELDS = [...DECIMAL_FIELDS, 'trades', 'closeTime'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export interface MinuteDifference {
  openTime: number;
  fields: ComparedField[];
  ours: Kline;
  theirs: Kline;
}

export interface DayComparison {
  equal: number;
  differing: MinuteDifference[];
  /** Binance's klines of minutes we do not have. */
  missingOurs: Kline[];
  /** Open times we have and Binance's dump does not. */
  missingTheirs: number[];
}

export function differingFields(ours: Kline, theirs: Kline): ComparedField[] {
  const out: ComparedField[] = [];
  for (const f of DECIMAL_FIELDS) if (ours[f] !== theirs[f] && compareDecimal(ours[f], theirs[f]) !== 0) out.push(f);
  if (ours.trades !== theirs.trades) out.push('trades');
  if (ours.closeTime !== theirs.closeTime) out.push('closeTime');
  return out;
}

/** Both lists ordered by open time (as the store reads and the dump holds them). */
export function compareDay(ours: readonly Kline[], theirs: readonly Kline[]): DayComparison {
  const result: DayComparison = { equal: 0, differing: [], missingOurs: [], missingTheirs: [] };
  let i = 0;
  let j = 0;
  while (i < ours.length || j < theirs.length) {
    const a = ours[i];
    const b = theirs[j];
    if (b === undefined || (a !== undefined && a.openTime < b.openTime)) {
      result.missingTheirs.push(a.openTime);
      i++;
    } else if (a === undefined || b.openTime < a.openTime) {
      result.missingOurs.push(b);
      j++;
    } else {
      const fields = differingFields(a, b);
      if (fields.length === 0) result.equal++;
      else result.differing.push({ openTime: a.openTime, fields, ours: a, theirs: b });
      i++;
      j++;
    }
  }
  return result;
}
