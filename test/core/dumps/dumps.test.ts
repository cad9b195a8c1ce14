import { Readable } from 'node:stream';
import { formatChecksum, parseChecksum, sha256 } from '../../../core/dumps/checksum';
import { csvBatchesFromBuffer, DumpRowError, readCsvBatches } from '../../../core/dumps/csv-batches';
import { DumpError } from '../../../core/dumps/errors';
import { dumpRange, dumpUrlPath, parseDumpUrlPath, type DumpFile } from '../../../core/dumps/paths';
import { openDumpZip, readDumpCsv, verifyDumpZip } from '../../../core/dumps/zip';
import { dumpCsv, FUTURES_HEADER, zipText } from '../../../sim/dumps/files';
import type { Kline } from '../../../core/kline';

const T0 = Date.UTC(2024, 11, 31, 23, 58);
function kline(openTime: number, over: Partial<Kline> = {}): Kline {
  return {
    marketType: 'spot',
    symbol: 'BTCUSDT',
    interval: '1m',
    openTime,
    closeTime: openTime + 59_999,
    open: '1.10',
    high: '1.20',
    low: '1.00',
    close: '1.15',
    volume: '10.5',
    quoteVolume: '11.55',
    trades: 3,
    takerBuyBaseVolume: '1',
    takerBuyQuoteVolume: '1.1',
    ...over,
  };
}
const four = [0, 1, 2, 3].map((i) => kline(T0 + i * 60_000));

async function collect(text: string | Buffer, batchSize = 2): Promise<Kline[][]> {
  const out: Kline[][] = [];
  // Several chunks, split mid-line, as a stream delivers them.
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const chunks = [buf.subarray(0, 7), buf.subarray(7, 50), buf.subarray(50)];
  for await (const b of readCsvBatches(Readable.from(chunks), { marketType: 'spot', symbol: 'BTCUSDT', batchSize })) out.push(b.klines);
  return out;
}

describe('dump paths', () => {
  it.each([
    [{ marketType: 'spot', symbol: 'BTCUSDT', period: 'daily', date: '2021-11-27' }, '/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2021-11-27.zip'],
    [{ marketType: 'usdm', symbol: 'BTCUSDT', period: 'monthly', date: '2024-02' }, '/data/futures/um/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-02.zip'],
    [{ marketType: 'coinm', symbol: 'BTCUSD_PERP', period: 'daily', date: '2024-02-29' }, '/data/futures/cm/daily/klines/BTCUSD_PERP/1m/BTCUSD_PERP-1m-2024-02-29.zip'],
  ] as [DumpFile, string][])('lays out %o as Binance does and parses it back', (file, path) => {
    expect(dumpUrlPath(file)).toBe(path);
    expect(parseDumpUrlPath(path)).toEqual({ ...file, checksum: false });
    expect(parseDumpUrlPath(`${path}.CHECKSUM`)).toEqual({ ...file, checksum: true });
  });

  it('encodes Unicode symbols and rejects paths that are not 1m kline files', () => {
    const file: DumpFile = { marketType: 'spot', symbol: '币安人生USDT', period: 'daily', date: '2026-01-01' };
    expect(dumpUrlPath(file)).not.toMatch(/币/u);
    expect(parseDumpUrlPath(dumpUrlPath(file))?.symbol).toBe('币安人生USDT');
    expect(parseDumpUrlPath('/data/spot/daily/klines/BTCUSDT/5m/BTCUSDT-5m-2021-11-27.zip')).toBeUndefined();
    expect(parseDumpUrlPath('/data/spot/daily/klines/BTCUSDT/1m/ETHUSDT-1m-2021-11-27.zip')).toBeUndefined();
    expect(parseDumpUrlPath('/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2021-11-27.zip')).toBeUndefined();
  });

  it('knows the range a file covers, leap days and month ends included', () => {
    expect(dumpRange({ period: 'monthly', date: '2024-02' })).toEqual({ from: Date.UTC(2024, 1, 1), to: Date.UTC(2024, 2, 1) });
    expect(dumpRange({ period: 'daily', date: '2024-12-31' })).toEqual({ from: Date.UTC(2024, 11, 31), to: Date.UTC(2025, 0, 1) });
  });
});

