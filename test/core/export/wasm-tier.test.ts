/**
 * The writer's WebAssembly tiering (core/export/parquet.ts `expectParquetKlines`): a small export
 * runs the writer on V8's baseline compiler alone, a large one (and the exporter Lambda) keeps V8's
 * default; decided once, before the first file.
 */
import { BASELINE_WASM_KLINES, wasmTierFlag } from '../../../core/export/parquet';
import { parquetKlinesEstimate } from '../../../core/export/run';
import { windowScheme } from '../../../core/windows';

describe('WebAssembly tiering of the Parquet writer', () => {
  it('runs baseline code alone below the threshold, V8\'s default from it on', () => {
    expect(wasmTierFlag(525_600)).toBe('--liftoff-only');
    expect(wasmTierFlag(BASELINE_WASM_KLINES - 1)).toBe('--liftoff-only');
    expect(wasmTierFlag(BASELINE_WASM_KLINES)).toBeUndefined();
    expect(wasmTierFlag(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('estimates an export as markets × periods × windows per day', () => {
    expect(parquetKlinesEstimate(1, 365, windowScheme('1m'))).toBe(525_600); // a year of one market
    expect(parquetKlinesEstimate(2000, 1, windowScheme('1m'))).toBe(2_880_000); // a day of every spot market
    expect(wasmTierFlag(2_880_000)).toBeUndefined();
    expect(parquetKlinesEstimate(400, 1, windowScheme('1h'))).toBe(9_600);
    expect(parquetKlinesEstimate(10, 7, windowScheme('1w'))).toBe(70);
    expect(parquetKlinesEstimate(10, 7, windowScheme('1M'))).toBe(70);
  });

  function withV8Spy(run: (parquet: typeof import('../../../core/export/parquet')) => void): jest.Mock {
    const setFlagsFromString = jest.fn();
    jest.isolateModules(() => {
      jest.doMock('node:v8', () => ({ setFlagsFromString }));
      run(require('../../../core/export/parquet') as typeof import('../../../core/export/parquet'));
    });
    jest.dontMock('node:v8');
    return setFlagsFromString;
  }

  it('sets the flag once, for the first estimate only', () => {
    const small = withV8Spy((p) => {
      p.expectParquetKlines(525_600);
      p.expectParquetKlines(10);
    });
    expect(small.mock.calls).toEqual([['--liftoff-only']]);
    const large = withV8Spy((p) => {
      p.expectParquetKlines(Number.POSITIVE_INFINITY);
      p.expectParquetKlines(10);
    });
    expect(large).not.toHaveBeenCalled();
  });
});
