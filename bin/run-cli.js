#!/usr/bin/env node
/**
 * `npm run cli`: runs the CLI (bin/cli.ts) from dist/cli.js, an esbuild bundle, so a start costs
 * no TypeScript compilation. The bundle is rebuilt on demand (about a tenth of a second) when it
 * is missing or older than any source file it is built from (bin/, core/, package.json).
 * Plain JavaScript on purpose: this file runs before anything is compiled.
 */
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'cli.js');

function newestSource(dir, newest) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(path, newest);
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function stale() {
  if (!existsSync(bundle)) return true;
  const built = statSync(bundle).mtimeMs;
  const newest = ['bin', 'core'].reduce((n, d) => newestSource(join(root, d), n), statSync(join(root, 'package.json')).mtimeMs);
  return newest > built;
}

/** Bundle bin/cli.ts; npm packages stay external (resolved from node_modules), except ES-module-only ones. */
function build() {
  const pkg = require(join(root, 'package.json'));
  const bundled = new Set(['hyparquet']);
  const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => !bundled.has(name));
  require('esbuild').buildSync({
    entryPoints: [join(root, 'bin', 'cli.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: [...external, ...external.map((name) => `${name}/*`)],
    logLevel: 'error',
  });
}

if (process.argv[2] === '--build') {
  build();
} else {
  if (stale()) build();
  require(bundle).runFromCommandLine();
}
