import type { ParseResult } from '../../core/kline';
import { compareDecimal, isDecimalText } from '../../core/decimal';
import { parseStreamKline, validateKline } from '../../core/parse';
import { classifyFrame } from '../../ingest-task/frames/closed-frame-filter';
import { parseClosingFrame } from '../../ingest-task/frames/closing-frame-parser';
import { rng } from '../fixtures/trades';

const T0 = Date.UTC(2026, 0, 5, 13, 7);

/** What the hot path did before the fast parser: JSON.parse, then parseStreamKline of a closing kline event. */
type SlowOutcome = { kind: 'not JSON' } | { kind: 'not a closing kline' } | { kind: 'parsed'; result: ParseResult; eventTime: unknown };

function slowPath(frame: string): SlowOutcome {
  let message: { data?: { e?: unknown; E?: unknown; k?: { x?: unknown } } };
  try {
    message = JSON.parse(frame) as typeof message;
  } catch {
    return { kind: 'not JSON' };
  }
  const data = message?.data;
  if (!data || typeof data !== 'object' || data.e !== 'kline' || data.k?.x !== true) return { kind: 'not a closing kline' };
  return { kind: 'parsed', result: parseStreamKline(data, 'spot'), eventTime: data.E };
}

type Member = [key: string, value: string];

/** The members of Binance's documented kline event, as raw JSON value texts. */
function canonical(symbol: string, openTime = T0, digits = 8): { data: Member[]; k: Member[] } {
  const d = (n: number): string => JSON.stringify(n.toFixed(digits));
  const s = JSON.stringify(symbol);
  return {
    data: [
      ['e', '"kline"'],
      ['E', String(openTime + 60_000 + 3)],
      ['s', s],
    ],
    k: [
      ['t', String(openTime)],
      ['T', String(openTime + 59_999)],
      ['s', s],
      ['i', '"1m"'],
      ['f', '1234567'],
      ['L', '1234600'],
      ['o', d(101.5)],
      ['c', d(101.25)],
      ['h', d(102)],
      ['l', d(100.75)],
      ['v', d(33.5)],
      ['n', '34'],
      ['x', 'true'],
      ['q', d(3401.125)],
      ['V', d(12.5)],
      ['Q', d(1270.5)],
      ['B', '"0"'],
    ],
  };
}

function render(members: Member[], ws: () => string): string {
  return `{${members.map(([key, value]) => `${ws()}${JSON.stringify(key)}${ws()}:${ws()}${value}${ws()}`).join(',')}}`;
}

function frameText(symbol: string, data: Member[], k: Member[], ws: () => string = () => ''): string {
  const dataText = render([...data, ['k', render(k, ws)]], ws);
  return `${ws()}{${ws()}"stream"${ws()}:${ws()}${JSON.stringify(`${symbol.toLowerCase()}@kline_1m`)}${ws()},${ws()}"data"${ws()}:${ws()}${dataText}${ws()}}${ws()}`;
}

const SYMBOLS = ['BTCUSDT', 'ETHBTC', '币安人生USDT', '我踏马来了USDT', '🚀MOONUSDT', 'A"B', 'BACK\\SLASH', 'TAB\tUSDT', 'NL\nUSDT', 'x', 'é\u2028USDT', '\ud800LONE'];
const WHITESPACE = ['', '', '', '', ' ', '  ', '\n', '\t', '\r\n', ' \t '];
const ODD_WHITESPACE = ['\u00a0', '\f', '\v', '\u2003', '\ufeff'];
const DECIMALS = ['0', '1', '0.00000001', '101.50000000', '1e5', '-1.5', '', '.5', '5.', '01.5', '1.50000000000000000000', '99999999999999999999.99999999'];
const INTEGERS = ['0', '-1', '1.5', '1e3', '9007199254740993', '"17"', 'null', 'true', '00', '-0', '1767571200000'];

