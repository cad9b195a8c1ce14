/**
 * One pipeline per store: two pipelines on the same SQLite file would both write and both end in
 * MISMATCH. A lock file next to the store, created exclusively, names the owner's PID; a lock
 * whose process is gone (kill -9) is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock of the store at `storePath`; returns its release. Throws StoreLockedError naming the owner. */
export function acquireStoreLock(storePath: string): () => void {
  const lock = `${resolve(storePath)}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(lock, 'utf8').trim() === String(process.pid)) unlinkSync(lock);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt(readFileSync(lock, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new StoreLockedError(`another pipeline (pid ${owner}) is using the store ${storePath}; stop it first (lock file ${lock})`);
      }
      unlinkSync(lock); // stale: its process is gone
    }
  }
  throw new StoreLockedError(`could not take the lock ${lock} of the store ${storePath}`);
}
