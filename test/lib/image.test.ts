import { App, Stack } from 'aws-cdk-lib';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HISTORY_IMAGE_CONTEXT, HISTORY_IMAGE_OPTIONS } from '../../lib/history-task';
import { INGEST_IMAGE_CONTEXT, INGEST_IMAGE_OPTIONS } from '../../lib/ingest-service';

const ROOT = path.join(__dirname, '../..');

/** A small copy of the repository's layout: what the image needs, and what it must not depend on. */
const FILES: Record<string, string> = {
  'package.json': '{"name":"x"}',
  'package-lock.json': '{}',
  'tsconfig.json': '{}',
  'core/kline.ts': 'export const a = 1;',
  'ingest-task/main.ts': 'export const b = 2;',
  'ingest-task/Dockerfile': fs.readFileSync(path.join(ROOT, 'ingest-task/Dockerfile'), 'utf8'),
  'ingest-task/Dockerfile.dockerignore': fs.readFileSync(path.join(ROOT, 'ingest-task/Dockerfile.dockerignore'), 'utf8'),
  'README.md': '# readme',
  'cdk.json': '{}',
  'bin/app.ts': '// app',
  'bin/cli.ts': '// cli',
  'bin/commands/history.ts': '// history',
  'lambda/writer.ts': '// writer',
  'lib/stack.ts': '// stack',
  'sim/index.ts': '// sim',
  'test/a.test.ts': '// test',
  'docs/deploy.md': '# deploy',
  'core/data/local.db': 'sqlite bytes',
};

function repo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-image-'));
  for (const [file, text] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function asset(dir: string, options: typeof INGEST_IMAGE_OPTIONS | typeof HISTORY_IMAGE_OPTIONS = INGEST_IMAGE_OPTIONS): { hash: string; staged: string[] } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-image-out-'));
  const app = new App({ outdir });
  const image = new DockerImageAsset(new Stack(app, 'S'), 'Image', { directory: dir, ...options });
  app.synth();
  const stagedDir = path.join(outdir, `asset.${image.assetHash}`);
  const staged = (fs.readdirSync(stagedDir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(stagedDir, f)).isFile()).sort();
  fs.rmSync(outdir, { recursive: true, force: true });
  return { hash: image.assetHash, staged };
}

describe('ingest image build context', () => {
  let dir: string;
  let before: { hash: string; staged: string[] };
  beforeAll(() => {
    dir = repo();
    before = asset(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds only the package files, tsconfig, core/ and ingest-task/ (no local databases)', () => {
    expect(before.staged).toEqual(['core/kline.ts', 'ingest-task/Dockerfile', 'ingest-task/Dockerfile.dockerignore', 'ingest-task/main.ts', 'package-lock.json', 'package.json', 'tsconfig.json']);
  });

  it.each(['README.md', 'cdk.json', 'bin/app.ts', 'bin/cli.ts', 'bin/commands/history.ts', 'lambda/writer.ts', 'lib/stack.ts', 'sim/index.ts', 'test/a.test.ts', 'docs/deploy.md'])(
    'keeps its hash when %s changes, so the image is not rebuilt and the task not restarted',
    (file) => {
      fs.appendFileSync(path.join(dir, file), '\n// edited');
      expect(asset(dir).hash).toBe(before.hash);
    },
  );

  it.each(['core/kline.ts', 'ingest-task/main.ts', 'package-lock.json'])('changes its hash when %s changes', (file) => {
    const other = repo();
    fs.appendFileSync(path.join(other, file), '\n// edited');
    expect(asset(other).hash).not.toBe(before.hash);
    fs.rmSync(other, { recursive: true, force: true });
  });

  it('is the same allow-list BuildKit reads from ingest-task/Dockerfile.dockerignore', () => {
    const dockerignore = FILES['ingest-task/Dockerfile.dockerignore'].split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const allowed = (list: readonly string[]) => list.filter((l) => l.startsWith('!')).sort();
    // The file serves both targets: the history image's list, which holds the ingest's.
    expect(allowed(dockerignore)).toEqual(allowed(HISTORY_IMAGE_CONTEXT));
    expect(allowed(HISTORY_IMAGE_CONTEXT)).toEqual(expect.arrayContaining(allowed(INGEST_IMAGE_CONTEXT)));
  });

  it('builds the JavaScript on the build platform and only the runtime stage for ARM64', () => {
    const from = FILES['ingest-task/Dockerfile'].split('\n').filter((l) => l.startsWith('FROM '));
    expect(from[0]).toMatch(/^FROM --platform=\$BUILDPLATFORM \S+ AS build$/);
    expect(from.slice(1).every((l) => !l.includes('BUILDPLATFORM'))).toBe(true);
    expect(INGEST_IMAGE_OPTIONS.platform.platform).toBe('linux/arm64');
  });

  it("has a history target: a runtime stage of its own that runs the CLI bundle, as the unprivileged user, and is not the default", () => {
    const dockerfile = FILES['ingest-task/Dockerfile'];
    const stages = dockerfile.split(/^(?=FROM )/m).slice(1);
    const history = stages.find((st) => /^FROM \S+ AS history$/m.test(st));
    expect(history).toBeDefined();
    expect(history).toMatch(/^COPY --from=build-cli --chown=node:node \/out\/ \.\/$/m);
    expect(history).toMatch(/^USER node$/m);
    expect(history).toMatch(/^ENTRYPOINT \["node", "--enable-source-maps", "cli\.js"\]$/m);
    expect(history).toMatch(/^CMD \["history"\]$/m);
    expect(stages.at(-1)).toMatch(/main\.js"\]\s*$/);
    expect(HISTORY_IMAGE_OPTIONS).toMatchObject({ file: 'ingest-task/Dockerfile', target: 'history', platform: INGEST_IMAGE_OPTIONS.platform });
  });
});

describe('history image build context', () => {
  let dir: string;
  let before: { hash: string; staged: string[] };
  beforeAll(() => {
    dir = repo();
    before = asset(dir, HISTORY_IMAGE_OPTIONS);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("holds the ingest's files and the CLI (bin/cli.ts, bin/commands/), nothing else of bin/", () => {
    expect(before.staged).toEqual(['bin/cli.ts', 'bin/commands/history.ts', 'core/kline.ts', 'ingest-task/Dockerfile', 'ingest-task/Dockerfile.dockerignore', 'ingest-task/main.ts', 'package-lock.json', 'package.json', 'tsconfig.json']);
  });

  it('changes its hash when the CLI changes, and keeps it when bin/app.ts changes', () => {
    fs.appendFileSync(path.join(dir, 'bin/app.ts'), '\n// edited');
    expect(asset(dir, HISTORY_IMAGE_OPTIONS).hash).toBe(before.hash);
    fs.appendFileSync(path.join(dir, 'bin/commands/history.ts'), '\n// edited');
    expect(asset(dir, HISTORY_IMAGE_OPTIONS).hash).not.toBe(before.hash);
  });
});