/** One frame: Binance's layout or a variation of it (reordered, odd whitespace, wrong types, malformed …). */
function generate(random: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const symbol = pick(SYMBOLS);
  const minute = Math.floor(random() * 100_000);
  const { data, k } = canonical(symbol, T0 + minute * 60_000, 1 + Math.floor(random() * 8));
  let ws: () => string = () => '';
  const variations = Math.floor(random() * 4); // 0: Binance's layout exactly
  for (let v = 0; v < variations; v++) {
    const r = random();
    const members = random() < 0.8 ? k : data;
    const at = Math.floor(random() * members.length);
    if (r < 0.12) ws = () => pick(WHITESPACE);
    else if (r < 0.17) {
      const odd = pick(ODD_WHITESPACE);
      const base = ws;
      ws = () => (random() < 0.05 ? odd : base());
    } else if (r < 0.27) members.sort(() => random() - 0.5);
    else if (r < 0.37) members[at] = [members[at][0], JSON.stringify(pick(DECIMALS))];
    else if (r < 0.45) members[at] = [members[at][0], pick(INTEGERS)];
    else if (r < 0.5) members.splice(at, 1);
    else if (r < 0.55) members.splice(at, 0, [pick(['z', 'x', 'o', 's', 'k', 'E', '__proto__']), pick(['true', 'false', '"x"', '1', 'null', '{"x":true}', '[1]', '"\\u0078"'])]);
    else if (r < 0.6) members.push([members[at][0], members[at][1]]);
    else if (r < 0.65) k.splice(k.findIndex(([key]) => key === 'x'), 1, ['x', pick(['false', 'null', '1', '"true"', 'true'])]);
    else if (r < 0.7) data.splice(data.findIndex(([key]) => key === 's'), 1, ['s', JSON.stringify(pick(SYMBOLS))]);
    else if (r < 0.75) k.splice(k.findIndex(([key]) => key === 'i'), 1, ['i', JSON.stringify(pick(['5m', '1h', '1x', '', '3m']))]);
    else if (r < 0.8) k.splice(k.findIndex(([key]) => key === 'h'), 1, ['h', JSON.stringify(pick(['101.00000000', '100', '0.5', '1000.1']))]);
    else if (r < 0.85) {
      const field = pick(['o', 's', 'q', 'i']);
      const original = k.find(([key]) => key === field)?.[1] ?? '""';
      // The same value spelt with escapes: JSON.parse reads it identically.
      k.splice(k.findIndex(([key]) => key === field), 1, [field, original.replace(/[0-9A-Za-z]/, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)]);
    } else if (r < 0.88) k.splice(k.findIndex(([key]) => key === 't'), 1, ['t', String(T0 + minute * 60_000 + pick([1, 30_000, -60_000]))]);
    else if (r < 0.9) k.splice(k.findIndex(([key]) => key === 'T'), 1, ['T', String(T0 + minute * 60_000 + pick([59_998, 60_000, 0]))]);
  }
  let text = frameText(symbol, data, k, ws);
  const damage = random();
  if (damage < 0.04) text = text.slice(0, Math.floor(random() * text.length));
  else if (damage < 0.06) text = text.replace(/,/, ',,');
  else if (damage < 0.08) text = text.replace(/"([a-zA-Z])":/, '$1:');
  else if (damage < 0.1) text = `${text}${pick(['}', ' x', ',', '\u0000'])}`;
  else if (damage < 0.11) text = text.replace(/\}\}$/, ',}}');
  return text;
}

