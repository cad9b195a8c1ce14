import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** Runs the CDK app as the CDK CLI does (context in CDK_CONTEXT_JSON), with only the AWS settings given. */
function synth(context: Record<string, unknown>, env: Record<string, string>): { status: number | null; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-app-'));
  const r = spawnSync(TSX, ['bin/app.ts'], {
    cwd: ROOT,
    env: { ...clean, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context), ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  fs.rmSync(outdir, { recursive: true, force: true });
  return { status: r.status, stderr: r.stderr };
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
