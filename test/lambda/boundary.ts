/**
 * The folder rule of DESIGN.md for lambda/: a handler imports only core/ (and packages). Two
 * views of it: the relative imports written in lambda/'s files, and the files esbuild actually
 * bundled into a handler (its source map's `sources`), which also catches core/ reaching out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Folders (repository-relative) whose files a Lambda bundle may contain. */
export const LAMBDA_MAY_IMPORT = ['lambda/', 'core/'];

/** Every module specifier of a TypeScript source: import/export … from, import(), require(). */
export function moduleSpecifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(m[2]);
  return out;
}

/** The repository-relative files among `files` (absolute) outside the allowed folders; packages are allowed. */
export function outsideBoundary(files: readonly string[], repoRoot: string, allowed: readonly string[] = LAMBDA_MAY_IMPORT): string[] {
  const bad = new Set<string>();
  for (const file of files) {
    const rel = path.relative(repoRoot, file).split(path.sep).join('/');
    if (rel.split('/').includes('node_modules')) continue;
    if (!allowed.some((folder) => rel.startsWith(folder))) bad.add(rel);
  }
  return [...bad].sort();
}

/** The relative imports of one file, resolved to absolute paths (extension as written). */
export function relativeImportTargets(file: string): string[] {
  return moduleSpecifiers(fs.readFileSync(file, 'utf8'))
    .filter((s) => s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s));
}

/** Every .ts file under `dir`. */
export function tsFilesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * The absolute input files of a bundle's source map. esbuild writes them relative to the folder it
 * bundled into, `<assembly>/asset.<hash>-building` (or `bundling-temp-…-building`), which CDK then
 * renames to the asset folder beside it: same depth, so they resolve from the asset folder.
 */
export function sourceMapFiles(map: { sources: string[] }, assetDir: string): string[] {
  return map.sources.map((s) => path.resolve(assetDir, s));
}
