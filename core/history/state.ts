/**
 * The resume state of a history run: which tasks are done, which failed and why. Written
 * atomically (temporary file + rename), so a kill at any moment leaves the previous state or the
 * new one, never a torn file. A task done but not yet saved is simply done again: every write is
 * an idempotent upsert, so the store ends the same.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface FailedTask {
  id: string;
  kind: string;
  message: string;
}

interface StateFile {
  version: 1;
  done: string[];
  failed: FailedTask[];
}

export class HistoryState {
  readonly done: Set<string>;
  /** Failures of this run and earlier ones, by task id (a later success removes it). */
  readonly failed: Map<string, FailedTask>;
  private lastSave = 0;
  private dirty = false;

  private constructor(readonly path: string | undefined, file: StateFile) {
    this.done = new Set(file.done);
    this.failed = new Map(file.failed.map((f) => [f.id, f]));
  }

  /** Load `path` (a missing file is a fresh start); `undefined` keeps the state in memory only. */
  static load(path: string | undefined): HistoryState {
    if (path === undefined) return new HistoryState(undefined, { version: 1, done: [], failed: [] });
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new HistoryState(path, { version: 1, done: [], failed: [] });
      throw err;
    }
    let file: StateFile;
    try {
      file = JSON.parse(text) as StateFile;
    } catch (err) {
      throw new Error(`history state ${path}: not JSON (${(err as Error).message}); delete it to start over`);
    }
    if (file?.version !== 1 || !Array.isArray(file.done) || !Array.isArray(file.failed)) throw new Error(`history state ${path}: unknown format; delete it to start over`);
    return new HistoryState(path, file);
  }

  markDone(id: string): void {
    this.done.add(id);
    this.failed.delete(id);
    this.dirty = true;
  }

  markFailed(failure: FailedTask): void {
    this.failed.set(failure.id, failure);
    this.dirty = true;
  }

  /** Save when something changed and `minIntervalMs` passed since the last save. */
  save(minIntervalMs = 0): void {
    if (this.path === undefined || !this.dirty) return;
    const now = Date.now();
    if (now - this.lastSave < minIntervalMs) return;
    const file: StateFile = { version: 1, done: [...this.done], failed: [...this.failed.values()] };
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(file));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.lastSave = now;
    this.dirty = false;
  }
}
