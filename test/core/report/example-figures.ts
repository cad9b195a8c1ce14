/**
 * A realistic day for the report: ~300 markets, most complete, a shard that lost two minutes on
 * a reconnect, a few markets with scattered gaps, one listed mid-day, one halted for hours, one
 * delisted, one expected but never captured, one with data but no status history.
 * Used by the HTML test and to render docs/report-example.png
 * (`npx tsx test/core/report/example-figures.ts /tmp/report.html`).
 */
import { writeFileSync } from 'node:fs';
import type { MarketStatusEvent } from '../../../core/market';
import type { TimeRange } from '../../../core/store/port';
import type { QualityInput } from '../../../core/quality';

const MIN = 60_000;
export const EXAMPLE_DAY: TimeRange = { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) };
const at = (h: number, m: number, s = 0): number => EXAMPLE_DAY.from + h * 3_600_000 + m * MIN + s * 1000;

const BASES = [
  'BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'ADA', 'DOGE', 'TRX', 'DOT', 'MATIC', 'LTC', 'AVAX', 'LINK', 'ATOM', 'UNI', 'ETC',
  'XLM', 'BCH', 'FIL', 'APT', 'ARB', 'OP', 'NEAR', 'ICP', 'VET', 'ALGO', 'SAND', 'MANA', 'AXS', 'EGLD', 'THETA', 'AAVE',
  'EOS', 'XTZ', 'FLOW', 'CHZ', 'GRT', 'KAVA', 'RUNE', 'ZEC', 'DASH', 'NEO', 'IOTA', 'CRV', 'SNX', 'COMP', 'MKR', 'YFI',
  'SUSHI', 'ENJ', 'BAT', 'ZIL', '1INCH', 'LRC', 'KSM', 'WAVES', 'QTUM', 'ONT', 'ICX', 'ZRX', 'STORJ', 'ANKR', 'CELO',
  'RVN', 'HBAR', 'IMX', 'GALA', 'APE', 'LDO', 'INJ', 'SUI', 'SEI', 'TIA', 'PEPE', 'WLD', 'FET', 'RNDR', 'STX',
];
const QUOTES = ['USDT', 'BTC', 'FDUSD', 'ETH'];

export function exampleSymbols(): string[] {
  const out: string[] = [];
  for (const q of QUOTES) for (const b of BASES) if (b !== q) out.push(b + q);
  return out;
}

/** Deterministic pseudo-random numbers (so the screenshot is reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function exampleInput(): QualityInput {
  const symbols = exampleSymbols();
  const history: MarketStatusEvent[] = [];
  const counts = new Map<string, number>();
  const gaps = new Map<string, TimeRange[]>();
  const dayMinutes = (EXAMPLE_DAY.to - EXAMPLE_DAY.from) / MIN;
  const random = rng(7);

  for (const symbol of symbols) history.push({ marketType: 'spot', symbol, status: 'TRADING', at: Date.UTC(2023, 10, 1) });
  const set = (symbol: string, list: TimeRange[], extra = 0): void => {
    gaps.set(symbol, list);
    const missing = list.reduce((n, g) => n + (g.to - g.from) / MIN, 0);
    counts.set(symbol, dayMinutes - missing + extra);
  };
  for (const s of symbols) set(s, []);

  // One websocket shard (every 7th market) lost 03:12–03:14 across a reconnect.
  symbols.filter((_, i) => i % 7 === 3).forEach((s) => set(s, [{ from: at(3, 12), to: at(3, 14) }]));
  // Scattered gaps in a few markets.
  for (const s of ['DOGEUSDT', 'ZILBTC', 'ENJETH', 'KAVAFDUSD', 'RVNBTC', 'GALAETH']) {
    const list: TimeRange[] = [];
    for (let k = 0; k < 2 + Math.floor(random() * 4); k++) {
      const start = at(Math.floor(random() * 23), Math.floor(random() * 50));
      list.push({ from: start, to: start + (1 + Math.floor(random() * 9)) * MIN });
    }
    list.sort((a, b) => a.from - b.from);
    set(s, list);
  }
  // A long outage on one market.
  set('LRCETH', [{ from: at(11, 40), to: at(16, 5) }]);

  // Listed mid-day: first seen TRADING 09:30:20, so expected from 09:31; captured from 09:33.
  history.push({ marketType: 'spot', symbol: 'JUPUSDT', status: 'TRADING', at: at(9, 30, 20) });
  gaps.set('JUPUSDT', [{ from: EXAMPLE_DAY.from, to: at(9, 33) }]);
  counts.set('JUPUSDT', dayMinutes - (at(9, 33) - EXAMPLE_DAY.from) / MIN);

  // Halted 14:10:30–18:00:10 (expected up to the 14:10 minute, again from 18:01); nothing stored
  // while halted, and the 18:00 minute (not expected) was stored anyway.
  history.push({ marketType: 'spot', symbol: 'WAVESUSDT', status: 'HALT', at: at(14, 10, 30) }, { marketType: 'spot', symbol: 'WAVESUSDT', status: 'TRADING', at: at(18, 0, 10) });
  set('WAVESUSDT', [{ from: at(14, 11), to: at(18, 0) }, { from: at(21, 2), to: at(21, 6) }]);

  // Delisted at 20:00 (break first, then gone); nothing afterwards.
  history.push({ marketType: 'spot', symbol: 'ONTBTC', status: 'BREAK', at: at(20, 0) }, { marketType: 'spot', symbol: 'ONTBTC', status: 'DELISTED', at: at(20, 5) });
  set('ONTBTC', [{ from: at(20, 0), to: EXAMPLE_DAY.to }]);

  // Expected all day, never captured.
  history.push({ marketType: 'spot', symbol: 'QTUMETH', status: 'TRADING', at: Date.UTC(2023, 5, 1) });
  gaps.set('QTUMETH', [EXAMPLE_DAY]);
  counts.delete('QTUMETH');

  // Loaded from a dump without status history: expected from its first kline (02:00).
  gaps.set('ÄPFELUSDT', [{ from: EXAMPLE_DAY.from, to: at(2, 0) }, { from: at(22, 30), to: at(22, 45) }]);
  counts.set('ÄPFELUSDT', dayMinutes - 120 - 15);

  return { marketType: 'spot', range: EXAMPLE_DAY, history, counts, gaps };
}

if (require.main === module) {
  // Imported lazily so jest never needs this path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { computeQuality } = require('../../../core/quality') as typeof import('../../../core/quality');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { renderQualityReport } = require('../../../core/report') as typeof import('../../../core/report');
  const report = renderQualityReport(computeQuality(exampleInput()), { generatedAt: Date.UTC(2024, 0, 2, 0, 5) });
  writeFileSync(process.argv[2] ?? '/tmp/report.html', report.html);
  process.stdout.write(`${report.summaryLine}\n${report.subject}\n`);
}