describe('.CHECKSUM', () => {
  it('reads Binance\'s "<sha256>  <file>" line and names the problem otherwise', () => {
    const hash = sha256(Buffer.from('x'));
    expect(parseChecksum(formatChecksum(hash, 'A-1m-2024-01.zip'), 'A-1m-2024-01.zip')).toBe(hash);
    expect(parseChecksum(`${hash.toUpperCase()} *A.zip\r\n`, 'A.zip')).toBe(hash);
    expect(() => parseChecksum('<html>oops</html>', 'A.zip')).toThrow(/bad-checksum-file.*<html>/);
    expect(() => parseChecksum(formatChecksum(hash, 'B.zip'), 'A.zip')).toThrow(/names "B.zip"/);
  });
});

describe('readCsvBatches', () => {
  it('streams ms (before 2025) and µs (from 2025) rows in batches, BOM skipped', async () => {
    const text = `\uFEFF${dumpCsv('spot', four)}`;
    expect(text).toContain(`${Date.UTC(2025, 0, 1)}000,`);
    const batches = await collect(text);
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    expect(batches.flat()).toEqual(four);
  });

  it('skips a futures header row and reads a last line without a newline', async () => {
    const text = dumpCsv('usdm', four).trimEnd();
    expect(text.startsWith(FUTURES_HEADER)).toBe(true);
    expect((await collect(text, 10)).flat()).toEqual(four);
  });

  it('names the line of a bad row, a repeated minute and a header that is not on line 1', async () => {
    const lines = dumpCsv('spot', four).trimEnd().split('\n');
    await expect(collect([lines[0], lines[1].replace(',1.20,', ',0.50,'), lines[2]].join('\n'))).rejects.toThrow(new DumpRowError(2, 'high 0.50 < low 1.00'));
    await expect(collect([lines[0], lines[1], lines[1]].join('\n'))).rejects.toThrow(/line 3: openTime \d+ repeats/);
    await expect(collect([lines[0], FUTURES_HEADER].join('\n'))).rejects.toThrow(/line 2: header line/);
  });
});

describe('csvBatchesFromBuffer (a checked CSV in memory)', () => {
  // 3,000 rows ≈ 210 KB: four 64 KB pieces, lines cut across their boundaries.
  const many = Array.from({ length: 3000 }, (_, i) => kline(T0 + i * 60_000, { volume: `${i}.5` }));
  const fromBuffer = (csv: Buffer, batchSize: number) =>
    [...csvBatchesFromBuffer(csv, { marketType: 'usdm', symbol: 'BTCUSDT', batchSize })].map((b) => ({ n: b.klines.length, bytes: b.bytes, klines: b.klines }));

  it('gives the stream reader\'s batches for a file of many pieces: BOM, header, CRLF and a last line without newline', async () => {
    const text = `\uFEFF${dumpCsv('usdm', many).replace(/\n/g, '\r\n').trimEnd()}`;
    const csv = Buffer.from(text);
    expect(csv.length).toBeGreaterThan(3 * 64 * 1024);
    const streamed: Kline[][] = [];
    for await (const b of readCsvBatches(Readable.from([csv.subarray(0, 1000), csv.subarray(1000)]), { marketType: 'usdm', symbol: 'BTCUSDT', batchSize: 700 })) streamed.push(b.klines);
    const batches = fromBuffer(csv, 700);
    expect(batches.map((b) => b.klines)).toStrictEqual(streamed);
    expect(batches.map((b) => b.n)).toStrictEqual([700, 700, 700, 700, 200]);
    expect(batches.flatMap((b) => b.klines)).toStrictEqual(many.map((k) => ({ ...k, marketType: 'usdm' })));
    // bytes: through the end of the batch's last line, the whole file at the end.
    const ends = batches.slice(0, -1).map((b) => b.bytes);
    for (const [i, end] of ends.entries()) expect(csv.subarray(0, end).toString().split('\n').length - 1).toBe(1 + 700 * (i + 1));
    expect(batches.at(-1)?.bytes).toBe(csv.length);
  });

  it('names the line of a bad row past the first piece', () => {
    const lines = dumpCsv('spot', many).split('\n');
    lines[2500] = lines[2500].replace(/,0$/, ',0,extra');
    expect(() => fromBuffer(Buffer.from(lines.join('\n')), 5000)).toThrow(/line 2501: expected 12 columns, got 13/);
  });
});

