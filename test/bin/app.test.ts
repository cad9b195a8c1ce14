import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Synth {
  status: number | null;
  stderr: string;
  /** The stack's `aws:cdk:warning` annotations as the CLI prints them (empty when the app failed). */
  warnings: string[];
}

function stackWarnings(outdir: string): string[] {
  const file = path.join(outdir, 'KlineCapture.metadata.json');
  if (!fs.existsSync(file)) return [];
  const metadata = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { type: string; data: unknown }[]>;
  return Object.values(metadata).flatMap((entries) => entries.filter((e) => e.type === 'aws:cdk:warning').map((e) => String(e.data)));
}

/** Runs the CDK app as the CDK CLI does (context in CDK_CONTEXT_JSON), with only the AWS settings given. */
function synth(context: Record<string, unknown>, env: Record<string, string>): Synth {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-app-'));
  try {
    const r = spawnSync(TSX, ['bin/app.ts'], {
      cwd: ROOT,
      env: { ...clean, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context), ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: r.status, stderr: r.stderr, warnings: stackWarnings(outdir) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** cdk.json's own context, as the CLI passes it: settings come from the file. */
const CONTEXT = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

describe('bin/app.ts refuses before anything reaches AWS', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-aws-'));
    fs.writeFileSync(path.join(dir, 'config'), '[default]\nregion = eu-west-1\n\n[profile trader]\nregion = us-east-2\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a US region set only in the selected profile of ~/.aws/config (no AWS_REGION)', () => {
    // Act: the CDK CLI would pass CDK_DEFAULT_REGION=us-east-2 from the same profile
    const r = synth(CONTEXT, { AWS_CONFIG_FILE: path.join(dir, 'config'), AWS_PROFILE: 'trader', CDK_DEFAULT_REGION: 'us-east-2' });
    // Assess
    expect(r.stderr).toMatch(/Region us-east-2: Binance refuses requests from US locations \(HTTP 451\)/);
    expect(r.status).toBe(1);
  }, 130_000);

  it('a misspelt context key, naming it and the key meant', () => {
    const r = synth({ ...CONTEXT, reportRecipent: 'x@example.com' }, { AWS_REGION: 'eu-west-1' });
    expect(r.stderr).toMatch(/Unknown context "reportRecipent".*Did you mean "reportRecipients"\?/);
    expect(r.status).toBe(1);
  }, 130_000);

  it('a setting given on the command line only (-c mongoSecretName=…), which a later deploy would lose', () => {
    const r = synth({ ...CONTEXT, mongoSecretName: 'prod/kline-mongodb' }, { AWS_REGION: 'eu-west-1' });
    expect(r.stderr).toMatch(/Context "mongoSecretName" is set on the command line only/);
    expect(r.status).toBe(1);
  }, 130_000);
});

describe('bin/app.ts warns at synth', () => {
  it('when the named Atlas tier cannot hold the selected markets (M0, every spot market, no retention)', () => {
    const r = synth({ ...CONTEXT, atlasTier: 'M0', marketTypes: ['spot'], marketsSymbols: [], klineRetentionDays: 0 }, { AWS_REGION: 'eu-west-1' });
    expect(r.status).toBe(0);
    const sizing = r.warnings.filter((w) => w.includes('[ack: kline-capture:tier-sizing]'));
    expect(sizing).toHaveLength(1);
    expect(sizing[0]).toMatch(/^atlasTier M0 is too small for 2000 markets \(spot\): it holds about \d+ hours of history/);
  }, 130_000);
});
