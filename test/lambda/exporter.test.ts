/**
 * The exporter handler against moto_server's S3 (a real S3 API): objects written under the hive
 * keys the Glue table projects, read back by pyarrow and DuckDB (hive partitions) equal to the
 * store, field by field; re-runs skip complete objects; `overwrite` replaces them; a missing
 * bucket fails the run and leaves no scratch file.
 */
import './quiet';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { unscaledDecimal } from '../../core/export/parquet';
import { dayStart } from '../../core/export/to-bucket';
import type { Kline } from '../../core/kline';
import type { MarketType } from '../../core/market';
import { resample } from '../../core/resample';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { handler } from '../../lambda/exporter';
import { setStoreForTests } from '../../lambda/shared/store';
import { toolMissing } from '../lib/tools';
import { generateTape, klinesFromTape } from '../fixtures/trades';
import { lambdaContext } from './helpers';
import { startMoto, type MotoServer } from './moto-s3';

const MIN = 60_000;
const DAY = '2026-11-30';
const START = dayStart(DAY);
const BUCKET = 'kline-export-test';

/** 1m klines from an hour before the day to an hour after it, so the day's edges are tested. */
function minutes(marketType: MarketType, symbol: string, seed: number, price: bigint): Kline[] {
  const from = START - 60 * MIN;
  const count = 24 * 60 + 120;
  const tape = generateTape({ seed, start: from, minutes: count, initialPrice: price, quietChance: 0.2 });
  return klinesFromTape(tape, symbol, '1m', MIN, from, count, price).map((k) => ({ ...k, marketType }));
}

/** A kline as every reader must give it back: DECIMAL(38,8) text, ms times, counts. */
function row(k: Kline) {
  const d = (s: string) => {
    const u = unscaledDecimal(s).toString().padStart(9, '0');
    return `${u.slice(0, -8)}.${u.slice(-8)}`;
  };
  return [k.symbol, k.openTime, d(k.open), d(k.high), d(k.low), d(k.close), d(k.volume), k.closeTime, d(k.quoteVolume), k.trades, d(k.takerBuyBaseVolume), d(k.takerBuyQuoteVolume), k.sourceCount ?? null];
}

/** Every file under `root` through DuckDB's hive partitioning, and each file through pyarrow. */
const PY_READ = String.raw`
import json, sys, glob, os
root = sys.argv[1]
f = lambda d: format(d, 'f')
import duckdb
q = duckdb.sql(f"""select market_type, interval, date::varchar, symbol, epoch_ms(open_time), open::varchar, high::varchar, low::varchar, close::varchar,
  volume::varchar, epoch_ms(close_time), quote_volume::varchar, count, taker_buy_volume::varchar, taker_buy_quote_volume::varchar, source_count
  from read_parquet('{root}/**/*.parquet', hive_partitioning=true) order by market_type, interval, symbol, open_time""")
out = {'duckdb': [list(r) for r in q.fetchall()], 'pyarrow': {}}
import pyarrow.parquet as pq
for path in sorted(glob.glob(f'{root}/**/*.parquet', recursive=True)):
    rows = []
    for r in pq.read_table(path).to_pylist():
        rows.append([r['symbol'], int(r['open_time'].timestamp() * 1000), f(r['open']), f(r['high']), f(r['low']), f(r['close']), f(r['volume']),
                     int(r['close_time'].timestamp() * 1000), f(r['quote_volume']), r['count'], f(r['taker_buy_volume']), f(r['taker_buy_quote_volume']), r['source_count']])
    out['pyarrow'][os.path.relpath(path, root)] = rows
print(json.dumps(out))
`;

const motoMissing = toolMissing('moto_server', 'pip install "moto[server]"');
const python = spawnSync('python3', ['-c', 'import pyarrow, duckdb'], { encoding: 'utf8' });
const readersMissing = python.status === 0 ? undefined : `python3 with pyarrow and duckdb (pip install pyarrow duckdb): ${python.stderr?.trim().split('\n').pop() ?? python.error?.message}`;
if (readersMissing && process.env.REQUIRE_AWS_TOOLS === '1') throw new Error(readersMissing);

