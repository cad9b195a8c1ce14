/**
 * The SQLite adapter's bulk upsert (one market's batch, BULK_ROWS rows per statement) must give
 * exactly what the row-by-row upsert gives: stored rows, `written`, provenance and the resample
 * log, including batches that are partly stored already, bad rows and failures mid-batch.
 */
import { StoreUnavailableError } from '../../../core/errors';
import type { Kline } from '../../../core/kline';
import { BULK_ROWS, SqliteKlineStore } from '../../../core/store/sqlite';
import { makeSeries, MINUTE, T0 } from './fixtures';

const ALL = { marketType: 'spot' as const, interval: '1m' as const, from: 0, to: Number.MAX_SAFE_INTEGER };

async function freshStore(): Promise<SqliteKlineStore> {
  const store = new SqliteKlineStore(':memory:');
  await store.applySchema();
  return store;
}

function db(store: SqliteKlineStore): { exec(sql: string): void; prepare(sql: string): { all(): unknown[] } } {
  return (store as unknown as { db: { exec(sql: string): void; prepare(sql: string): { all(): unknown[] } } }).db;
}

/** Each batch written as one upsert, and the same batches cut into pieces too small for the bulk path. */
async function bothWays(batches: Kline[][]): Promise<{ bulk: unknown; perRow: unknown }> {
  const outcome = async (split: boolean) => {
    const store = await freshStore();
    const written: number[] = [];
    const logged: unknown[] = [];
    for (const batch of batches) {
      let n = 0;
      const pieces = split ? Array.from({ length: Math.ceil(batch.length / (BULK_ROWS - 1)) }, (_, i) => batch.slice(i * (BULK_ROWS - 1), (i + 1) * (BULK_ROWS - 1))) : [batch];
      for (const piece of pieces) n += (await store.upsert('1m', piece)).written;
      written.push(n);
      // The minutes logged for this batch, as one list of open times (pieces log separately).
      const minutes: number[] = [];
      for (const e of await store.readResampleLog(1000)) for (const r of e.runs) for (let t = r.from; t < r.to; t += MINUTE) minutes.push(t);
      logged.push(minutes);
      await store.settleResampleLog((await store.readResampleLog(1000)).map((e) => e.id), []);
    }
    const rows = await store.read(ALL);
    await store.close();
    return { written, logged, rows };
  };
  return { bulk: await outcome(false), perRow: await outcome(true) };
}

const dump = (klines: Kline[]): Kline[] => klines.map((k) => ({ ...k, source: 'dump' as const }));

describe('SQLite bulk upsert', () => {
  it('writes a one-market batch in full, logs it as one run, and a repeat changes nothing', async () => {
    const store = await freshStore();
    const batch = dump(makeSeries(['BTCUSDT'], T0, 3 * BULK_ROWS + 5));

    expect(await store.upsert('1m', batch)).toStrictEqual({ written: batch.length, failures: [] });
    expect(await store.upsert('1m', batch)).toStrictEqual({ written: 0, failures: [] });

    expect(await store.read(ALL)).toStrictEqual(batch);
    expect((await store.readResampleLog(10)).map((e) => e.runs)).toStrictEqual([[{ marketType: 'spot', symbol: 'BTCUSDT', from: T0, to: T0 + batch.length * MINUTE }]]);
    await store.close();
  });

  it('gives what the row-by-row upsert gives when part of the batch is stored already, differing or equal', async () => {
    const series = makeSeries(['BTCUSDT'], T0, 4 * BULK_ROWS);
    // Stream klines (no source) in the middle, one of them with another volume; then the dump over all of it.
    const stream = series.slice(BULK_ROWS, 2 * BULK_ROWS).map((k, i) => (i === 3 ? { ...k, volume: '1.00000000' } : { ...k }));
    const { bulk, perRow } = await bothWays([stream, dump(series), dump(series), series]);

    expect(bulk).toStrictEqual(perRow);
    const { written, logged } = bulk as { written: number[]; logged: number[][] };
    // The dump replaces the stream rows (its source differs, as the row-by-row upsert does), then is a no-op.
    expect(written).toStrictEqual([BULK_ROWS, 4 * BULK_ROWS, 0, 4 * BULK_ROWS]);
    expect(logged[2]).toStrictEqual([]);
  });

  it('logs only the minutes that changed when some of the range is stored as is', async () => {
    const store = await freshStore();
    const series = dump(makeSeries(['BTCUSDT'], T0, 2 * BULK_ROWS));
    await store.upsert('1m', series.slice(10, 20));
    await store.settleResampleLog((await store.readResampleLog(10)).map((e) => e.id), []);

    expect((await store.upsert('1m', series)).written).toBe(series.length - 10);

    expect((await store.readResampleLog(10)).map((e) => e.runs)).toStrictEqual([
      [
        { marketType: 'spot', symbol: 'BTCUSDT', from: T0, to: T0 + 10 * MINUTE },
        { marketType: 'spot', symbol: 'BTCUSDT', from: T0 + 20 * MINUTE, to: T0 + series.length * MINUTE },
      ],
    ]);
    expect(await store.read(ALL)).toStrictEqual(series);
    await store.close();
  });

  it('refuses a bad row by index and writes the rest', async () => {
    const store = await freshStore();
    const batch = dump(makeSeries(['BTCUSDT'], T0, 2 * BULK_ROWS));
    batch[70] = { ...batch[70], high: '1.00000000' };

    const result = await store.upsert('1m', batch);

    expect(result.written).toBe(batch.length - 1);
    expect(result.failures).toStrictEqual([{ index: 70, reason: expect.stringMatching(/high/) }]);
    expect((await store.read(ALL)).map((k) => k.openTime)).toStrictEqual(batch.filter((_, i) => i !== 70).map((k) => k.openTime));
    await store.close();
  });

  it('takes the bulk path only for one market and one source, and still writes mixed batches right', async () => {
    const a = makeSeries(['A'], T0, BULK_ROWS);
    const mixed = [...dump(a.slice(0, 40)), ...a.slice(40), ...dump(makeSeries(['B'], T0, BULK_ROWS))];
    const { bulk, perRow } = await bothWays([mixed, dump(mixed)]);

    expect(bulk).toStrictEqual(perRow);
    expect((bulk as { written: number[] }).written).toStrictEqual([2 * BULK_ROWS, BULK_ROWS - 40]);
  });

  it('stores nothing and logs nothing when SQLite fails in the middle of a bulk batch', async () => {
    const store = await freshStore();
    const batch = dump(makeSeries(['BTCUSDT'], T0, 3 * BULK_ROWS));
    db(store).exec(`CREATE TRIGGER boom BEFORE INSERT ON klines_1m WHEN NEW.open_time = ${batch[150].openTime} BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);

    await expect(store.upsert('1m', batch)).rejects.toThrow(StoreUnavailableError);
    await expect(store.upsert('1m', batch)).rejects.toThrow(/disk on fire/);

    expect(await store.read(ALL)).toStrictEqual([]);
    expect(await store.readResampleLog(10)).toStrictEqual([]);
    await store.close();
  });

  it('bulk-writes resampled bars with their source counts', async () => {
    const store = await freshStore();
    const bars = makeSeries(['BTCUSDT'], T0, BULK_ROWS + 3, '5m').map((k, i) => ({ ...k, sourceCount: 1 + (i % 5) }));

    expect((await store.upsert('5m', bars)).written).toBe(bars.length);
    expect((await store.upsert('5m', bars)).written).toBe(0);

    expect(await store.read({ ...ALL, interval: '5m' })).toStrictEqual(bars);
    await store.close();
  });
});
