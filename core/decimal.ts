/**
 * Exact arithmetic on non-negative decimal text ("0.00000001", "90000000000.00000000").
 *
 * Why text and not a decimal library: Binance sends decimals as text with a fixed number of
 * fraction digits, and every consumer (store, codec, CSV) wants that exact text back. Resampling
 * only needs compare (high/low) and add (volumes), so both work on the text directly: compare
 * never allocates a number, and sums use two float64 integers (integer part and scaled fraction)
 * that are exact far beyond any real volume, falling back to BigInt when they would not be.
 */

/**
 * Canonical decimal text, as Binance writes it: no leading zero in the integer part ("0.5", "10",
 * "10.00000000"; not "00.5" or "01"). One rule for every store: MongoDB's Decimal128 would give
 * "00.5" back as "0.5" while SQLite keeps the text, so the two stores would disagree.
 */
const LEADING_ZERO = /^0[0-9]/;

/**
 * True for canonical non-negative decimal text: an integer part without leading zeros, optionally a dot and digits
 * (`/^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/`, at most 64 characters). A character loop, not the
 * regex: every kline runs it eight times, twice on the history import's path.
 */
export function isDecimalText(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const n = s.length;
  if (n === 0 || n > 64) return false;
  let c = s.charCodeAt(0);
  if (c < 48 || c > 57) return false;
  let i = 1;
  if (c === 48) {
    if (n > 1 && s.charCodeAt(1) !== 46) return false;
  } else {
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
  }
  if (i === n) return true;
  if (s.charCodeAt(i) !== 46 || i === n - 1) return false;
  for (i++; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** True for digits-and-dot text refused only because its integer part has a leading zero ("007.5"). */
export function hasLeadingZero(s: string): boolean {
  return LEADING_ZERO.test(s) && /^[0-9]+(?:\.[0-9]+)?$/.test(s);
}

/** Number of digits after the dot. */
export function fractionDigits(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function intPart(s: string): string {
  const dot = s.indexOf('.');
  let i = 0;
  const end = dot < 0 ? s.length : dot;
  while (i < end - 1 && s.charCodeAt(i) === 48) i++;
  return s.slice(i, end);
}

function fracPart(s: string): string {
  const dot = s.indexOf('.');
  return dot < 0 ? '' : s.slice(dot + 1);
}

/** Compare two decimal texts by value: -1, 0 or 1. "1.10" equals "1.1". */
export function compareDecimal(a: string, b: string): number {
  if (a === b) return 0;
  const ia = intPart(a);
  const ib = intPart(b);
  if (ia.length !== ib.length) return ia.length < ib.length ? -1 : 1;
  if (ia !== ib) return ia < ib ? -1 : 1;
  let fa = fracPart(a);
  let fb = fracPart(b);
  if (fa.length < fb.length) fa = fa.padEnd(fb.length, '0');
  else if (fb.length < fa.length) fb = fb.padEnd(fa.length, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

export function maxDecimal(a: string, b: string): string {
  return compareDecimal(a, b) >= 0 ? a : b;
}

export function minDecimal(a: string, b: string): string {
  return compareDecimal(a, b) <= 0 ? a : b;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const FAST_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Exact running sum of decimal texts. The result keeps the largest number of fraction digits
 * seen, so summing Binance's 8-digit volumes gives 8-digit text back.
 */
export class DecimalSum {
  private whole = 0;
  private frac = 0; // integer count of 10^-scale units
  private scale = 0;
  private big: { whole: bigint; frac: bigint } | undefined;

  add(s: string): this {
    const dot = s.indexOf('.');
    const w = dot < 0 ? s : s.slice(0, dot);
    const f = dot < 0 ? '' : s.slice(dot + 1);
    if (f.length > this.scale) this.rescale(f.length);
    if (this.big === undefined && w.length <= 15 && this.scale <= 15) {
      const fv = f.length === 0 ? 0 : Number(f) * POW10[this.scale - f.length];
      const nw = this.whole + Number(w);
      const nf = this.frac + fv;
      if (nw <= FAST_MAX && nf <= FAST_MAX) {
        this.whole = nw;
        this.frac = nf;
        return this;
      }
    }
    this.toBig();
    const b = this.big!;
    b.whole += BigInt(w);
    if (f.length > 0) b.frac += BigInt(f) * 10n ** BigInt(this.scale - f.length);
    return this;
  }

  private rescale(scale: number): void {
    if (this.big === undefined && scale <= 15 && this.frac * POW10[scale - this.scale] <= FAST_MAX) {
      this.frac *= POW10[scale - this.scale];
    } else {
      this.toBig();
      this.big!.frac *= 10n ** BigInt(scale - this.scale);
    }
    this.scale = scale;
  }

  private toBig(): void {
    if (this.big === undefined) this.big = { whole: BigInt(this.whole), frac: BigInt(this.frac) };
  }

  /** The exact sum as decimal text with `minScale` or more fraction digits. */
  toString(minScale = 0): string {
    if (minScale > this.scale) this.rescale(minScale);
    let whole: bigint;
    let frac: bigint;
    if (this.big === undefined) {
      const unit = POW10[this.scale];
      const carry = Math.floor(this.frac / unit);
      if (this.whole + carry <= FAST_MAX) {
        const fracText = this.scale === 0 ? '' : String(this.frac - carry * unit).padStart(this.scale, '0');
        return this.scale === 0 ? String(this.whole + carry) : `${this.whole + carry}.${fracText}`;
      }
      whole = BigInt(this.whole);
      frac = BigInt(this.frac);
    } else {
      whole = this.big.whole;
      frac = this.big.frac;
    }
    const unit = 10n ** BigInt(this.scale);
    whole += frac / unit;
    frac %= unit;
    return this.scale === 0 ? whole.toString() : `${whole}.${frac.toString().padStart(this.scale, '0')}`;
  }
}

/** Exact sum of decimal texts (see DecimalSum). */
export function sumDecimals(values: readonly string[], minScale = 0): string {
  const s = new DecimalSum();
  for (const v of values) s.add(v);
  return s.toString(minScale);
}

/** The same value written with exactly `digits` fraction digits; throws if that would round. */
export function withFractionDigits(s: string, digits: number): string {
  const w = intPart(s);
  let f = fracPart(s);
  if (f.length > digits) {
    if (!/^0*$/.test(f.slice(digits))) throw new RangeError(`${s} has more than ${digits} significant fraction digits`);
    f = f.slice(0, digits);
  }
  f = f.padEnd(digits, '0');
  return digits === 0 ? w : `${w}.${f}`;
}
