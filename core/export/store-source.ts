import type { KlineStore } from '../store/port';
import type { ExportSource } from './run';

/** The export's view of a store (the CLI's `export` and the exporter Lambda). */
export function storeSource(store: KlineStore): ExportSource {
  return {
    async symbols(marketType, interval, range) {
      return [...(await store.countByMarket(marketType, interval, range)).keys()].sort();
    },
    async read(marketType, interval, symbols, range) {
      return store.read({ marketType, interval, symbols, from: range.from, to: range.to });
    },
  };
}
