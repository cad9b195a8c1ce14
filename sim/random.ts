/**
 * Deterministic hashing and pseudo-random numbers. Everything the simulator publishes about a
 * market is a pure function of (seed, symbol, minute), built from these integer hashes, so REST
 * backfill, stream frames and `truth()` agree exactly without storing anything.
 */

// Module-local bindings: hot loops avoid a global `Math` lookup (slow inside jest's vm sandbox).
const { imul, floor } = Math;

/** 32-bit FNV-1a of a string (symbols, seed text). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3 finaliser: a good avalanche of one 32-bit value. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of up to four integers (minute indexes fit: they are split into two 32-bit halves). */
export function hash4(a: number, b: number, c: number, d = 0): number {
  let h = fmix(a ^ 0x9e3779b9);
  h = fmix(h ^ (b >>> 0));
  h = fmix(h ^ floor(b / 4294967296));
  h = fmix(h ^ (c >>> 0));
  h = fmix(h ^ floor(c / 4294967296));
  return fmix(h ^ (d >>> 0));
}

/** Uniform in [0, 1) from the same inputs as hash4. */
export function unit4(a: number, b: number, c: number, d = 0): number {
  return hash4(a, b, c, d) / 4294967296;
}

/** Seed option (number or text) as a 32-bit integer. */
export function seedToInt(seed: number | string): number {
  return typeof seed === 'number' && Number.isInteger(seed) ? seed >>> 0 : hashString(String(seed));
}

/** Small seeded PRNG (mulberry32) for decisions that need not be pure per minute (faults). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
