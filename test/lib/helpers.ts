import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import * as path from 'node:path';
import { ContextKey, readAppConfig } from '../../lib/config';
import { historyImage } from '../../lib/history-task';
import { ingestImage } from '../../lib/ingest-service';
import { KlineCaptureStack } from '../../lib/kline-capture-stack';

export const FIXTURES = path.join(__dirname, 'fixtures');
export const FIXTURE_HANDLER = path.join(FIXTURES, 'handler.ts');

/** The smallest valid context; tests override single keys. */
export const BASE_CONTEXT: Partial<Record<ContextKey, unknown>> = {
  reportSender: 'reports@example.com',
  reportRecipients: ['ops@example.org', 'team@example.net'],
};

export interface BuiltStack {
  stack: KlineCaptureStack;
  template: Template;
}

/**
 * A fresh app and stack from `context` (merged over BASE_CONTEXT), with the fixture handler and
 * fixture image. Bundling is skipped (`aws:cdk:bundling-stacks: []`): the bundling test covers it.
 */
export function buildStack(context: Partial<Record<ContextKey, unknown>> = {}, bundle = false): BuiltStack {
  const ctx = { ...BASE_CONTEXT, ...context };
  const app = new App({ context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new KlineCaptureStack(app, 'KlineCaptureTest', {
    config: readAppConfig((key) => ctx[key]),
    lambdaEntries: { writer: FIXTURE_HANDLER, resampler: FIXTURE_HANDLER, reporter: FIXTURE_HANDLER },
    ingestImage: ingestImage(path.join(FIXTURES, 'image-context')),
    historyImage: historyImage(path.join(FIXTURES, 'image-context')),
  });
  return { stack, template: Template.fromStack(stack) };
}

/** Unacknowledged cdk-nag AwsSolutions findings of `scope`, as "severity rule path" lines. */
export function nagFindings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath ?? '?'}`));
}

type Resource = { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown };

/** The resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

/** The logical id of the single resource of `type` whose logical id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every IAM statement attached to the role `roleLogicalId` (inline default policies). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify((p.Properties as { Roles: unknown }).Roles).includes(`"${roleLogicalId}"`))
    .flatMap(([, p]) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement);
}

export function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}
