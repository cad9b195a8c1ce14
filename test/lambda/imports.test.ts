/**
 * lambda/ imports only core/ (DESIGN.md, "Layout"): every relative import written in a file under
 * lambda/ resolves into lambda/ or core/. The bundles themselves are checked in
 * test/lib/bundling.test.ts (their source maps list every file esbuild took in).
 */
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/paths';
import { moduleSpecifiers, outsideBoundary, relativeImportTargets, sourceMapFiles, tsFilesUnder } from './boundary';

const LAMBDA_DIR = path.join(REPO_ROOT, 'lambda');

describe('lambda/ imports only core/', () => {
  it('no file under lambda/ (shared/ included) imports a module of ours outside lambda/ and core/', () => {
    // Arrange
    const files = tsFilesUnder(LAMBDA_DIR);
    // Act
    const offenders = files.flatMap((file) =>
      outsideBoundary(relativeImportTargets(file), REPO_ROOT).map((target) => `${path.relative(REPO_ROOT, file)} → ${target}`),
    );
    // Assess
    expect(files.map((f) => path.relative(LAMBDA_DIR, f))).toEqual(expect.arrayContaining(['auditor.ts', 'writer.ts', path.join('shared', 'store.ts')]));
    expect(offenders).toEqual([]);
  });

  it("the auditor reaches Binance's REST client through core/binance/", () => {
    const targets = relativeImportTargets(path.join(LAMBDA_DIR, 'auditor.ts')).map((t) => path.relative(REPO_ROOT, t));
    expect(targets).toContain(path.join('core', 'binance', 'rest', 'history-rest'));
  });
});

describe('the import scan', () => {
  it('finds every form of import: named, type-only, side-effect, re-export, dynamic import and require', () => {
    const source = [
      "import { a } from '../ingest-task/rest/history-rest';",
      "import type { B } from \"../bin/cli\";",
      "import '../sim/index';",
      "export { c } from './shared/store';",
      "const d = await import('../lib/paths');",
      "const e = require('node:fs');",
      'import {',
      '  f,',
      "} from '../core/config';",
    ].join('\n');
    expect(moduleSpecifiers(source)).toEqual(['../ingest-task/rest/history-rest', '../bin/cli', '../sim/index', './shared/store', '../lib/paths', 'node:fs', '../core/config']);
  });

  it('reports files outside lambda/ and core/, once each and sorted, and lets packages through', () => {
    const at = (rel: string) => path.join(REPO_ROOT, rel);
    const files = [
      at('lambda/shared/store.ts'),
      at('core/binance/rest/history-rest.ts'),
      at('ingest-task/rest/history-rest.ts'),
      at('node_modules/mongodb/lib/index.js'),
      at('bin/cli.ts'),
      at('ingest-task/rest/history-rest.ts'),
      at('corelike/x.ts'),
    ];
    expect(outsideBoundary(files, REPO_ROOT)).toEqual(['bin/cli.ts', 'corelike/x.ts', 'ingest-task/rest/history-rest.ts']);
  });

  it("resolves a bundle's source-map inputs from the asset folder (esbuild wrote them from its sibling -building folder)", () => {
    const assetDir = '/tmp/cdk.out/asset.abc';
    const map = { sources: ['../../../work/repo/core/x.ts', '../../../work/repo/node_modules/p/i.js', '../../../work/repo/ingest-task/y.ts'] };
    const files = sourceMapFiles(map, assetDir);
    expect(files).toEqual(['/work/repo/core/x.ts', '/work/repo/node_modules/p/i.js', '/work/repo/ingest-task/y.ts']);
    expect(outsideBoundary(files, '/work/repo')).toEqual(['ingest-task/y.ts']);
  });
});
