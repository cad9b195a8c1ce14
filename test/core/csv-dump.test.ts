import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { CsvLineError, formatCsvRow, intervalOfCsvLine, parseDumpFileName, readDump } from '../../core/csv-dump';
import { parseCsvLine } from '../../core/parse';

const LINE = '1735689600000000,93576.00000000,93610.93000000,93537.50000000,93610.93000000,8.21827000,1735689659999999,768978.55261290,1764,3.92393000,367196.28868410,0';

describe('dump file names', () => {
  it.each<[string, object | undefined]>([
    ['/data/BTCUSDT-1m-2025-01-01.csv', { symbol: 'BTCUSDT', interval: '1m', period: '2025-01-01' }],
    ['ETHBTC-1h-2024-12.csv', { symbol: 'ETHBTC', interval: '1h', period: '2024-12' }],
    ['币安人生USDT-15m-2025-11-02.csv', { symbol: '币安人生USDT', interval: '15m', period: '2025-11-02' }],
    ['BTCUSDT-1m-2025-01-01.zip', { symbol: 'BTCUSDT', interval: '1m', period: '2025-01-01' }],
    ['BTCUSDT-1m-2025-01-01.csv.CHECKSUM', undefined],
    ['BTCUSDT-7m-2025-01-01.csv', undefined],
    ['klines.csv', undefined],
  ])('%s → %j', (name, expected) => {
    expect(parseDumpFileName(name)).toEqual(expected);
  });
});

describe('dump lines', () => {
  it('numbers lines as node:readline splits them (\\n, \\r\\n, lone \\r), however the stream is chunked', async () => {
    const at = (i: number) => LINE.replace(/^1735689600000000/, `${1735689600000 + i * 60_000}000`).replace('1735689659999999', `${1735689659999 + i * 60_000}999`);
    const text = `${at(0)}\r\n${at(1)}\r${at(2)}\n\r\n\r${at(3)}\r\n\n${at(4)}\r`;
    const oracle: [number, number][] = [];
    let n = 0;
    for await (const line of createInterface({ input: Readable.from([text]), crlfDelay: Infinity })) {
      n++;
      if (line.trim() !== '') oracle.push([n, (parseCsvLine('X', '1m', line, 'spot') as { kline: { openTime: number } }).kline.openTime]);
    }
    expect(oracle).toHaveLength(5);
    for (let cut = 0; cut <= text.length; cut += 7) {
      const got: [number, number][] = [];
      for await (const { line, kline } of readDump(Readable.from([text.slice(0, cut), text.slice(cut)]), { marketType: 'spot', symbol: 'X' })) got.push([line, kline.openTime]);
      expect([cut, got]).toStrictEqual([cut, oracle]);
    }
  });

  it('tells the interval from a line’s own times', () => {
    expect(intervalOfCsvLine(LINE)).toBe('1m');
    expect(intervalOfCsvLine(LINE.replace('1735689659999999', '1735693199999999'))).toBe('1h');
    expect(intervalOfCsvLine('a,b')).toBeUndefined();
  });

  it('writes a kline back as the same line with ms timestamps', () => {
    const r = parseCsvLine('BTCUSDT', '1m', LINE, 'spot');
    expect(r.ok && formatCsvRow(r.kline)).toBe(LINE.replace('1735689600000000', '1735689600000').replace('1735689659999999', '1735689659999'));
  });

  it('reads a stream skipping a header and blank lines, counting lines as the file does', async () => {
    const text = `open_time,open,high\r\n${LINE}\r\n\r\n${LINE.replace(/^1735689600000000/, '1735689660000000').replace('1735689659999999', '1735689719999999')}\r\n`;
    const got = [];
    for await (const { line, kline } of readDump(Readable.from([text]), { marketType: 'spot', symbol: 'X' })) got.push([line, kline.openTime]);
    expect(got).toEqual([
      [2, 1735689600000],
      [4, 1735689660000],
    ]);
  });

  it('throws CsvLineError for a line out of order', async () => {
    const read = async () => {
      for await (const _ of readDump(Readable.from([`${LINE}\n${LINE}\n`]), { marketType: 'spot', symbol: 'X', interval: '1m' })) void _;
    };
    await expect(read()).rejects.toThrow(CsvLineError);
    await expect(read()).rejects.toThrow(/line 2: openTime 1735689600000 repeats the previous line/);
  });
});
