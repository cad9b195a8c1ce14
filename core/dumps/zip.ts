/**
 * Reading a dump zip with yauzl (the zip's central directory, sizes checked by yauzl) plus a
 * CRC-32 check of the entry's bytes, which yauzl leaves to its caller. A dump zip holds one
 * CSV entry; anything else is a corrupt file.
 */
import { readFileSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { DumpError } from './errors';

type ZipSource = string | Buffer;

function openZip(source: ZipSource): Promise<yauzl.ZipFile> {
  const options: yauzl.Options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true };
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zip?: yauzl.ZipFile) => (err || !zip ? reject(err ?? new Error('no zip')) : resolve(zip));
    if (typeof source === 'string') yauzl.open(source, options, done);
    else yauzl.fromBuffer(source, options, done);
  });
}

function entries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const out: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      out.push(e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(out));
    zip.once('error', reject);
    zip.readEntry();
  });
}

/** Passes bytes through and fails at the end when their CRC-32 differs from `expected`. */
function crcCheck(expected: number, label: string): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = crc32(chunk, crc);
      cb(null, chunk);
    },
    flush(cb) {
      cb(crc >>> 0 === expected >>> 0 ? null : new DumpError('corrupt-zip', label, `CRC-32 of the CSV is ${(crc >>> 0).toString(16)}, the zip says ${(expected >>> 0).toString(16)}`));
    },
  });
}

/**
 * The dump's CSV as a byte stream: errors on the stream are `DumpError('corrupt-zip')`. The
 * promise rejects at once when the file is no zip or holds no single CSV entry.
 */
export async function openDumpZip(source: ZipSource, label: string): Promise<{ entryName: string; size: number; stream: Readable }> {
  let zip: yauzl.ZipFile;
  let list: yauzl.Entry[];
  try {
    zip = await openZip(source);
    list = await entries(zip);
  } catch (err) {
    throw new DumpError('corrupt-zip', label, (err as Error).message);
  }
  const files = list.filter((e) => !e.fileName.endsWith('/'));
  if (files.length !== 1 || !files[0].fileName.toLowerCase().endsWith('.csv')) {
    zip.close();
    throw new DumpError('corrupt-zip', label, `expected one .csv entry, found ${files.map((e) => e.fileName).join(', ') || 'none'}`);
  }
  const entry = files[0];
  let raw: Readable;
  try {
    raw = await new Promise<Readable>((resolve, reject) =>
      zip.openReadStream(entry, (err, s) => (err || !s ? reject(new DumpError('corrupt-zip', label, err?.message ?? 'no stream')) : resolve(s))),
    );
  } catch (err) {
    zip.close();
    throw err;
  }
  const check = crcCheck(entry.crc32, label);
  check.once('close', () => zip.close());
  raw.on('error', (err) => check.destroy(err instanceof DumpError ? err : new DumpError('corrupt-zip', label, err.message)));
  raw.pipe(check);
  return { entryName: entry.fileName, size: entry.uncompressedSize, stream: check };
}

/** A dump's CSV entry may not claim more than this (a month of 1m klines is under 16 MB). */
export const MAX_CSV_BYTES = 256 * 2 ** 20;

function rawEntryBytes(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  // yauzl reads and checks the local header; the bytes are inflated below in one call.
  const options = entry.compressionMethod === 8 ? { decompress: false } : {};
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, options, (err, s) => {
      if (err || !s) return reject(err ?? new Error('no stream'));
      const parts: Buffer[] = [];
      s.on('data', (c: Buffer) => parts.push(c));
      s.once('error', reject);
      s.once('end', () => resolve(parts.length === 1 ? parts[0] : Buffer.concat(parts)));
    }),
  );
}

/**
 * The dump's whole CSV entry, checked: one .csv entry (yauzl: directory, local header), stored or
 * deflated, its size and CRC-32 as the zip says. One synchronous inflate of the whole entry
 * costs a fraction of a stream's chunk by chunk, and the bytes are then parsed without a second
 * inflate; memory is one file (a month of one market at most), never the range.
 */
export async function readDumpCsv(source: ZipSource, label: string): Promise<{ entryName: string; size: number; csv: Buffer }> {
  let data: Buffer;
  try {
    data = typeof source === 'string' ? readFileSync(source) : source; // see DumpSite.local
  } catch (err) {
    throw new DumpError('corrupt-zip', label, (err as Error).message);
  }
  let zip: yauzl.ZipFile;
  let list: yauzl.Entry[];
  try {
    zip = await openZip(data);
    list = await entries(zip);
  } catch (err) {
    throw new DumpError('corrupt-zip', label, (err as Error).message);
  }
  try {
    const files = list.filter((e) => !e.fileName.endsWith('/'));
    if (files.length !== 1 || !files[0].fileName.toLowerCase().endsWith('.csv')) {
      throw new DumpError('corrupt-zip', label, `expected one .csv entry, found ${files.map((e) => e.fileName).join(', ') || 'none'}`);
    }
    const entry = files[0];
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw new DumpError('corrupt-zip', label, `unsupported compression method ${entry.compressionMethod}`);
    if (entry.uncompressedSize > MAX_CSV_BYTES) throw new DumpError('corrupt-zip', label, `the CSV claims ${entry.uncompressedSize} bytes, more than a dump holds (${MAX_CSV_BYTES})`);
    let csv: Buffer;
    try {
      const raw = await rawEntryBytes(zip, entry);
      // Output capped at the declared size: a longer entry fails here instead of filling memory.
      csv = entry.compressionMethod === 8 ? inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) }) : raw;
    } catch (err) {
      throw new DumpError('corrupt-zip', label, (err as Error).message);
    }
    if (csv.length !== entry.uncompressedSize) throw new DumpError('corrupt-zip', label, `the CSV has ${csv.length} bytes, the zip says ${entry.uncompressedSize}`);
    const crc = crc32(csv) >>> 0;
    if (crc !== entry.crc32 >>> 0) throw new DumpError('corrupt-zip', label, `CRC-32 of the CSV is ${crc.toString(16)}, the zip says ${(entry.crc32 >>> 0).toString(16)}`);
    return { entryName: entry.fileName, size: entry.uncompressedSize, csv };
  } finally {
    zip.close();
  }
}

/** Read the whole entry once (CRC and sizes checked) without keeping it: the check before an import. */
export async function verifyDumpZip(source: ZipSource, label: string): Promise<{ entryName: string; size: number }> {
  const { entryName, size } = await readDumpCsv(source, label);
  return { entryName, size };
}
