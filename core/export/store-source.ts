import type { KlineStore } from '../store/port';
import type { ExportSource } from './run';

/** A store that builds Binance CSV rows itself (the SQLite store); found by shape, so the MongoDB bundles never load SQLite. */
type CsvRowsStore = KlineStore & Required<Pick<ExportSource, 'binanceCsvRows'>>;

function buildsCsvRows(store: KlineStore): store is CsvRowsStore {
  return typeof (store as Partial<CsvRowsStore>).binanceCsvRows === 'function';
}

/** The export's view of a store (the CLI's `export` and the exporter Lambda). */
export function storeSource(store: KlineStore): ExportSource {
  return {
    async symbols(marketType, interval, range) {
      return [...(await store.countByMarket(marketType, interval, range)).keys()].sort();
    },
    async read(marketType, interval, symbols, range) {
      return store.read({ marketType, interval, symbols, from: range.from, to: range.to });
    },
    binanceCsvRows: buildsCsvRows(store) ? (marketType, interval, symbol, range) => store.binanceCsvRows(marketType, interval, symbol, range) : undefined,
  };
}
