/**
 * End to end, the exporter as it deploys: the bundle `cdk synth` stages for the daily S3 export
 * (with the parquet-wasm WebAssembly module that `copyFiles` puts beside index.js), loaded in its
 * own `node` process the way the Lambda runtime loads it, with the function's environment from
 * the template. It reads the MongoDB URI from moto's Secrets Manager (then opens a SQLite store
 * through `KLINE_STORE=sqlite:`, see lambda/shared/store.ts), writes to moto's S3, and the
 * object read back with pyarrow equals the store, field by field.
 * test/lambda/exporter.test.ts covers the handler's rules from source; this proves the artifact.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unscaledDecimal } from '../../core/export/parquet';
import { dayStart } from '../../core/export/to-bucket';
import type { Kline } from '../../core/kline';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { generateTape, klinesFromTape } from '../fixtures/trades';
import { toolMissing } from '../lib/tools';
import { resolveRefs, synthesize, type SynthFunction, type Synthesized } from './aws/artifacts';
import { startLambdaContainer, type LambdaContainer } from './aws/lambda-runtime';
import { MOTO_REGION, startMotoServer, type MotoServer } from './aws/moto-server';

const MIN = 60_000;
const DAY = '2026-11-30';
const START = dayStart(DAY);
const BUCKET = 'kline-capture-exports';
const MONGO_URI = 'mongodb+srv://capture:not-a-real-password@cluster0.example.mongodb.net/?retryWrites=true';
const WASM = 'parquet_wasm_bg.wasm';

const motoMissing = toolMissing('moto_server', 'pip install "moto[server]>=5"');
const python = spawnSync('python3', ['-c', 'import pyarrow'], { encoding: 'utf8' });
const pyarrowMissing = python.status === 0 ? undefined : `python3 with pyarrow (pip install pyarrow): ${python.stderr?.trim().split('\n').pop() ?? python.error?.message}`;
if (pyarrowMissing && process.env.REQUIRE_AWS_TOOLS === '1') throw new Error(pyarrowMissing);

/** A file's rows as pyarrow gives them: decimals as text, timestamps as ms. */
const PY_READ = String.raw`
import json, sys
import pyarrow.parquet as pq
f = lambda d: format(d, 'f')
rows = [[r['symbol'], int(r['open_time'].timestamp() * 1000), f(r['open']), f(r['high']), f(r['low']), f(r['close']), f(r['volume']),
         int(r['close_time'].timestamp() * 1000), f(r['quote_volume']), r['count'], f(r['taker_buy_volume']), f(r['taker_buy_quote_volume']), r['source_count']]
        for r in pq.read_table(sys.argv[1]).to_pylist()]
print(json.dumps(rows))
`;

/** A kline as pyarrow must give it back: DECIMAL(38,8) text, ms times, counts. */
function row(k: Kline) {
  const d = (s: string) => {
    const u = unscaledDecimal(s).toString().padStart(9, '0');
    return `${u.slice(0, -8)}.${u.slice(-8)}`;
  };
  return [k.symbol, k.openTime, d(k.open), d(k.high), d(k.low), d(k.close), d(k.volume), k.closeTime, d(k.quoteVolume), k.trades, d(k.takerBuyBaseVolume), d(k.takerBuyQuoteVolume), k.sourceCount ?? null];
}

/** The day's 1m klines of one spot market, with an hour either side so the day's edges count. */
function minutes(symbol: string, seed: number, price: bigint): Kline[] {
  const from = START - 60 * MIN;
  const count = 24 * 60 + 120;
  const tape = generateTape({ seed, start: from, minutes: count, initialPrice: price, quietChance: 0.2 });
  return klinesFromTape(tape, symbol, '1m', MIN, from, count, price).map((k) => ({ ...k, marketType: 'spot' as const }));
}

