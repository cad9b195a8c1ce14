import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandLineOnlySettings, settingsFiles } from '../../lib/settings-file';
import { buildStack } from './helpers';

describe('settings live in a file, never only on the command line', () => {
  const files = [{ context: { reportSender: 'reports@acme.io', reportRecipients: ['ops@acme.io'], staticEgress: true, mongoSecretName: 'prod/mongo' } }];

  it('accepts context that is exactly what the files hold, also when -c repeats a value as text', () => {
    expect(commandLineOnlySettings({ ...files[0].context }, files)).toEqual([]);
    expect(commandLineOnlySettings({ ...files[0].context, staticEgress: 'true', reportRecipients: '["ops@acme.io"]' }, files)).toEqual([]);
  });

  it('refuses mongoSecretName given with -c only, saying why a later deploy without it would hurt', () => {
    const [message, ...rest] = commandLineOnlySettings({ ...files[0].context, mongoSecretName: 'other/mongo' }, files);
    expect(rest).toEqual([]);
    expect(message).toMatch(/^Context "mongoSecretName" is set on the command line only .*cdk\.json.*new, empty secret/);
    expect(commandLineOnlySettings({ reportSender: 'reports@acme.io', mongoSecretName: 'x' }, [{ context: { reportSender: 'reports@acme.io' } }])).toHaveLength(1);
  });

  it("ignores CDK's own context (feature flags, lookups)", () => {
    expect(commandLineOnlySettings({ ...files[0].context, '@aws-cdk/core:newStyleStackSynthesis': true }, files)).toEqual([]);
  });

  it('reads ~/.cdk.json and cdk.json "context" and cdk.context.json, in the order the CDK CLI merges them', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'home-'));
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'project-'));
    fs.writeFileSync(path.join(home, '.cdk.json'), JSON.stringify({ context: { alarmEmail: 'me@acme.io' } }));
    fs.writeFileSync(path.join(project, 'cdk.json'), JSON.stringify({ app: 'x', context: { reportSender: 'r@acme.io' } }));
    fs.writeFileSync(path.join(project, 'cdk.context.json'), JSON.stringify({ 'availability-zones:account=1:region=eu-west-1': ['a'] }));
    expect(settingsFiles(project, home).map((f) => f.context)).toEqual([
      { alarmEmail: 'me@acme.io' },
      { reportSender: 'r@acme.io' },
      { 'availability-zones:account=1:region=eu-west-1': ['a'] },
    ]);
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
  });
});

describe('what holds data or a verification is never deleted by a changed setting', () => {
  it('retains the stack-created MongoDB secret under its fixed name, and the SES identity', () => {
    const { template } = buildStack();
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { Name: 'KlineCaptureTest/mongodb-uri' },
    });
    template.hasResource('AWS::SES::EmailIdentity', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});
