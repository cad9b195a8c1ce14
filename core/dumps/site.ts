/**
 * The dump file site (data.binance.vision, the simulator's copy, or a local mirror given as a
 * `file://` URL): each zip is fetched with bounded concurrency and bandwidth, checked against its
 * `.CHECKSUM` (SHA-256) and read through once (zip directory, sizes, CRC-32) before any caller
 * sees it. A mismatch, a truncated transfer or a corrupt zip is retried, then thrown by name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Semaphore, sleep } from '../binance/timing';
import { parseChecksum, sha256 } from './checksum';
import { DumpError } from './errors';
import { dumpFileName, dumpLabel, dumpUrlPath, type DumpFile } from './paths';
import { readDumpCsv } from './zip';

export interface DumpSiteOptions {
  /** `https://data.binance.vision`, `http://127.0.0.1:PORT` (simulator) or `file:///mirror`. */
  baseUrl: string;
  /** Where downloads are written before they are checked (deleted by `release`). */
  tmpDir: string;
  /** Downloads at once (default 4). */
  concurrency?: number;
  /** Bandwidth cap over all downloads, bytes per second (default: none). */
  bytesPerSecond?: number;
  /** Attempts per file for retryable problems (default 3). */
  attempts?: number;
  /** First retry delay, doubled each time (default 500 ms). */
  retryDelayMs?: number;
  requestTimeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** A zip that passed every check, on local disk. */
export interface VerifiedDump {
  file: DumpFile;
  path: string;
  /** Compressed bytes transferred (0 for a local mirror). */
  bytes: number;
  sha256: string;
  /** Attempts it took (1 = first try). */
  attempts: number;
  /** True when `path` is a temporary download to delete after use. */
  temporary: boolean;
  /**
   * The zip's CSV entry, already checked (size, CRC-32): callers parse it without inflating the
   * zip again. One file's worth of memory (a month of one market at most) until it is dropped.
   */
  csv: Buffer;
}

/** A shared byte budget: each chunk waits until the cap allows it. */
class Throttle {
  private next = 0;
  constructor(private readonly bytesPerSecond: number | undefined) {}
  async take(bytes: number): Promise<void> {
    if (!this.bytesPerSecond) return;
    const now = Date.now();
    const start = Math.max(now, this.next);
    this.next = start + (bytes / this.bytesPerSecond) * 1000;
    if (start > now) await sleep(start - now);
  }
}

export class DumpSite {
  readonly stats = { downloads: 0, bytes: 0, retries: 0 };
  private readonly semaphore: Semaphore;
  private readonly throttle: Throttle;
  private readonly fetchImpl: typeof fetch;
  private readonly localRoot: string | undefined;
  private readonly base: string;

  constructor(private readonly options: DumpSiteOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new Error(`BINANCE_DUMPS_URL: "${options.baseUrl}" is not a URL (expected https://…, http://… or file:///…)`);
    }
    if (!['http:', 'https:', 'file:'].includes(url.protocol)) throw new Error(`BINANCE_DUMPS_URL: "${options.baseUrl}" must be http(s):// or file://`);
    this.localRoot = url.protocol === 'file:' ? fileURLToPath(url) : undefined;
    this.base = options.baseUrl.replace(/\/+$/u, '');
    this.semaphore = new Semaphore(options.concurrency ?? 4);
    this.throttle = new Throttle(options.bytesPerSecond);
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  /**
   * The checked zip of `file`. Throws `DumpError`: `not-published` at once (404), the other
   * kinds after `attempts` tries.
   */
  get(file: DumpFile): Promise<VerifiedDump> {
    return this.semaphore.run(async () => {
      const attempts = this.options.attempts ?? 3;
      for (let attempt = 1; ; attempt++) {
        try {
          return await (this.localRoot !== undefined ? this.local(file, attempt) : this.download(file, attempt));
        } catch (err) {
          const e = err instanceof DumpError ? err : new DumpError('http', dumpLabel(file), (err as Error).message);
          if (!e.retryable || attempt >= attempts) throw e;
          this.stats.retries++;
          await sleep((this.options.retryDelayMs ?? 500) * 2 ** (attempt - 1));
        }
      }
    });
  }

  /** Delete a temporary download. */
  async release(dump: VerifiedDump): Promise<void> {
    if (dump.temporary) await rm(dump.path, { force: true });
  }

  private async local(file: DumpFile, attempt: number): Promise<VerifiedDump> {
    const label = dumpLabel(file);
    const path = join(this.localRoot as string, ...decodeURIComponent(dumpUrlPath(file)).split('/'));
    let checksumText: string;
    let zip: Buffer;
    try {
      // Synchronous reads: one file (a month of one market at most) costs ~1 ms of blocking, and
      // fs/promises' open/stat/read/close round trips cost ~5× the CPU for files this small.
      checksumText = readFileSync(`${path}.CHECKSUM`, 'utf8');
      zip = readFileSync(path); // read once: hashed, then unzipped from memory
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new DumpError('not-published', label, `${path} or its .CHECKSUM does not exist`);
      throw err;
    }
    const expected = parseChecksum(checksumText, dumpFileName(file), label);
    const actual = sha256(zip);
    if (actual !== expected) throw new DumpError('checksum-mismatch', label, `SHA-256 ${actual}, .CHECKSUM says ${expected}`);
    const { csv } = await readDumpCsv(zip, label);
    return { file, path, bytes: 0, sha256: actual, attempts: attempt, temporary: false, csv };
  }

  private async fetchOk(url: string, label: string): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 120_000) });
    } catch (err) {
      throw new DumpError('http', label, `GET ${url}: ${(err as Error).message}`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw new DumpError('not-published', label, `GET ${url}: 404`);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new DumpError('http', label, `GET ${url}: HTTP ${res.status}`);
    }
    return res;
  }

  private async download(file: DumpFile, attempt: number): Promise<VerifiedDump> {
    const label = dumpLabel(file);
    const url = `${this.base}${dumpUrlPath(file)}`;
    const checksumRes = await this.fetchOk(`${url}.CHECKSUM`, label);
    const expected = parseChecksum(await checksumRes.text(), dumpFileName(file), label);
    const res = await this.fetchOk(url, label);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    await mkdir(this.options.tmpDir, { recursive: true });
    const path = join(this.options.tmpDir, `${randomBytes(6).toString('hex')}-${dumpFileName(file).replace(/[^A-Za-z0-9.-]/gu, '_')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const throttle = this.throttle;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        throttle.take(chunk.length).then(() => cb(null, chunk), cb);
      },
    });
    try {
      try {
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), meter, createWriteStream(path));
      } catch (err) {
        throw new DumpError('truncated', label, `transfer broke after ${bytes} bytes${Number.isFinite(declared) ? ` of ${declared}` : ''}: ${(err as Error).message}`);
      }
      this.stats.downloads++;
      this.stats.bytes += bytes;
      if (Number.isFinite(declared) && bytes !== declared) throw new DumpError('truncated', label, `received ${bytes} of ${declared} bytes`);
      const actual = hash.digest('hex');
      if (actual !== expected) throw new DumpError('checksum-mismatch', label, `SHA-256 ${actual}, .CHECKSUM says ${expected}`);
      const { csv } = await readDumpCsv(path, label);
      return { file, path, bytes, sha256: actual, attempts: attempt, temporary: true, csv };
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  }
}
