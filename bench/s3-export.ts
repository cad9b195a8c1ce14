/**
 * `s3-export`: the exporter Lambda's work for one day, end to end on this machine: `markets` spot
 * markets' 1m klines and 5m bars in a SQLite store, exported by core/export/to-bucket.ts through
 * the S3 adapter (lambda/shared/s3-bucket.ts) into moto_server's S3 for 1m, 5m, 1h and 1d (1h and
 * 1d resampled on the way from 5m, as when the resampler has not built them). Reports CPU seconds
 * of the exporting process (store reads, Parquet encoding, upload), peak RSS, and the bytes per
 * kline of each object, from which the bucket's growth per day is extrapolated.
 *
 *   npm run bench -- --only s3-export
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { storeSource } from '../core/export/store-source';
import { exportToBucket } from '../core/export/to-bucket';
import { resample } from '../core/resample';
import { SqliteKlineStore } from '../core/store/sqlite';
import { s3Bucket } from '../lambda/shared/s3-bucket';
import { startMoto } from '../test/lambda/moto-s3';
import { generateMarketDay } from './resample';
import { num, type Table } from './table';

const DAY = '2025-01-15';
const BUCKET = 'bench-export';
/** Markets trading at once across the three market types (docs/deploy.md's assumption). */
const ALL_MARKETS = 2610;

export interface S3ExportFigures {
  markets: number;
  load: string;
  cpuSeconds: number;
  wallSeconds: number;
  peakRssMiB: number;
  objects: { key: string; klines: number; bytes: number }[];
}

export async function benchS3Export(markets: number): Promise<S3ExportFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-s3-export-'));
  const moto = await startMoto();
  const store = new SqliteKlineStore(join(dir, 'klines.db'));
  try {
    await store.applySchema();
    for (let m = 0; m < markets; m++) {
      const day = generateMarketDay(m);
      await store.upsert('1m', day);
      await store.upsert('5m', resample(day, '5m'));
    }
    Object.assign(process.env, { AWS_ENDPOINT_URL_S3: moto.endpoint, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'eu-west-1' });
    const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const load = loadavg()[0].toFixed(1);
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();
    const result = await exportToBucket(storeSource(store), s3Bucket(BUCKET), {
      days: [DAY],
      marketTypes: ['spot'],
      intervals: ['1m', '5m', '1h', '1d'],
      prefix: 'klines/',
      workDir: dir,
      marketsPerBatch: 100,
    });
    const used = process.cpuUsage(cpu0);
    const wallSeconds = Number(process.hrtime.bigint() - wall0) / 1e9;
    clearInterval(sampler);
    const objects = [];
    for (const w of result.written) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: w.key }));
      objects.push({ key: w.key, klines: w.klines, bytes: head.ContentLength ?? NaN });
    }
    return { markets, load, cpuSeconds: (used.user + used.system) / 1e6, wallSeconds, peakRssMiB: peakRss / 2 ** 20, objects };
  } finally {
    await store.close();
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function s3ExportTable(f: S3ExportFigures): Table {
  const klines = f.objects.reduce((s, o) => s + o.klines, 0);
  const bytes = f.objects.reduce((s, o) => s + o.bytes, 0);
  const perDayAll = (bytes / f.markets) * ALL_MARKETS;
  return {
    title: `s3-export: one day of ${num(f.markets)} spot markets to moto_server S3 (1m, 5m stored; 1h, 1d resampled from 5m)`,
    headers: ['object', 'klines', 'bytes', 'B/kline'],
    align: ['left', 'right', 'right', 'right'],
    rows: f.objects.map((o) => [o.key.replace(/^klines\/market_type=spot\//, ''), num(o.klines), num(o.bytes), (o.bytes / o.klines).toFixed(1)]),
    notes: [
      `whole run: ${num(klines)} klines in ${f.cpuSeconds.toFixed(2)} CPU s (${num(Math.round(klines / f.cpuSeconds))} klines per CPU-second: store reads, Parquet, upload), ` +
        `${f.wallSeconds.toFixed(1)} s wall at load ${f.load} (2 cores), peak RSS ${Math.round(f.peakRssMiB)} MiB`,
      `extrapolated to ${num(ALL_MARKETS)} markets: ${(perDayAll / 2 ** 20).toFixed(0)} MiB a day in S3 (${((perDayAll * 365) / 2 ** 30).toFixed(0)} GiB a year), ` +
        `${((f.cpuSeconds / f.markets) * ALL_MARKETS).toFixed(0)} CPU s a day; synthetic prices compress worse or better than real ones, so treat bytes as ±50 %`,
    ],
  };
}
