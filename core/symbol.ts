/**
 * The one rule for a market symbol, shared by the ingest (discovery), the codec, the writer and
 * both stores. Binance symbols are letters and digits (Unicode letters since 2025-12, e.g.
 * "币安人生USDT"), with '_' in futures delivery contracts (BTCUSD_250328) and '-' in a few
 * legacy names. Anything else — spaces, control characters, quotes, '!', '#', ':' (our market
 * key separator), '=', '@', invisible or bidi-control characters — is refused, so a hostile
 * listing cannot reach a store key, a stream name or a report cell.
 */

/** Longest symbol accepted (Binance's longest are ~20 characters). */
export const MAX_SYMBOL_LENGTH = 64;

// Letters (\p{L}), combining marks (\p{M}, needed by some scripts), digits (\p{N}), '_' and '-'.
const SYMBOL = /^[\p{L}\p{M}\p{N}_-]+$/u;

/** Shows a hostile value readably: escapes control, invisible and bidi characters, cuts long ones. */
export function describeSymbol(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'nothing' : typeof value;
  const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(cut).replace(/[\p{Cf}\p{Zl}\p{Zp}\u00a0]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Why `symbol` is not an acceptable market symbol, or undefined when it is. */
export function symbolProblem(symbol: unknown): string | undefined {
  if (typeof symbol !== 'string' || symbol.length === 0) return 'missing symbol';
  if (symbol.length > MAX_SYMBOL_LENGTH) return `symbol is longer than ${MAX_SYMBOL_LENGTH} characters: ${describeSymbol(symbol)}`;
  if (!SYMBOL.test(symbol)) {
    const bad = [...symbol].find((c) => !SYMBOL.test(c)) ?? '';
    return `symbol ${describeSymbol(symbol)} contains ${describeSymbol(bad)}; only letters, digits, '_' and '-' are allowed`;
  }
  return undefined;
}

export function isValidSymbol(symbol: unknown): symbol is string {
  return symbolProblem(symbol) === undefined;
}
