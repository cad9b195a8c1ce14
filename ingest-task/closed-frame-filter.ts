/**
 * The hot path's first step: decide from the raw bytes of a combined-stream frame whether it can
 * be a closing kline update (`"x":true`), without JSON.parse. About 97 % of frames are
 * intermediate updates (`"x":false`); only the rest are parsed.
 *
 * The decision must never drop a closing frame (a false "skip"), while a false "candidate" only
 * costs one JSON.parse. In valid JSON the key `x` is written either literally as `"x"` or with a
 * `\u` escape; its value `true`/`false` may have whitespace around the colon. So:
 *  - any `"x"` ws* `:` ws* `true` occurrence (even inside a string)   → CANDIDATE
 *  - else at least one `"x"` ws* `:` ws* `false` and no `\u` anywhere  → SKIP
 *  - else (no x at all, escapes, truncated frame, other events)        → UNKNOWN (parse to decide)
 */

/**
 * `skip`: cannot be a closing kline. `candidate`: may be one, parse and check `k.x`.
 * `unknown`: not a recognisable kline update (control reply, serverShutdown, malformed): parse to decide.
 */
export type FrameClass = 'skip' | 'candidate' | 'unknown';

const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** True if `bytes[at..]` spells `word` (ASCII). */
function spells(bytes: Uint8Array, at: number, word: string): boolean {
  if (at + word.length > bytes.length) return false;
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word.charCodeAt(i)) return false;
  return true;
}

const X_KEY = Buffer.from('"x"');
const UNICODE_ESCAPE = Buffer.from('\\u');

/** Classify one frame. Accepts the Buffer `ws` delivers or a string. */
export function classifyFrame(frame: Buffer | string): FrameClass {
  const bytes = typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame;
  let sawFalse = false;
  let from = 0;
  for (;;) {
    const at = bytes.indexOf(X_KEY, from);
    if (at < 0) break;
    from = at + 1;
    let i = at + 3;
    while (i < bytes.length && isSpace(bytes[i])) i++;
    if (bytes[i] !== COLON) continue;
    i++;
    while (i < bytes.length && isSpace(bytes[i])) i++;
    if (spells(bytes, i, 'true')) return 'candidate';
    if (spells(bytes, i, 'false')) sawFalse = true;
  }
  if (!sawFalse) return 'unknown';
  return bytes.indexOf(UNICODE_ESCAPE) < 0 ? 'skip' : 'unknown';
}