describe('dump zips', () => {
  it('readDumpCsv gives the entry\'s exact bytes, stored or deflated, and refuses a wrong declared size', async () => {
    const text = dumpCsv('spot', four);
    const yazl = (await import('yazl')).default;
    const zipOf = async (compress: boolean) => {
      const z = new yazl.ZipFile();
      z.addBuffer(Buffer.from(text), 'BTCUSDT-1m-2024-12-31.csv', { compress });
      z.end();
      const parts: Buffer[] = [];
      for await (const c of z.outputStream) parts.push(c as Buffer);
      return Buffer.concat(parts);
    };
    for (const compress of [true, false]) {
      const r = await readDumpCsv(await zipOf(compress), 'z');
      expect([r.entryName, r.size, r.csv.toString()]).toStrictEqual(['BTCUSDT-1m-2024-12-31.csv', Buffer.byteLength(text), text]);
    }
    // The central directory's uncompressed size one byte short: the inflate overflows the cap.
    const short = await zipOf(true);
    const central = short.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    short.writeUInt32LE(short.readUInt32LE(central + 24) - 1, central + 24);
    await expect(readDumpCsv(short, 'spot/daily/s.zip')).rejects.toThrow(/spot\/daily\/s.zip: corrupt-zip/);
  });

  it('reads the CSV entry of a zip and checks its CRC-32', async () => {
    const zip = await zipText('BTCUSDT-1m-2024-12-31.csv', dumpCsv('spot', four));
    const { stream, entryName } = await openDumpZip(zip, 'z');
    expect(entryName).toBe('BTCUSDT-1m-2024-12-31.csv');
    const batches: Kline[] = [];
    for await (const b of readCsvBatches(stream, { marketType: 'spot', symbol: 'BTCUSDT' })) batches.push(...b.klines);
    expect(batches).toEqual(four);
  });

  it('rejects a zip whose CRC-32 differs from its bytes, by name', async () => {
    const zip = await zipText('a.csv', dumpCsv('spot', four));
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE((zip.readUInt32LE(central + 16) ^ 1) >>> 0, central + 16);
    await expect(verifyDumpZip(zip, 'spot/daily/a.zip')).rejects.toThrow(/spot\/daily\/a.zip: corrupt-zip: CRC-32/);
  });

  it('rejects what is no zip, a truncated zip and a zip with two entries', async () => {
    const zip = await zipText('a.csv', dumpCsv('spot', four));
    await expect(verifyDumpZip(Buffer.from('not a zip at all, but long enough to look'), 'x')).rejects.toThrow(DumpError);
    await expect(verifyDumpZip(zip.subarray(0, zip.length - 30), 'x')).rejects.toThrow(/corrupt-zip/);
    const yazl = (await import('yazl')).default;
    const two = new yazl.ZipFile();
    two.addBuffer(Buffer.from('1'), 'a.csv');
    two.addBuffer(Buffer.from('2'), 'b.csv');
    two.end();
    const parts: Buffer[] = [];
    for await (const c of two.outputStream) parts.push(c as Buffer);
    await expect(verifyDumpZip(Buffer.concat(parts), 'x')).rejects.toThrow(/expected one .csv entry, found a.csv, b.csv/);
  });
});
