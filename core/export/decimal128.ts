/**
 * Decimal text as the unscaled 128-bit integers of DECIMAL(38, 8), written straight into a column
 * buffer (Arrow's Decimal128 layout: four little-endian 32-bit words per value, two's complement),
 * without a BigInt or a substring per value.
 */
export const DECIMAL_SCALE = 8;
export const DECIMAL_PRECISION = 38;

const ZEROS = '0'.repeat(DECIMAL_SCALE);
const TWO_32 = 2 ** 32;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
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

/**
 * `texts(i)` for i in [0, n) into `words` (4 × n Uint32 words). The common case (plain digits and
 * one dot, unscaled value below 2^53) is a digit loop in float64, exact below 2^53; anything else
 * (more digits, a sign, bad text) goes through `unscaledDecimal`, which is exact or throws.
 */
export function writeDecimal128(words: Uint32Array, n: number, texts: (i: number) => string, field: string): void {
  for (let i = 0; i < n; i++) {
    const text = texts(i);
    const at = 4 * i;
    let digits = 0;
    let fracLength = -1;
    let plain = text.length > 0;
    for (let j = 0; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === 46 && fracLength < 0) fracLength = 0;
      else if (c >= 48 && c <= 57) {
        digits = digits * 10 + (c - 48);
        if (fracLength >= 0) fracLength++;
      } else {
        plain = false;
        break;
      }
    }
    if (fracLength < 0) fracLength = 0;
    if (plain && fracLength <= DECIMAL_SCALE) {
      const unscaled = digits * POW10[DECIMAL_SCALE - fracLength];
      if (unscaled <= Number.MAX_SAFE_INTEGER) {
        words[at] = unscaled % TWO_32;
        words[at + 1] = Math.floor(unscaled / TWO_32);
        words[at + 2] = 0;
        words[at + 3] = 0;
        continue;
      }
    }
    const big = BigInt.asUintN(128, unscaledDecimal(text, field));
    words[at] = Number(big & 0xffff_ffffn);
    words[at + 1] = Number((big >> 32n) & 0xffff_ffffn);
    words[at + 2] = Number((big >> 64n) & 0xffff_ffffn);
    words[at + 3] = Number(big >> 96n);
  }
}
