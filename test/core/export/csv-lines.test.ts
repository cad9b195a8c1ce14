import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CsvLineError, intervalOfCsvLine, readDump } from '../../../core/csv-dump';
import { chunkLines, parseCsvLineFast, readDumpFast } from '../../../core/export/csv-lines';
import { parseCsvLine } from '../../../core/parse';
import { FIXTURE_DIR, fixtureFileName } from '../../fixtures/dump-fixtures';
import { rng } from '../../fixtures/trades';

const fixtureLines = (interval: string) => readFileSync(join(FIXTURE_DIR, fixtureFileName(interval)), 'utf8').split('\n').filter((l) => l !== '');

/** Small random edits of a sound line: a character replaced, removed or inserted. */
function mutate(line: string, random: () => number): string {
  const at = Math.floor(random() * line.length);
  const chars = ['1', '0', '.', ',', '-', 'e', ' ', '9', ''];
  const c = chars[Math.floor(random() * chars.length)];
  const kind = Math.floor(random() * 3);
  return kind === 0 ? line.slice(0, at) + c + line.slice(at + 1) : kind === 1 ? line.slice(0, at) + line.slice(at + 1) : line.slice(0, at) + c + line.slice(at);
}

describe('parseCsvLineFast', () => {
  it('gives parseCsvLine’s result for every fixture line and for thousands of damaged ones', () => {
    const random = rng(5);
    const lines = fixtureLines('1m');
    let rejected = 0;
    for (const line of lines) expect(parseCsvLineFast('S', '1m', 60_000, line, 'spot')).toEqual(parseCsvLine('S', '1m', line, 'spot'));
    for (let i = 0; i < 5000; i++) {
      const bad = mutate(lines[Math.floor(random() * lines.length)], random);
      const expected = parseCsvLine('S', '1m', bad, 'spot');
      if (!expected.ok) rejected++;
      expect(parseCsvLineFast('S', '1m', 60_000, bad, 'spot')).toEqual(expected);
    }
    expect(rejected).toBeGreaterThan(2000); // the edits do break lines
  });
});

describe('chunkLines / readDumpFast', () => {
  it('cuts lines across chunk borders, CRLF or LF, with their numbers, and a last line without newline', async () => {
    const text = 'a\r\nbb\n\nccc\r\nd';
    const got: [string, number][] = [];
    for await (const { lines, firstLineNo } of chunkLines(Readable.from(['a\r', '\nb', 'b\n\nc', 'cc\r\nd'].map((s) => Buffer.from(s))))) {
      lines.forEach((l, i) => got.push([l, firstLineNo + i]));
    }
    expect(got).toEqual(text.split(/\r?\n/).map((l, i) => [l, i + 1]));
  });

  it('reads the same klines as readDump, and fails on the same line with the same reason', async () => {
    const lines = fixtureLines('1m');
    const variants = [lines, [lines[0], lines[2], lines[1]], [...lines.slice(0, 5), 'x,y', ...lines.slice(5)], [lines[0], lines[0]]];
    for (const v of variants) {
      const text = `${v.join('\n')}\n`;
      const slow: unknown[] = [];
      const fast: unknown[] = [];
      let slowError: CsvLineError | undefined;
      let fastError: CsvLineError | undefined;
      try {
        for await (const { kline } of readDump(Readable.from([text]), { marketType: 'spot', symbol: 'S' })) slow.push(kline);
      } catch (err) {
        slowError = err as CsvLineError;
      }
      try {
        for await (const ks of readDumpFast(Readable.from([Buffer.from(text)]), { marketType: 'spot', symbol: 'S', intervalOfLine: intervalOfCsvLine })) fast.push(...ks);
      } catch (err) {
        fastError = err as CsvLineError;
      }
      expect([fastError?.line, fastError?.reason]).toEqual([slowError?.line, slowError?.reason]);
      if (!slowError) expect(fast).toEqual(slow);
    }
  });
});
