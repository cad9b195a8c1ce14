/**
 * The history job as the `history` image runs it: `cli.js` built with the esbuild command of
 * ingest-task/Dockerfile, copied into a directory laid out like the image's /app (no
 * node_modules anywhere above it; only data/ writable, by the unprivileged user), run with plain
 * `node` as uid 65534 when the tests run as root.
 * - The MongoDB URI comes from the Secrets Manager secret MONGODB_SECRET_ARN names (moto_server),
 *   as in the task: no MongoDB server can run here, so the bundle must load the driver, read the
 *   secret and fail on the connection with a clear message that never shows the URI.
 *   Every other command that takes a store (store, report, audit, export, import) does the same.
 * - A sqlite: store without better-sqlite3 (as in the image) fails by naming the missing module.
 * - The same bundle with better-sqlite3 resolvable (NODE_PATH) imports the simulator's dump site
 *   into SQLite, and the store equals the simulator's truth: the bundle's whole history path.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Kline } from '../../core/kline';
import { openStore } from '../../core/store/index';
import { PARQUET_WASM } from '../../lib/export-bucket';
import { REPO_ROOT } from '../../lib/paths';
import { startSimulator, type Simulator } from '../../sim';
import { toolMissing } from '../lib/tools';
import { buildImageBundle, dockerfileEsbuildArgs } from './aws/artifacts';
import { MOTO_REGION, startMotoServer, type MotoServer } from './aws/moto-server';

const skipped = toolMissing('moto_server', 'pip install "moto[server]>=5"');
const TO = Date.UTC(2026, 0, 5);
const PASSWORD = 'n0t-in-any-log';
const AS_USER: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the Dockerfile esbuild command for cli.js', () => {
  it("is the ingest's command with better-sqlite3 left out too, and the output file cli.js", () => {
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'ingest-task/Dockerfile'), 'utf8');
    const main = dockerfileEsbuildArgs(dockerfile, 'main.js');
    const cli = dockerfileEsbuildArgs(dockerfile, 'cli.js');
    const flags = (args: string[]) => args.filter((a) => a.startsWith('--') && !a.startsWith('--outfile=') && a !== '--external:better-sqlite3');
    expect(cli[0]).toBe('bin/cli.ts');
    expect(flags(cli)).toEqual(flags(main));
    expect(cli).toContain('--external:better-sqlite3');
    expect(cli).toContain('--outfile=/out/cli.js');
  });

  it("puts parquet-wasm's WebAssembly module beside cli.js, where the bundled writer reads it", () => {
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'ingest-task/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(new RegExp(`^RUN .*cp ${PARQUET_WASM.replace(/[.]/g, '\\.')} /out/$`, 'm'));
  });
});

(skipped ? describe.skip : describe)('the history image: cli.js from the bundle alone', () => {
  let work: string;
  let app: string;
  let sim: Simulator;
  let moto: MotoServer;
  let secretArn: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'history-image-'));
    app = path.join(work, 'app');
    fs.mkdirSync(app);
    buildImageBundle(app, 'cli.js');
    fs.copyFileSync(path.join(REPO_ROOT, PARQUET_WASM), path.join(app, path.basename(PARQUET_WASM))); // as the Dockerfile does
    // The image's /app: root's and read-only to the user, except data/ (`COPY --chown=node` of /out/).
    fs.mkdirSync(path.join(app, 'data'));
    if (AS_USER.uid !== undefined) fs.chownSync(path.join(app, 'data'), AS_USER.uid, AS_USER.gid!);
    fs.chmodSync(work, 0o755);
    fs.chmodSync(app, 0o755);
    fs.chmodSync(path.join(app, 'cli.js'), 0o644);
    expect(fs.readdirSync(app).sort()).toEqual(['cli.js', 'data', 'parquet_wasm_bg.wasm']);

    sim = await startSimulator({ markets: 2, seed: 12, speed: 1, historyMs: 4 * 86_400_000, unicodeSymbols: 0 });
    moto = await startMotoServer();
    const secrets = new SecretsManagerClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const uri = `mongodb://history:${PASSWORD}@127.0.0.1:${await closedPort()}/klines?serverSelectionTimeoutMS=1500`;
    secretArn = (await secrets.send(new CreateSecretCommand({ Name: 'kline-capture/mongodb', SecretString: uri }))).ARN!;
  }, 120_000);

  afterAll(async () => {
    await sim?.close();
    await moto?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** `node --enable-source-maps cli.js history …` in /app, with only the given environment. */
  function history(args: string[], env: Record<string, string>): Promise<Run> {
    return cli(['history', '--market-type', 'spot', '--to', new Date(TO).toISOString(), ...args], env);
  }

  function cli(args: string[], env: Record<string, string>): Promise<Run> {
    const child = spawn(process.execPath, ['--enable-source-maps', 'cli.js', ...args], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', HOME: work, BINANCE_DUMPS_URL: sim.restUrl, BINANCE_REST_URL: sim.restUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...AS_USER,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }

  it('reads the MongoDB URI from the secret (as the task does), loads the driver and fails on the connection, naming no credential', async () => {
    const run = await history([], { ...moto.awsEnv, MONGODB_SECRET_ARN: secretArn, MONGODB_DATABASE: 'klines' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^history: .*MongoDB.* is unavailable: cannot .*(ECONNREFUSED|Server selection|MongoServerSelectionError)/m);
    expect(run.stderr).not.toMatch(/Cannot find module|better-sqlite3/);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  }, 60_000);

  it('names the secret when it cannot be read, and when it still holds the placeholder', async () => {
    const missing = await history([], { ...moto.awsEnv, MONGODB_SECRET_ARN: `${secretArn}-gone` });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^history: MONGODB_SECRET_ARN: cannot read the secret .*-gone: ResourceNotFoundException/m);

    const secrets = new SecretsManagerClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const placeholder = (await secrets.send(new CreateSecretCommand({ Name: 'kline-capture/placeholder', SecretString: 'R4nd0mPl4ceh0lder' }))).ARN!;
    const unset = await history([], { ...moto.awsEnv, MONGODB_SECRET_ARN: placeholder });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toMatch(/^history: MONGODB_SECRET_ARN: the secret .*placeholder.* does not hold a MongoDB connection string \(put one with: aws secretsmanager put-secret-value/m);
    expect(unset.stderr).not.toContain('R4nd0mPl4ceh0lder');
  }, 60_000);

  // Run as the history task with another command (docs/deploy.md §11): each finds the store in the
  // task's secret like history does, and fails on the connection without printing the URI.
  it.each([
    ['store', ['store', 'check']],
    ['report', ['report', '--from', '2026-01-01', '--to', '2026-01-02', '--out', 'data/reports']],
    ['audit', ['audit', '--date', '2026-01-01', '--no-rest', '--out', 'data/reports']],
    ['export', ['export', '--interval', '1h', '--from', '2026-01-01', '--to', '2026-01-02', '--out', 'data/export']],
    ['import', ['import', 'data/BTCUSDT-1m-2026-01-01.csv']],
  ])('%s reads the MongoDB URI from the secret too, and fails on the connection naming no credential', async (name, args) => {
    const run = await cli(args, { ...moto.awsEnv, MONGODB_SECRET_ARN: secretArn, MONGODB_DATABASE: 'klines' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^${name}: .*MongoDB.* is unavailable: cannot .*(ECONNREFUSED|Server selection|MongoServerSelectionError)`, 'm'));
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  }, 60_000);

  it("store names the secret when it still holds the deploy's placeholder", async () => {
    const secrets = new SecretsManagerClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const placeholder = (await secrets.send(new CreateSecretCommand({ Name: 'kline-capture/placeholder-store', SecretString: 'R4nd0mPl4ceh0lder' }))).ARN!;
    const run = await cli(['store', 'migrate'], { ...moto.awsEnv, MONGODB_SECRET_ARN: placeholder });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^store: MONGODB_SECRET_ARN: the secret .*placeholder-store.* does not hold a MongoDB connection string/m);
    expect(run.stdout + run.stderr).not.toContain('R4nd0mPl4ceh0lder');
  }, 60_000);

  it('says a sqlite: store needs better-sqlite3, which the image does not carry', async () => {
    const run = await history(['--store', 'sqlite:data/k.db'], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^history: .*sqlite: stores need the better-sqlite3 module, which this build does not include/m);
    expect(fs.existsSync(path.join(app, 'data', 'k.db'))).toBe(false);
  }, 60_000);

  it("with better-sqlite3 resolvable, imports every market of the simulator's dump site into SQLite, equal to the truth", async () => {
    // The default --state (data/history-state.json) and downloads (data/) must be writable in the image's layout.
    const run = await history(['--store', 'sqlite:data/k.db', '--concurrency', '2'], { NODE_PATH: path.join(REPO_ROOT, 'node_modules') });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { event: string; markets: number; failed: unknown[]; rows: number };
    expect(summary).toMatchObject({ event: 'summary', markets: 2, failed: [] });
    expect(fs.existsSync(path.join(app, 'data', 'history-state.json'))).toBe(true);

    const store = await openStore({ kind: 'sqlite', path: path.join(app, 'data', 'k.db') });
    try {
      const stored = (await store.read({ marketType: 'spot', interval: '1m', from: 0, to: TO })).map(({ source: _s, ...k }: Kline) => k);
      const truth = sim.symbols().sort().flatMap((s) => sim.truth(s, 0, TO - 1));
      expect(truth.length).toBeGreaterThan(2 * 3 * 1440);
      expect(stored).toEqual(truth);
      expect(summary.rows).toBe(truth.length);
    } finally {
      await store.close();
    }
  }, 300_000);

  it('exports the imported klines as Parquet from the same bundle (the WebAssembly writer loads beside cli.js)', async () => {
    const run = await cli(['export', '--interval', '1h', '--from', '2026-01-03', '--to', '2026-01-05', '--format', 'parquet', '--store', 'sqlite:data/k.db', '--out', 'data/parquet'], {
      NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const files = (fs.readdirSync(path.join(app, 'data', 'parquet'), { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).sort();
    expect(files).toEqual(['market_type=spot/interval=1h/date=2026-01-03/klines.parquet', 'market_type=spot/interval=1h/date=2026-01-04/klines.parquet']);
    for (const f of files) expect(fs.readFileSync(path.join(app, 'data', 'parquet', f)).subarray(0, 4).toString()).toBe('PAR1');
  }, 120_000);
});
