/**
 * The market type a data.binance.vision path names: `…/spot/…` → spot, `…/futures/um/…` → usdm,
 * `…/futures/cm/…` → coinm (e.g. `data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-01.zip`).
 */
import type { MarketType } from './market';

const PATH_MARKERS: readonly [RegExp, MarketType][] = [
  [/(?:^|\/)futures\/um\//g, 'usdm'],
  [/(?:^|\/)futures\/cm\//g, 'coinm'],
  [/(?:^|\/)spot\//g, 'spot'],
];

/** The type the path's folders say (the marker nearest the file wins); undefined when none does. */
export function marketTypeOfDumpPath(path: string): MarketType | undefined {
  const normalized = path.replace(/\\/g, '/');
  let best: { at: number; type: MarketType } | undefined;
  for (const [pattern, type] of PATH_MARKERS) {
    for (const m of normalized.matchAll(pattern)) {
      if (best === undefined || m.index > best.at) best = { at: m.index, type };
    }
  }
  return best?.type;
}