/** The exporter: the one function whose environment names the export bucket. */
function exporterOf(synth: Synthesized): SynthFunction {
  const found = synth.functions.filter((f) => 'EXPORT_BUCKET' in f.environment);
  if (found.length !== 1) throw new Error(`expected one exporter function, found ${found.map((f) => f.logicalId).join(', ') || 'none'}`);
  return found[0];
}

describe('the exporter bundle against moto_server (S3, Secrets Manager)', () => {
  if (motoMissing || pyarrowMissing) {
    it.todo(`skipped: ${motoMissing ?? pyarrowMissing}`);
    return;
  }
  let work: string;
  let synth: Synthesized;
  let moto: MotoServer;
  let container: LambdaContainer | undefined;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-moto-exporter-'));
    // One synth with the export on (the default): NodejsFunction's local esbuild and its copyFiles.
    synth = synthesize(path.join(work, 'cdk.out'), { reportSender: 'reports@example.com', reportRecipients: ['ops@example.org'], s3Export: true });
    moto = await startMotoServer();
  }, 300_000);

  afterAll(async () => {
    await container?.close();
    await moto?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('stages the Parquet writer’s WebAssembly module beside the bundle', () => {
    const exporter = exporterOf(synth);
    expect(fs.readdirSync(path.dirname(exporter.file)).sort()).toEqual(expect.arrayContaining(['index.js', WASM]));
  });

  it('writes the day as Parquet to S3, read back by pyarrow equal to the store', async () => {
    // Prepare: the store, the secret and the bucket the stack would have.
    const storeFile = path.join(work, 'store', 'klines.db');
    fs.mkdirSync(path.dirname(storeFile));
    const store = new SqliteKlineStore(storeFile);
    await store.applySchema();
    await store.upsert('1m', [...minutes('AAAUSDT', 1, 123_456_789n), ...minutes('BTCUSDT', 2, 9_600_012_345_678n)]);
    const expected = await store.read({ marketType: 'spot', interval: '1m', from: START, to: START + 1440 * MIN });
    await store.close();
    expect(expected).toHaveLength(2 * 1440);

    const clientConfig = { endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const secretArn = (await new SecretsManagerClient(clientConfig).send(new CreateSecretCommand({ Name: 'kline-capture/mongodb', SecretString: MONGO_URI }))).ARN!;
    const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: MOTO_REGION } }));

    fs.mkdirSync(path.join(work, 'tmp'));
    const exporter = exporterOf(synth);
    const ids = Object.keys(synth.template.Resources);
    const bucketId = ids.find((id) => synth.template.Resources[id].Type === 'AWS::S3::Bucket' && id.includes('Export'));
    const secretId = ids.find((id) => id.startsWith('MongoSecret'));
    const env = resolveRefs(exporter.environment, { [bucketId!]: BUCKET, [secretId!]: secretArn, 'AWS::Region': MOTO_REGION });
    expect(env).toMatchObject({ EXPORT_BUCKET: BUCKET, MONGODB_SECRET_ARN: secretArn });
    container = await startLambdaContainer(exporter.file, exporter.exportName, 'exporter', {
      ...env,
      ...moto.awsEnv,
      KLINE_STORE: `sqlite:${storeFile}`,
      EXPORT_INTERVALS: '1m',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      TMPDIR: path.join(work, 'tmp'),
    }, synth.template.Resources[exporter.logicalId].Properties.Timeout * 1000); // the function's timeout: its context's remaining time

    // Act
    const out = await container.invoke<{ complete: boolean; written: { key: string; klines: number }[] }>({ date: DAY });

    // Assess
    expect(out.error).toBeUndefined();
    const key = `klines/market_type=spot/interval=1m/date=${DAY}/klines.parquet`;
    expect(out.result).toMatchObject({ complete: true, written: [{ key, klines: expected.length }] });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([key]);
    const file = path.join(work, 'klines.parquet');
    fs.writeFileSync(file, await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
    const back = JSON.parse(execFileSync('python3', ['-c', PY_READ, file], { encoding: 'utf8', maxBuffer: 64 << 20 }));
    expect(back).toEqual(expected.map(row));
  }, 180_000);
});
