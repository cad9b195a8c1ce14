/**
 * The hot path's first step: decide from the raw bytes of a combined-stream frame whether it can
 * be a closing kline update (`"x":true`), without JSON.parse. About 97 % of frames are
 * intermediate updates (`"x":false`); only the rest are parsed.
 *
 * The scan runs backwards from the end of the frame, where Binance puts the kline object, to
 * the LAST `"x"` key, and reads its value:
 *  - `true`                                   → 'candidate' (parse, and check `k.x` for real)
 *  - `false`                                  → 'skip'
 *  - a backslash met on the way, an escaped
 *    quote before the key, no x key, anything
 *    else (truncated, garbage, control reply) → 'unknown' (parse to decide)
 *
 * Why the last key is enough: JSON.parse keeps the last of duplicate keys, so an earlier `"x"`
 * of the same object cannot win; a key spelt with escapes (`"\u0078"`) after the literal one
 * would win, so any backslash after it sends the frame to the parser. A `"x":` inside a string
 * always has escaped quotes (`\"x\":`) and never matches `"x"`. What remains unchecked is an
 * `x` key of another object earlier in the frame, which Binance's kline payload does not have;
 * and even a wrong 'skip' only delays that minute: the gap detector backfills it from REST.
 */

/** 'skip': not a closing kline. 'candidate': may be one. 'unknown': not recognised, parse to decide. */
export type FrameClass = 'skip' | 'candidate' | 'unknown';

const QUOTE = 0x22;
const X = 0x78;
const COLON = 0x3a;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Classify one frame. Accepts the Buffer `ws` delivers or a string. */
export function classifyFrame(frame: Buffer | string): FrameClass {
  const b = typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame;
  // Native memrchr for the byte `x` beats a JS loop: after the key, a kline frame has only
  // digits and the keys q, V, Q, B, so the first `x` from the end is usually the key itself.
  // (UTF-8 continuation bytes are ≥ 0x80, so Unicode symbols cannot fake an `x`.)
  let from = b.length - 1;
  for (;;) {
    const x = from >= 0 ? b.lastIndexOf(X, from) : -1;
    if (x < 1) return 'unknown';
    from = x - 1;
    if (b[x - 1] !== QUOTE || b[x + 1] !== QUOTE) continue;
    if (x >= 2 && b[x - 2] === BACKSLASH) return 'unknown';
    let j = x + 2;
    while (j < b.length && isSpace(b[j])) j++;
    if (b[j] !== COLON) continue; // the string value "x", not the key
    // A backslash between the key and the end could spell a later, winning x key.
    if (b.indexOf(BACKSLASH, j) >= 0) return 'unknown';
    j++;
    while (j < b.length && isSpace(b[j])) j++;
    if (b[j] === 0x74 && b[j + 1] === 0x72 && b[j + 2] === 0x75 && b[j + 3] === 0x65) return 'candidate'; // true
    if (b[j] === 0x66 && b[j + 1] === 0x61 && b[j + 2] === 0x6c && b[j + 3] === 0x73 && b[j + 4] === 0x65) return 'skip'; // false
    return 'unknown';
  }
}