describe('exporter handler on moto_server S3', () => {
  if (motoMissing || readersMissing) {
    it.todo(`skipped: ${motoMissing ?? readersMissing}`);
    return;
  }

  let moto: MotoServer;
  let s3: S3Client;
  let store: SqliteKlineStore;
  let scratch: string;
  let stored: Record<string, Kline[]>;
  const saved = { ...process.env };

  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'eu-west-1',
      EXPORT_BUCKET: BUCKET,
      EXPORT_PREFIX: 'klines/',
      EXPORT_MARKET_TYPES: 'spot,usdm,coinm',
      EXPORT_INTERVALS: '1m,5m',
      EXPORT_MARKETS_PER_BATCH: '1', // several row groups per file
      EXPORT_STOP_MARGIN_SECONDS: '20', // lambdaContext has 60 s left
    });
    s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'eu-west-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));

    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    // BTCUSDT in spot and in USDⓈ-M with different prices: the two must never mix.
    const ones = [minutes('spot', 'AAAUSDT', 1, 123_456_789n), minutes('spot', 'BTCUSDT', 2, 9_600_012_345_678n), minutes('usdm', 'BTCUSDT', 3, 9_590_000_000_000n)];
    for (const series of ones) {
      await store.upsert('1m', series);
      await store.upsert('5m', resample(series, '5m'));
    }
    setStoreForTests(store);
    scratch = mkdtempSync(join(tmpdir(), 'exporter-scratch-'));
    process.env.TMPDIR = scratch;
  }, 120_000);

  afterAll(async () => {
    setStoreForTests(undefined);
    await store?.close();
    await moto?.stop();
    process.env = saved;
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  /** What the store holds for the day, per hive key. */
  async function storeByKey(): Promise<Record<string, Kline[]>> {
    const out: Record<string, Kline[]> = {};
    for (const marketType of ['spot', 'usdm'] as const) {
      for (const interval of ['1m', '5m'] as const) {
        const klines = await store.read({ marketType, interval, from: START, to: START + 1440 * MIN });
        out[`klines/market_type=${marketType}/interval=${interval}/date=${DAY}/klines.parquet`] = klines;
      }
    }
    return out;
  }

  async function keys(): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  }

  /** Download every object to a folder (same keys) and read it with DuckDB and pyarrow. */
  async function readBack(): Promise<{ duckdb: unknown[][]; pyarrow: Record<string, unknown[][]> }> {
    const root = mkdtempSync(join(tmpdir(), 'exporter-readback-'));
    try {
      for (const key of await keys()) {
        const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        mkdirSync(dirname(join(root, key)), { recursive: true });
        writeFileSync(join(root, key), await got.Body!.transformToByteArray());
      }
      return JSON.parse(execFileSync('python3', ['-c', PY_READ, root], { encoding: 'utf8', maxBuffer: 256 << 20 }));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  it('writes one object per market type, interval and day, equal to the store in pyarrow and DuckDB', async () => {
    // Act
    const response = await handler({ date: DAY }, lambdaContext);

    // Assess: coinm has no kline, so no object; every other key written once.
    stored = await storeByKey();
    expect(response).toMatchObject({ mode: 'on-demand', bucket: BUCKET, days: [DAY], skipped: 0, empty: 2, complete: true });
    expect(response.written.map((w) => w.key).sort()).toEqual(Object.keys(stored).sort());
    expect(await keys()).toEqual(Object.keys(stored).sort());
    for (const w of response.written) expect(w.klines).toBe(stored[w.key].length);
    expect(stored[`klines/market_type=spot/interval=1m/date=${DAY}/klines.parquet`]).toHaveLength(2 * 1440);

    const back = await readBack();
    for (const [key, klines] of Object.entries(stored)) expect([key, back.pyarrow[key]]).toEqual([key, klines.map(row)]);
    const hive = Object.entries(stored)
      .flatMap(([key, klines]) => {
        const [, marketType, interval] = /market_type=(\w+)\/interval=(\w+)/.exec(key)!;
        return klines.map((k) => [marketType, interval, DAY, ...row(k)]);
      })
      .sort((a, b) => String(a.slice(0, 4)).localeCompare(String(b.slice(0, 4))) || (a[4] as number) - (b[4] as number));
    expect(back.duckdb).toEqual(hive);
    expect(readdirSync(scratch)).toEqual([]);
  }, 180_000);

  it('skips complete objects on a re-run, and replaces them with "overwrite": true', async () => {
    // Prepare: a late correction of one stored minute after the day was exported.
    const key = `klines/market_type=spot/interval=1m/date=${DAY}/klines.parquet`;
    const before = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const corrected = { ...stored[key][100], close: '777.12345678', high: '99999999.00000000' };
    await store.upsert('1m', [corrected]);

    // Act: a retry of the same day
    const again = await handler({ date: DAY }, lambdaContext);

    // Assess: nothing rewritten, the object is the first one
    expect(again).toMatchObject({ written: [], skipped: 4, empty: 2, complete: true });
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag).toBe(before.ETag);
    expect((await readBack()).pyarrow[key][100]).toEqual(row(stored[key][100]));

    // Act: forced
    const forced = await handler({ date: DAY, overwrite: true }, lambdaContext);

    // Assess: every object rewritten from the store as it is now
    expect(forced.written).toHaveLength(4);
    const now = await storeByKey();
    expect(now[key][100].close).toBe('777.12345678');
    const back = await readBack();
    for (const [k, klines] of Object.entries(now)) expect([k, back.pyarrow[k]]).toEqual([k, klines.map(row)]);
  }, 180_000);

  it('exports the last three UTC days on a scheduled event, skipping what is complete', async () => {
    // Prepare: the schedule fires at 00:45 UTC the day after
    const spy = jest.spyOn(Date, 'now').mockReturnValue(START + 1440 * MIN + 45 * MIN);
    try {
      const scheduled = { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-12-01T00:45:00Z', detail: {} };
      // Act
      const response = await handler(scheduled, lambdaContext);
      // Assess: the 30th is complete; the 29th holds the hour before the 30th (both market types); the 28th nothing
      expect(response).toMatchObject({ mode: 'scheduled', days: ['2026-11-28', '2026-11-29', DAY], skipped: 4, empty: 6 + 2 + 2, complete: true });
      expect(response.written).toEqual(
        (['spot', 'usdm'] as const).flatMap((mt) => [
          { key: `klines/market_type=${mt}/interval=1m/date=2026-11-29/klines.parquet`, klines: (mt === 'spot' ? 2 : 1) * 60 },
          { key: `klines/market_type=${mt}/interval=5m/date=2026-11-29/klines.parquet`, klines: (mt === 'spot' ? 2 : 1) * 12 },
        ]),
      );
    } finally {
      spy.mockRestore();
    }
  }, 120_000);

  it('stops starting files when the invocation is nearly out of time, saying it is incomplete', async () => {
    const context = { ...lambdaContext, getRemainingTimeInMillis: () => 10_000 };
    const response = await handler({ date: DAY, overwrite: true }, context);
    expect(response).toMatchObject({ complete: false, written: [], skipped: 0 });
  }, 60_000);

  it('fails on a bucket that does not exist, leaving no scratch file', async () => {
    process.env.EXPORT_BUCKET = 'no-such-bucket-here';
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the SDK's note on the failed streaming PUT
    try {
      await expect(handler({ date: DAY }, lambdaContext)).rejects.toThrow(/NoSuchBucket|does not exist/);
    } finally {
      process.env.EXPORT_BUCKET = BUCKET;
      warn.mockRestore();
    }
    expect(readdirSync(scratch)).toEqual([]);
  }, 60_000);

  it('refuses a day that has not ended and a malformed date, naming the field', async () => {
    await expect(handler({ date: '2099-01-01' }, lambdaContext)).rejects.toThrow(/2099-01-01 has not ended yet/);
    await expect(handler({ date: '2026-02-30' }, lambdaContext)).rejects.toThrow(/"date" must be a UTC day YYYY-MM-DD/);
  });
});