describe('parseClosingFrame', () => {
  it('reads a closing frame in Binance’s documented layout exactly as JSON.parse + parseStreamKline', () => {
    const text = frameText('币安人生USDT', canonical('币安人生USDT').data, canonical('币安人生USDT').k);
    const slow = slowPath(text);

    const fast = parseClosingFrame(Buffer.from(text, 'utf8'), 'spot');

    expect(slow.kind === 'parsed' && slow.result.ok).toBe(true);
    if (slow.kind !== 'parsed' || !slow.result.ok) return;
    expect(fast).toEqual({ kline: slow.result.kline, eventTime: slow.eventTime });
    expect(Object.keys(fast!.kline)).toEqual(Object.keys(slow.result.kline));
  });

  it('accepts any JSON whitespace between tokens', () => {
    const { data, k } = canonical('ETHBTC');
    const spaced = frameText('ETHBTC', data, k, () => ' \n\t\r ');
    expect(parseClosingFrame(spaced, 'spot')?.kline.symbol).toBe('ETHBTC');
  });

  it('leaves what it does not decide to the slow path: intermediate updates, control replies, reordered fields, escapes, malformed JSON', () => {
    const { data, k } = canonical('ETHBTC');
    const open = frameText('ETHBTC', data, k.map(([key, v]) => [key, key === 'x' ? 'false' : v]));
    const reordered = frameText('ETHBTC', data, [...k].reverse());
    const escaped = frameText('ETHBTC', data, k.map(([key, v]) => [key, key === 'o' ? '"101.5\\u0030"' : v]));
    for (const text of [open, reordered, escaped, '{"result":null,"id":1}', '{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}', frameText('ETHBTC', data, k).slice(0, -1), '']) {
      expect(parseClosingFrame(text, 'spot')).toBeUndefined();
    }
    // The slow path still reads the reordered and escaped frames (so nothing is lost by declining them).
    for (const text of [reordered, escaped]) {
      const slow = slowPath(text);
      expect(slow.kind === 'parsed' && slow.result.ok).toBe(true);
    }
  });

  it('declines klines that validateKline rejects, so the rejection reason still comes from core/parse', () => {
    const { data, k } = canonical('ETHBTC');
    const badHigh = frameText('ETHBTC', data, k.map(([key, v]) => [key, key === 'h' ? '"101.00000000"' : v]));
    const slow = slowPath(badHigh);
    expect(slow.kind === 'parsed' && !slow.result.ok && slow.result.reason).toContain('outside');
    expect(parseClosingFrame(badHigh, 'spot')).toBeUndefined();
  });

  it('never disagrees with JSON.parse + parseStreamKline over 20,000 generated frames (Unicode, escapes, odd whitespace, reordering, wrong types, malformed JSON)', () => {
    const random = rng(20261125);
    let accepted = 0;
    let slowAccepted = 0;
    let declinedCanonical = 0;
    for (let n = 0; n < 20_000; n++) {
      const text = generate(random);
      const slow = slowPath(text);

      const fast = parseClosingFrame(n % 2 === 0 ? text : Buffer.from(text, 'utf8'), 'spot');

      if (slow.kind === 'parsed' && slow.result.ok) slowAccepted++;
      if (fast === undefined) {
        // Declining is always safe; but a frame in Binance's exact layout (no variation) must be read fast.
        if (slow.kind === 'parsed' && slow.result.ok && /^\{"stream":"[^"\\]*","data":\{"e":"kline","E":\d+,"s":"[^"\\]*","k":\{"t":\d+,"T":\d+,"s":"[^"\\]*","i":"1m","f":\d+,"L":\d+,"o":"[\d.]+","c":"[\d.]+","h":"[\d.]+","l":"[\d.]+","v":"[\d.]+","n":\d+,"x":true,"q":"[\d.]+","V":"[\d.]+","Q":"[\d.]+","B":"0"\}\}\}$/.test(text)) {
          declinedCanonical++;
        }
        continue;
      }
      accepted++;
      if (slow.kind !== 'parsed' || !slow.result.ok) throw new Error(`fast path accepted a frame the slow path does not: ${JSON.stringify(text)} → ${JSON.stringify(slow)}`);
      expect(fast.kline).toEqual(slow.result.kline);
      expect(fast.eventTime).toBe(slow.eventTime);
      // A filter 'skip' must never hide a frame the parser would accept.
      expect(classifyFrame(text)).not.toBe('skip');
    }
    expect(declinedCanonical).toBe(0);
    // The generator must exercise both sides: many accepted, many declined.
    // (most generated symbols with odd characters break the symbol rule, core/symbol.ts, and are declined on both paths)
    expect(accepted).toBeGreaterThan(2_000);
    expect(slowAccepted - accepted).toBeGreaterThan(1_000);
  });
});

/**
 * Closing updates of the futures venues as Binance documents them (developers.binance.com,
 * "Kline/Candlestick Streams" of USDⓈ-M and COIN-M futures, read 2026-12-02), with `x` true and
 * times made consistent: the same members in the same order as spot, ending with `"B"`.
 */
const FUTURES_FRAMES = {
  usdm: '{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1638747720003,"s":"BTCUSDT","k":{"t":1638747660000,"T":1638747719999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0010","v":"1000","n":100,"x":true,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}}',
  coinm: '{"stream":"btcusd_200626@kline_1m","data":{"e":"kline","E":1591261560002,"s":"BTCUSD_200626","k":{"t":1591261500000,"T":1591261559999,"s":"BTCUSD_200626","i":"1m","f":606400,"L":606430,"o":"9638.9","c":"9639.8","h":"9639.8","l":"9638.6","v":"156","n":31,"x":true,"q":"1.61836886","V":"73","Q":"0.75731156","B":"0"}}}',
} as const;

describe('futures closing frames', () => {
  it.each(Object.entries(FUTURES_FRAMES))('reads a %s closing frame fast, equal to the slow path, carrying its market type', (marketType, text) => {
    const type = marketType as 'usdm' | 'coinm';
    const data = (JSON.parse(text) as { data: unknown }).data;
    const slow = parseStreamKline(data, type);

    const fast = parseClosingFrame(text, type);

    expect(slow.ok).toBe(true);
    if (!slow.ok) return;
    expect(fast?.kline).toEqual(slow.kline);
    expect(fast?.kline.marketType).toBe(type);
    expect(classifyFrame(text)).toBe('candidate');
    expect(classifyFrame(text.replace('"x":true', '"x":false'))).toBe('skip');
  });

  it('declines a futures frame with a member after "B" (a layout change), and the slow path still reads it with its market type', () => {
    const text = FUTURES_FRAMES.usdm.replace('"B":"123456"}', '"B":"123456","ps":"BTCUSDT"}');
    expect(parseClosingFrame(text, 'usdm')).toBeUndefined();
    expect(classifyFrame(text)).not.toBe('skip');
    const slow = parseStreamKline((JSON.parse(text) as { data: unknown }).data, 'usdm');
    expect(slow.ok && slow.kline.marketType).toBe('usdm');
  });
});

describe('validateKline’s price order checks', () => {
  it('agree with compareDecimal whether or not the prices share their shape', () => {
    const random = rng(7);
    const decimal = (): string => {
      const whole = String(Math.floor(random() * 1000)).padStart(Math.floor(random() * 4), '0');
      const frac = random() < 0.2 ? '' : `.${String(Math.floor(random() * 1e4)).padStart(1 + Math.floor(random() * 5), '0')}`;
      return `${whole}${frac}`;
    };
    for (let n = 0; n < 5_000; n++) {
      const [open, high, low, close] = [decimal(), decimal(), decimal(), decimal()];
      const kline = { marketType: 'spot' as const, symbol: 'ETHBTC', interval: '1m', openTime: T0, closeTime: T0 + 59_999, open, high, low, close, volume: '1', quoteVolume: '1', trades: 1, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0' };

      const problem = validateKline(kline);

      // leading zeros (from the padding) are not canonical decimal text: refused whatever the order
      const canonical = [open, high, low, close].every(isDecimalText);
      const sound = canonical && compareDecimal(high, low) >= 0 && [open, close].every((p) => compareDecimal(p, low) >= 0 && compareDecimal(p, high) <= 0);
      expect(problem === undefined).toBe(sound);
    }
  });
});
