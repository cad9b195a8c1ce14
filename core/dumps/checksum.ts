/** data.binance.vision `.CHECKSUM` files: one line `"<sha256 hex>  <file name>"`. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DumpError } from './errors';

const LINE = /^([0-9a-fA-F]{64})[ \t]+\*?(\S.*?)\s*$/u;

/** The SHA-256 the `.CHECKSUM` text publishes for `fileName`; throws `DumpError('bad-checksum-file')`. */
export function parseChecksum(text: string, fileName: string, label = fileName): string {
  const line = text.replace(/^\uFEFF/u, '').split(/\r?\n/u).find((l) => l.trim() !== '');
  const m = line === undefined ? null : LINE.exec(line.trim());
  if (!m) throw new DumpError('bad-checksum-file', label, `expected "<sha256>  ${fileName}", got ${JSON.stringify((line ?? '').slice(0, 100))}`);
  if (m[2] !== fileName) throw new DumpError('bad-checksum-file', label, `the .CHECKSUM names "${m[2]}", not "${fileName}"`);
  return m[1].toLowerCase();
}

/** The `.CHECKSUM` text for a file, in Binance's format. */
export function formatChecksum(sha256: string, fileName: string): string {
  return `${sha256}  ${fileName}\n`;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
