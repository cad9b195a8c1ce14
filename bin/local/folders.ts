/**
 * Folders the pipeline writes to (reports, the SQLite store's), checked before starting so a bad
 * one gives one message naming the setting. Created one level at a time: Node 20's recursive
 * mkdir spins forever on some paths (e.g. under /proc).
 */
import { accessSync, constants, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const REASONS: Record<string, string> = {
  EROFS: 'the filesystem is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'the disk is full',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'the path cannot be created there',
};

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return `${REASONS[code] ?? (e as Error).message}${code ? ` (${code})` : ''}`;
}

/** Make sure `dir` exists and is writable; throws an Error whose message starts with `setting`. */
export function prepareFolder(setting: string, dir: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    try {
      if (!statSync(existing).isDirectory()) throw new Error(`${setting}: ${existing} is a file, not a folder`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (e instanceof Error && e.message.startsWith(setting)) throw e;
        throw new Error(`${setting}: cannot use ${existing}: ${why(e)}`);
      }
      missing.unshift(existing);
      const up = dirname(existing);
      if (up === existing) break;
      existing = up;
    }
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${setting}: cannot create the folder ${folder}: ${why(e)}`);
    }
  }
  const probe = join(target, `.write-check-${process.pid}`);
  try {
    accessSync(target, constants.W_OK);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new Error(`${setting}: cannot write in ${target}: ${why(e)}`);
  }
}
