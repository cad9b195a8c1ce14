import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ContextKey } from '../../lib/config';
import { buildStack } from './helpers';
import { toolMissing } from './tools';

/** Every layout the app can synthesize: each setting that adds, removes or swaps resources. */
const VARIANTS: Record<string, Partial<Record<ContextKey, unknown>>> = {
  default: {},
  staticEgress: { staticEgress: true },
  existingSecret: { mongoSecretName: 'prod/kline-mongodb' },
  existingSecretArn: { mongoSecretName: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/kline-mongodb-AbCdEf', sesIdentity: 'example.com', createSesIdentity: false },
  alarmEmail: { alarmEmail: 'oncall@example.com' },
  schemaStep: { mongoSecretName: 'prod/kline-mongodb', mongoAdminSecretName: 'prod/kline-mongodb-admin', klineRetentionDays: 30 },
  usdm: { marketTypes: ['usdm'] },
  coinm: { marketTypes: ['coinm'] },
  noS3Export: { s3Export: false },
  allMarketTypes: { marketTypes: ['spot', 'usdm', 'coinm'], containerInsights: false, reportSchedule: 'cron(0 6 ? * MON-FRI *)' },
};

interface Finding {
  Rule: { Id: string; Description: string };
  Level: string;
  Message: string;
  Filename: string;
}

const missing = toolMissing('cfn-lint', 'pip install cfn-lint');

describe('cfn-lint on every synthesized variant', () => {
  if (missing) {
    it.todo(`skipped: ${missing}`);
    return;
  }
  let findings: Finding[];
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-cfn-lint-'));
    for (const [name, context] of Object.entries(VARIANTS)) {
      fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(buildStack(context).template.toJSON()));
    }
    // A template cfn-lint must fault (the schedule EventBridge rejects at deploy): proves the run lints.
    const knownBad = { Resources: { Rule: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'cron(75 0 * * * *)' } } } };
    fs.writeFileSync(path.join(dir, 'known-bad.json'), JSON.stringify(knownBad));
    // One cfn-lint run for all templates; exit codes are bit flags (2 errors, 4 warnings, 8 info).
    const r = spawnSync('cfn-lint', ['--format', 'json', '--', ...[...Object.keys(VARIANTS), 'known-bad'].map((n) => path.join(dir, `${n}.json`))], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    findings = JSON.parse(r.stdout || '[]') as Finding[];
  }, 400_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(VARIANTS))('finds no error in the %s template', (name) => {
    const errors = findings.filter((f) => f.Level === 'Error' && path.basename(f.Filename) === `${name}.json`);
    expect(errors.map((f) => `${f.Rule.Id} ${f.Message}`)).toEqual([]);
  });

  it('faults a template with an invalid EventBridge cron, so a clean result means something', () => {
    const bad = findings.filter((f) => f.Level === 'Error' && path.basename(f.Filename) === 'known-bad.json');
    expect(bad.map((f) => f.Rule.Id)).toContain('E3027');
  });
});
