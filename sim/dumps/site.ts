/**
 * The simulator's data.binance.vision: `/data/spot/{monthly,daily}/klines/SYM/1m/SYM-1m-DATE.zip`
 * (+ `.CHECKSUM`; futures under `/data/futures/um|cm/…`) built from the simulated truth.
 * A file is published once its period has ended and `publishLagMs` has passed on the simulated
 * clock (Binance publishes a day the day after); before that, and for periods without any kline
 * (before listing), it is a 404. Faults on demand, per file: a corrupt zip (its .CHECKSUM
 * matches the corrupt bytes, as when a bad file is published), a checksum mismatch, a truncated
 * transfer, and a re-uploaded file with a corrected row.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatChecksum, sha256 } from '../../core/dumps/checksum';
import { dumpFileName, dumpRange, parseDumpUrlPath, type DumpFile } from '../../core/dumps/paths';
import type { Kline } from '../../core/kline';
import type { MarketRef, MarketType } from '../../core/market';
import { buildDump, type BuiltDump } from './files';

export const DUMP_FAULT_KINDS = ['corrupt-zip', 'checksum-mismatch', 'truncated', 'corrected-row'] as const;
export type DumpFaultKind = (typeof DUMP_FAULT_KINDS)[number];

export interface DumpFault {
  kind: DumpFaultKind;
  marketType?: MarketType;
  symbol: string;
  /** `YYYY-MM-DD` (daily file) or `YYYY-MM` (monthly file). */
  date: string;
  /** Serve the fault this many times, then the good file (default: always). Ignored for corrected-row. */
  times?: number;
  /** corrected-row: the open time (ms) of the corrected row (default: the file's first row). */
  openTime?: number;
}

/** What the site needs from the simulated exchange. */
export interface DumpTruth {
  now(): number;
  /** Closed 1m klines with open time in [from, to). */
  klines(market: MarketRef, from: number, to: number): Kline[];
}

export interface SimDumpOptions {
  /** Simulated ms after a period's end before its file appears (default 1 day). */
  publishLagMs?: number;
  faults?: DumpFault[];
}

export interface SimDumpStats {
  requests: number;
  statuses: Record<number, number>;
  /** Fault deliveries, as `kind file` strings, in order. */
  faultsServed: string[];
}

const MAX_CACHED = 64;

export class SimDumpSite {
  readonly stats: SimDumpStats = { requests: 0, statuses: {}, faultsServed: [] };
  private faults: (DumpFault & { left: number })[] = [];
  private readonly cache = new Map<string, Promise<BuiltDump | undefined>>();
  readonly publishLagMs: number;

  constructor(private readonly truth: DumpTruth, options: SimDumpOptions = {}) {
    this.publishLagMs = options.publishLagMs ?? 86_400_000;
    this.setFaults(options.faults ?? []);
  }

  setFaults(faults: readonly DumpFault[]): void {
    for (const f of faults) if (!(DUMP_FAULT_KINDS as readonly string[]).includes(f.kind)) throw new RangeError(`unknown dump fault "${f.kind}" (expected ${DUMP_FAULT_KINDS.join(', ')})`);
    this.faults = faults.map((f) => ({ ...f, left: f.times ?? Infinity }));
    this.cache.clear();
  }

  /** Handles `/data/…` requests; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (!path.startsWith('/data/')) return false;
    this.stats.requests++;
    const file = parseDumpUrlPath(path);
    if (req.method !== 'GET' || !file) {
      this.send(res, 404, 'text/plain', Buffer.from('Not Found'));
      return true;
    }
    this.serve(file, file.checksum, res).catch((err: Error) => {
      if (!res.headersSent) this.send(res, 500, 'text/plain', Buffer.from(err.message));
      else res.destroy();
    });
    return true;
  }

  /** Whether the file is published at the current simulated time. */
  published(file: DumpFile): boolean {
    return dumpRange(file).to + this.publishLagMs <= this.truth.now();
  }

