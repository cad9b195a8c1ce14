import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KlineFunction } from '../../lib/kline-function';
import { PARQUET_WASM } from '../../lib/export-bucket';
import { DEFAULT_LAMBDA_ENTRIES, REPO_ROOT } from '../../lib/paths';
import { outsideBoundary, sourceMapFiles } from '../lambda/boundary';
import { FIXTURE_HANDLER } from './helpers';

// Real esbuild bundling, once per handler: proves synth needs no Docker (CDK_DOCKER points at a
// command that always fails, so any Docker fallback would fail the synth).
function bundle(entry: string, copyFiles?: string[]): { code: string; outdir: string; assetDir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-cdk-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bundle');
  const fn = new KlineFunction(stack, 'Fn', {
    entry,
    name: 'bundle-test',
    description: 'bundling test',
    store: { secret: new secretsmanager.Secret(stack, 'Secret'), database: 'klines' },
    timeout: Duration.seconds(10),
    logRetention: logs.RetentionDays.ONE_WEEK,
    copyFiles,
  });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  const key = (template.toJSON().Resources[stack.getLogicalId(fn.function.node.defaultChild as CfnFunction)].Properties.Code.S3Key as string).replace(/\.zip$/, '');
  const assetDir = path.join(assembly.directory, `asset.${key}`);
  const code = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
  return { code, outdir, assetDir };
}

const savedDocker = process.env.CDK_DOCKER;
beforeAll(() => {
  process.env.CDK_DOCKER = '/bin/false';
});
afterAll(() => {
  if (savedDocker === undefined) delete process.env.CDK_DOCKER;
  else process.env.CDK_DOCKER = savedDocker;
});

describe('NodejsFunction bundling', () => {
  it('bundles a handler with the local esbuild, without Docker, into a CommonJS index.js exporting handler', () => {
    // Act
    const { code, outdir } = bundle(FIXTURE_HANDLER);
    // Assess
    expect(code).toMatch(/handler/);
    expect(code).toMatch(/sourceMappingURL=index\.js\.map/);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  const present = Object.entries(DEFAULT_LAMBDA_ENTRIES).filter(([, file]) => fs.existsSync(file));
  if (present.length < 3) {
    // The handlers land with lambda/; until then this prints why the real-entry check did not run.
    it.todo(`bundles the real handlers (skipped: missing ${Object.values(DEFAULT_LAMBDA_ENTRIES).filter((f) => !fs.existsSync(f)).map((f) => path.relative(process.cwd(), f)).join(', ')})`);
  }
  it.each(present)('bundles the real %s handler, leaving the AWS SDK to the Lambda runtime, from lambda/ and core/ only', (_name, file) => {
    const { code, outdir, assetDir } = bundle(file);
    expect(code).toMatch(/handler/);
    // DESIGN.md: lambda/ imports only core/, and core/ nothing of ours outside it. The source map
    // lists every file esbuild took in, so this sees what the deployed bundle really contains.
    const inputs = sourceMapFiles(JSON.parse(fs.readFileSync(path.join(assetDir, 'index.js.map'), 'utf8')), assetDir);
    expect(inputs).toContain(file);
    expect(outsideBoundary(inputs, REPO_ROOT)).toEqual([]);
    // The secret is read with @aws-sdk/client-secrets-manager, which stays a runtime require.
    expect(code).toMatch(/require\("@aws-sdk\/client-secrets-manager"\)/);
    // better-sqlite3 (native) stays out too: only a KLINE_STORE=sqlite: run loads it (the moto e2e).
    expect(code).not.toMatch(/better_sqlite3\.node/);
    expect(code).not.toMatch(/mongodb(\+srv)?:\/\/[^"'`\s]*@/);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  it('puts the Parquet writer\'s WebAssembly module beside the exporter\'s index.js, where the bundled parquet-wasm reads it', () => {
    const { code, outdir, assetDir } = bundle(DEFAULT_LAMBDA_ENTRIES.exporter!, [PARQUET_WASM]);
    try {
      expect(code).toMatch(/__dirname\}\/parquet_wasm_bg\.wasm/);
      expect(fs.readFileSync(path.join(assetDir, 'parquet_wasm_bg.wasm')).equals(fs.readFileSync(path.join(REPO_ROOT, PARQUET_WASM)))).toBe(true);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
