/**
 * The artifacts that deploy, built here the way the deploy builds them: the ingest bundle with the
 * esbuild command of ingest-task/Dockerfile, and the Lambda bundles `cdk synth` stages (the
 * NodejsFunction local esbuild bundling of the real stack).
 */
import { App } from 'aws-cdk-lib';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAppConfig } from '../../../lib/config';
import { historyImage } from '../../../lib/history-task';
import { ingestImage } from '../../../lib/ingest-service';
import { KlineCaptureStack } from '../../../lib/kline-capture-stack';
import { REPO_ROOT } from '../../../lib/paths';

/** The esbuild arguments (everything after `npx esbuild`) of the Dockerfile's build step that writes `/out/<outName>`. */
export function dockerfileEsbuildArgs(dockerfile: string, outName = 'main.js'): string[] {
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  const runs = joined.split('\n').filter((l) => /^RUN\s+npx esbuild\s/.test(l));
  const run = runs.find((l) => l.split(/\s+/).includes(`--outfile=/out/${outName}`));
  if (run === undefined) throw new Error(`ingest-task/Dockerfile has no \`RUN npx esbuild … --outfile=/out/${outName}\` line`);
  return run.replace(/^RUN\s+npx esbuild\s+/, '').trim().split(/\s+/);
}

/**
 * Bundle `outName` (main.js: the ingest; cli.js: the history image's CLI) exactly as the image's
 * build stage does, writing it into `outDir` instead of /out (the only argument changed). Runs
 * from the repository root, as the Dockerfile's WORKDIR holds the repository's files.
 */
export function buildImageBundle(outDir: string, outName: 'main.js' | 'cli.js'): string {
  const args = dockerfileEsbuildArgs(fs.readFileSync(path.join(REPO_ROOT, 'ingest-task/Dockerfile'), 'utf8'), outName);
  const outfile = path.join(outDir, outName);
  const replaced = args.map((a) => (a.startsWith('--outfile=') ? `--outfile=${outfile}` : a));
  execFileSync(path.join(REPO_ROOT, 'node_modules/.bin/esbuild'), replaced, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return outfile;
}

/** The ingest bundle, `main.js`, as the image builds it. */
export function buildIngestBundle(outDir: string): string {
  return buildImageBundle(outDir, 'main.js');
}

export interface SynthFunction {
  logicalId: string;
  /** The staged bundle, e.g. <outdir>/asset.<hash>/index.js. */
  file: string;
  /** `index.handler` → `handler`. */
  exportName: string;
  /** The function's environment; `{Ref: …}` values stay objects for the caller to resolve. */
  environment: Record<string, unknown>;
}

export interface Synthesized {
  template: Record<string, any>;
  functions: SynthFunction[];
  /** The ingest container's environment as the task definition gives it. */
  ingestEnvironment: Record<string, unknown>;
}

/**
 * Synthesize the real stack (real handler entries, NodejsFunction bundling with the local esbuild,
 * never Docker) into `outdir`. The ingest image's context is a small fixture: the image itself is
 * built above from the Dockerfile's command.
 */
export function synthesize(outdir: string, context: Record<string, unknown>): Synthesized {
  const savedDocker = process.env.CDK_DOCKER;
  process.env.CDK_DOCKER = '/bin/false';
  try {
    const app = new App({ outdir });
    const stack = new KlineCaptureStack(app, 'KlineCaptureE2e', {
      config: readAppConfig((key) => context[key]),
      ingestImage: ingestImage(path.join(REPO_ROOT, 'test/lib/fixtures/image-context')),
      historyImage: historyImage(path.join(REPO_ROOT, 'test/lib/fixtures/image-context')),
    });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as Record<string, any>;
    const functions: SynthFunction[] = [];
    let ingestEnvironment: Record<string, unknown> = {};
    for (const [logicalId, r] of Object.entries<any>(template.Resources)) {
      if (r.Type === 'AWS::Lambda::Function' && typeof r.Properties.Code?.S3Key === 'string') {
        const [fileBase, exportName] = String(r.Properties.Handler).split('.');
        const dir = path.join(assembly.directory, `asset.${r.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
        functions.push({ logicalId, file: path.join(dir, `${fileBase}.js`), exportName, environment: r.Properties.Environment?.Variables ?? {} });
      }
      if (r.Type === 'AWS::ECS::TaskDefinition') {
        const [container] = r.Properties.ContainerDefinitions as Array<{ Name: string; Environment: Array<{ Name: string; Value: unknown }> }>;
        if (container.Name === 'Ingest') ingestEnvironment = Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));
      }
    }
    return { template, functions, ingestEnvironment };
  } finally {
    if (savedDocker === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = savedDocker;
  }
}

/** The one function whose logical id starts with `prefix` (WriterFunction…, ScheduledReporter…). */
export function functionNamed(s: Synthesized, prefix: string): SynthFunction {
  const found = s.functions.filter((f) => f.logicalId.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one function ${prefix}…, found ${s.functions.map((f) => f.logicalId).join(', ')}`);
  return found[0];
}

/** Replace `{Ref: id}` values with `refs[id]`; an unresolved Ref fails loudly. */
export function resolveRefs(env: Record<string, unknown>, refs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') out[name] = value;
    else if (value !== null && typeof value === 'object' && 'Ref' in value && typeof refs[(value as { Ref: string }).Ref] === 'string') out[name] = refs[(value as { Ref: string }).Ref];
    else throw new Error(`${name}: cannot resolve ${JSON.stringify(value)}`);
  }
  return out;
}