  /** The file as served (faults other than corrected-row aside); undefined when not published. */
  async content(file: DumpFile): Promise<BuiltDump | undefined> {
    if (!this.published(file)) return undefined;
    const key = `${file.marketType}/${file.period}/${file.symbol}/${file.date}`;
    let built = this.cache.get(key);
    if (!built) {
      built = this.build(file);
      this.cache.set(key, built);
      if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    }
    return built;
  }

  private async build(file: DumpFile): Promise<BuiltDump | undefined> {
    const range = dumpRange(file);
    const klines = this.truth.klines({ marketType: file.marketType, symbol: file.symbol }, range.from, range.to);
    if (klines.length === 0) return undefined;
    const corrected = this.fault(file, 'corrected-row');
    if (corrected) {
      const at = corrected.openTime ?? klines[0].openTime;
      const i = klines.findIndex((k) => k.openTime === at);
      if (i >= 0) klines[i] = { ...klines[i], trades: klines[i].trades + 1 };
    }
    return buildDump(file.marketType, dumpFileName(file).replace(/\.zip$/u, '.csv'), klines);
  }

  private fault(file: DumpFile, kind: DumpFaultKind): (DumpFault & { left: number }) | undefined {
    return this.faults.find((f) => f.kind === kind && f.symbol === file.symbol && f.date === file.date && (f.marketType ?? 'spot') === file.marketType && (kind === 'corrected-row' || f.left > 0));
  }

  private async serve(file: DumpFile, checksum: boolean, res: ServerResponse): Promise<void> {
    const built = await this.content(file);
    if (!built) {
      this.send(res, 404, 'application/xml', Buffer.from('<Error><Code>NoSuchKey</Code></Error>'));
      return;
    }
    const name = dumpFileName(file);
    const corrupt = this.fault(file, 'corrupt-zip');
    const corruptZip = corrupt ? corruptBytes(built.zip) : undefined;
    if (checksum) {
      this.send(res, 200, 'text/plain', Buffer.from(formatChecksum(corruptZip ? sha256(corruptZip) : built.sha256, name)));
      return;
    }
    const served = (f: DumpFault & { left: number }) => {
      f.left--;
      this.stats.faultsServed.push(`${f.kind} ${name}`);
    };
    if (corrupt && corruptZip) {
      served(corrupt);
      this.send(res, 200, 'application/zip', corruptZip);
      return;
    }
    const mismatch = this.fault(file, 'checksum-mismatch');
    if (mismatch) {
      served(mismatch);
      const changed = Buffer.from(built.zip);
      changed[changed.length - 1] ^= 0xff; // the zip comment length's high byte: still the same size
      this.send(res, 200, 'application/zip', changed);
      return;
    }
    const truncated = this.fault(file, 'truncated');
    if (truncated) {
      served(truncated);
      this.count(200);
      res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': built.zip.length });
      res.write(built.zip.subarray(0, Math.floor(built.zip.length / 2)), () => res.destroy());
      return;
    }
    this.send(res, 200, 'application/zip', built.zip);
  }

  private count(status: number): void {
    this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
  }

  private send(res: ServerResponse, status: number, type: string, body: Buffer): void {
    this.count(status);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
    res.end(body);
  }
}

/** Flip bytes inside the deflated data: the zip still opens, its CSV does not inflate or fails CRC-32. */
function corruptBytes(zip: Buffer): Buffer {
  const out = Buffer.from(zip);
  const nameLength = out.readUInt16LE(26);
  const extraLength = out.readUInt16LE(28);
  const dataStart = 30 + nameLength + extraLength;
  const compressed = out.readUInt32LE(18) || Math.max(1, out.length - dataStart - 100);
  for (let i = 0; i < 8; i++) {
    const at = dataStart + Math.floor(((i + 1) * compressed) / 9);
    out[at] ^= 0x55;
  }
  return out;
}
