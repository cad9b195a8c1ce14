import type { KlineStore } from '../store/port';
import type { ExportSource } from './run';

/** A store that builds Binance CSV rows and export rows itself (the SQLite store); found by shape, so the MongoDB bundles never load SQLite. */
type CsvRowsStore = KlineStore & Required<Pick<ExportSource, 'binanceCsvRows'>>;
type ExportRowsStore = KlineStore & { exportRows: Required<ExportSource>['parquetRows'] };

function buildsCsvRows(store: KlineStore): store is CsvRowsStore {
  return typeof (store as Partial<CsvRowsStore>).binanceCsvRows === 'function';
}

function buildsExportRows(store: KlineStore): store is ExportRowsStore {
  return typeof (store as Partial<ExportRowsStore>).exportRows === 'function';
}

/** The export's view of a store (the CLI's `export` and the exporter Lambda). */
export function storeSource(store: KlineStore): ExportSource {
  return {
    async symbols(marketType, interval, range) {
      // In JavaScript's order, as the export has always sorted them (SQLite's is by UTF-8 bytes).
      return (await store.symbolsWithKlines(marketType, interval, range)).sort();
    },
    async read(marketType, interval, symbols, range) {
      return store.read({ marketType, interval, symbols, from: range.from, to: range.to });
    },
    binanceCsvRows: buildsCsvRows(store) ? (marketType, interval, symbol, range) => store.binanceCsvRows(marketType, interval, symbol, range) : undefined,
    parquetRows: buildsExportRows(store) ? (marketType, interval, symbol, range) => store.exportRows(marketType, interval, symbol, range) : undefined,
  };
}
