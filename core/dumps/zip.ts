/**
 * Reading a dump zip with yauzl (the zip's central directory, sizes checked by yauzl) plus a
 * CRC-32 check of the entry's bytes, which yauzl leaves to its caller. A dump zip holds one
 * CSV entry; anything else is a corrupt file.
 */
import { Transform, type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
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

/** Read the whole entry once (CRC and sizes checked) without keeping it: the check before an import. */
export async function verifyDumpZip(source: ZipSource, label: string): Promise<{ entryName: string; size: number }> {
  const { entryName, size, stream } = await openDumpZip(source, label);
  for await (const _chunk of stream) void _chunk;
  return { entryName, size };
}
