import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../bin/cli';
import { run } from '../../bin/commands/resample';
import type { Kline } from '../../core/kline';
import { parseCsvLine } from '../../core/parse';
import { FIXTURE_DIR, FIXTURE_SYMBOL, fixtureFileName } from '../fixtures/dump-fixtures';
import { Collect } from './collect';

async function cli(argv: string[]) {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await run(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const fixture = (interval: string) => join(FIXTURE_DIR, fixtureFileName(interval));
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

function klinesOf(text: string, interval: string): Kline[] {
  return lines(text).map((l) => {
    const r = parseCsvLine(FIXTURE_SYMBOL, interval, l, 'spot');
    if (!r.ok) throw new Error(`${r.reason}: ${l}`);
    return r.kline;
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-resample-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write a variant of the 1m fixture under a dump-style name. */
function variant(name: string, edit: (ls: string[]) => string[]): string {
  const path = join(dir, name);
  writeFileSync(path, edit(lines(readFileSync(fixture('1m'), 'utf8'))).join('\n') + '\n');
  return path;
}

const toMillis = (l: string) => {
  const c = l.split(',');
  c[0] = String(Math.floor(Number(c[0]) / 1000));
  c[6] = String(Math.floor(Number(c[6]) / 1000));
  return c.join(',');
};

/** The same row with a 5m close time. */
const fiveMinuteRow = (l: string) => {
  const c = l.split(',');
  c[6] = String(Number(c[0]) + 300_000_000 - 1);
  return c.join(',');
};

describe('cli resample', () => {
  it.each(['5m', '15m', '30m', '1h'])('reproduces the %s dump built from trades, field by field', async (to) => {
    // Act
    const out = await cli(['--to', to, fixture('1m')]);
    // Assess
    expect([out.code, out.stderr]).toEqual([0, '']);
    expect(klinesOf(out.stdout, to)).toEqual(klinesOf(readFileSync(fixture(to), 'utf8'), to));
  });

  it('writes ms timestamps, the input’s 8 fraction digits and 0 in the last column', async () => {
    const out = await cli(['--to', '1h', fixture('1m')]);
    for (const l of lines(out.stdout)) {
      const c = l.split(',');
      expect(c).toHaveLength(12);
      expect([c[0].length, c[6].length, c[11]]).toEqual([13, 13, '0']);
      for (const i of [1, 2, 3, 4, 5, 7, 9, 10]) expect(c[i]).toMatch(/^\d+\.\d{8}$/);
    }
  });

  it('gives the same output for a ms file with a header line (dumps before 2025, futures style)', async () => {
    // Prepare
    const header = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';
    const millis = variant('TESTUSDT-1m-2025-03-01.csv', (ls) => [header, ...ls.map(toMillis)]);
    // Act
    const [fromMillis, fromMicros] = await Promise.all([cli(['--to', '15m', millis]), cli(['--to', '15m', fixture('1m')])]);
    // Assess
    expect(fromMillis.code).toBe(0);
    expect(fromMillis.stdout).toBe(fromMicros.stdout);
  });

  it('reads the .zip as downloaded from data.binance.vision, giving the CSV’s output', async () => {
    const [zip, csv] = await Promise.all([cli(['--to', '30m', join(FIXTURE_DIR, 'TESTUSDT-1m-2025-03-01.zip')]), cli(['--to', '30m', fixture('1m')])]);
    expect(zip.code).toBe(0);
    expect(zip.stdout).toBe(csv.stdout);
  });

  it('rejects a truncated .zip with nothing on stdout', async () => {
    const path = join(dir, 'TESTUSDT-1m-2025-03-01.zip');
    writeFileSync(path, readFileSync(join(FIXTURE_DIR, 'TESTUSDT-1m-2025-03-01.zip')).subarray(0, 20_000));
    const out = await cli(['--to', '5m', path]);
    expect([out.code, out.stdout]).toEqual([1, '']);
    expect(out.stderr).toMatch(/TESTUSDT-1m-2025-03-01\.zip: cannot read: unexpected end of file/);
  });

  it('streams a file of several days', async () => {
    const day = lines(readFileSync(fixture('1m'), 'utf8'));
    const shift = (l: string, days: number) => {
      const c = l.split(',');
      c[0] = String(Number(c[0]) + days * 86_400_000_000);
      c[6] = String(Number(c[6]) + days * 86_400_000_000);
      return c.join(',');
    };
    const path = variant('TESTUSDT-1m-2025-03.csv', () => [0, 1, 2].flatMap((d) => day.map((l) => shift(l, d))));
    const out = await cli(['--to', '1h', path]);
    expect([out.code, lines(out.stdout).length]).toEqual([0, 72]);
  });

  it('resamples a 5m dump into 1h (source interval from the data)', async () => {
    const out = await cli(['--to', '1h', fixture('5m')]);
    expect(out.code).toBe(0);
    expect(klinesOf(out.stdout, '1h')).toEqual(klinesOf(readFileSync(fixture('1h'), 'utf8'), '1h'));
  });

  it('notes windows built from missing minutes on stderr, never passing them off silently', async () => {
    const gappy = variant('TESTUSDT-1m-2025-03-01.csv', (ls) => ls.filter((_, i) => i !== 100 && i !== 101 && i !== 700));
    const out = await cli(['--to', '5m', gappy]);
    expect(out.code).toBe(0);
    expect(lines(out.stdout)).toHaveLength(288);
    expect(out.stderr).toMatch(/2 of 288 5m klines were built from fewer 1m klines/);
  });

  it.each<[string, (ls: string[]) => string[], RegExp]>([
    ['a corrupt price', (ls) => ls.map((l, i) => (i === 699 ? l.replace(/^(\d+),[^,]+/, '$1,abc') : l)), /line 700: open is not a decimal: "abc"/],
    ['a repeated minute', (ls) => [...ls.slice(0, 10), ls[9], ...ls.slice(10)], /line 11: openTime \d+ repeats the previous line/],
    ['a truncated last line', (ls) => [...ls.slice(0, -1), ls[ls.length - 1].slice(0, 30)], /line 1440: expected 12 columns, got 3/],
    ['a 5m row in a 1m file', (ls) => [ls[0], fiveMinuteRow(ls[1])], /line 2: closeTime \d+ ≠ openTime \+ 1m − 1 ms/],
  ])('rejects %s: file, line and problem on stderr, nothing on stdout, exit 1', async (_name, edit, expected) => {
    const path = variant(`TESTUSDT-1m-2025-03-01.csv`, edit);
    const out = await cli(['--to', '5m', path]);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(expected);
    expect(out.stderr).toContain(path);
    expect(lines(out.stderr)).toHaveLength(1);
  });

  it('rejects a target shorter than the file’s interval', async () => {
    const out = await cli(['--to', '5m', fixture('1h')]);
    expect([out.code, out.stdout]).toEqual([1, '']);
    expect(out.stderr).toMatch(/line 1: cannot resample 1h into 5m/);
  });

  it.each<[string[], RegExp]>([
    [[fixture('1m')], /--to is required/],
    [['--to', '7m', fixture('1m')], /--to 7m is not an interval/],
    [['--to', '1d', '--time-zone', '+15:00', fixture('1m')], /--time-zone: time zone "\+15:00" is outside \[-12:00, \+14:00\]/],
    [['--to', '1d', '--time-zone', 'Asia/Tokyo', fixture('1m')], /--time-zone: time zone "Asia\/Tokyo" is not hours\[:minutes\]/],
    [['--to', '5m'], /no FILE\.csv given/],
    [['--to', '5m', '--fast', fixture('1m')], /Unknown option '--fast'/],
  ])('exits 2 with usage for bad arguments %j', async (argv, expected) => {
    const out = await cli(argv);
    expect([out.code, out.stdout]).toEqual([2, '']);
    expect(out.stderr).toMatch(expected);
    expect(out.stderr).toMatch(/usage:/);
  });

  it('builds +08:00 days (Binance timeZone) equal to resampling the same klines in core, and every longer interval', async () => {
    const path = variant('TESTUSDT-1m-2025-03.csv', (ls) => ls); // one day: two +08:00 days, each partial
    const out = await cli(['--to', '1d', '--time-zone', '+08:00', path]);
    expect(out.code).toBe(0);
    const opens = lines(out.stdout).map((l) => Number(l.split(',')[0]));
    expect(opens).toEqual([Date.UTC(2025, 1, 28, 16), Date.UTC(2025, 2, 1, 16)]);
    expect(out.stderr).toMatch(/2 of 2 1d klines were built from fewer 1m klines/);
    for (const to of ['3m', '2h', '6h', '8h', '12h', '3d', '1w', '1M']) {
      const r = await cli(['--to', to, path]);
      expect([to, r.code]).toEqual([to, 0]);
      const first = lines(r.stdout)[0].split(',');
      expect(Number(first[6]) - Number(first[0]) + 1).toBe(
        { '3m': 180_000, '2h': 7_200_000, '6h': 21_600_000, '8h': 28_800_000, '12h': 43_200_000, '3d': 259_200_000, '1w': 604_800_000, '1M': 31 * 86_400_000 }[to],
      );
    }
  });

  it('opens 3d bars where Binance opens its 3d klines (every third day from 1970-01-02), not on the file\'s first day', async () => {
    // 2025-03-01 lies in Binance's 3d window of 2025-02-27 (BTCUSDT 3d klines open 2017-08-17, 2026-07-01; docs/export.md)
    const r = await cli(['--to', '3d', variant('TESTUSDT-1m-2025-03.csv', (ls) => ls)]);
    expect(r.code).toBe(0);
    const bars = lines(r.stdout).map((l) => l.split(','));
    expect(bars.map((b) => [Number(b[0]), Number(b[6])])).toEqual([[Date.UTC(2025, 1, 27), Date.UTC(2025, 2, 2) - 1]]);
    expect(r.stderr).toMatch(/1 of 1 3d klines were built from fewer 1m klines/);
  });

  it('writes --out FILE only when complete: a bad line leaves no file', async () => {
    const good = join(dir, 'out-good.csv');
    const bad = join(dir, 'out-bad.csv');
    expect((await cli(['--to', '1h', '--out', good, fixture('1m')])).code).toBe(0);
    expect(lines(readFileSync(good, 'utf8'))).toHaveLength(24);
    const r = await cli(['--to', '1h', '--out', bad, variant('TESTUSDT-1m-2025-03-01.csv', (ls) => [...ls.slice(0, 900), 'garbage'])]);
    expect(r.code).toBe(1);
    expect(() => readFileSync(bad)).toThrow(/ENOENT/);
    expect(() => readFileSync(`${bad}.partial`)).toThrow(/ENOENT/);
  });

  it('refuses a zone whose days straddle the file’s bars', async () => {
    const out = await cli(['--to', '1d', '--time-zone', '+05:45', fixture('1h')]);
    expect([out.code, out.stdout]).toEqual([1, '']);
    expect(out.stderr).toMatch(/1h windows straddle that zone's 1d windows/);
  });

  it('rejects a file with no klines', async () => {
    const out = await cli(['--to', '5m', variant('EMPTY-1m-2025-03-01.csv', () => [])]);
    expect([out.code, out.stdout]).toEqual([1, '']);
    expect(out.stderr).toMatch(/EMPTY-1m-2025-03-01\.csv: no klines in the file/);
  });

  it('names a missing file', async () => {
    const out = await cli(['--to', '5m', join(dir, 'absent-1m-2025-01-01.csv')]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/absent-1m-2025-01-01\.csv: cannot read: ENOENT/);
  });
});

describe('cli dispatcher', () => {
  it('prints usage listing every command for help, and exits 2 without a command', async () => {
    const help = new Collect();
    const none = new Collect();
    expect(await main(['help'], { stdout: help, stderr: new Collect() })).toBe(0);
    expect(await main([], { stdout: new Collect(), stderr: none })).toBe(2);
    for (const command of ['resample --to', 'import FILE.csv', 'report --from']) expect(help.text).toContain(command);
    expect(none.text).toMatch(/^no command given\n\nusage:/);
  });

  it.each([
    ['export', '--monthly'],
    ['history', '--max-mbps'],
    ['store', '--no-retention'],
    ['audit', '--date'],
  ])('answers "%s --help" on stdout with that command\'s usage (every option, e.g. %s), exit 0', async (name, option) => {
    const stdout = new Collect();
    const stderr = new Collect();
    expect(await main([name, '--interval', '1m', '--help'], { stdout, stderr })).toBe(0);
    expect(stdout.text).toMatch(new RegExp(`^usage: npm run (-s )?cli -- ${name} `));
    expect(stdout.text).toContain(option);
    expect(stdout.text).toContain('Store URLs:');
    expect(stdout.text).not.toContain('commands:');
    expect(stderr.text).toBe('');
  });

  it('hands the remaining arguments to the command', async () => {
    const stdout = new Collect();
    expect(await main(['resample', '--to', '1h', fixture('1m')], { stdout, stderr: new Collect() })).toBe(0);
    expect(lines(stdout.text)).toHaveLength(24);
  });
});

describe('cli entry point (spawned)', () => {
  const exec = promisify(execFile);
  const root = join(__dirname, '..', '..');
  const spawnCli = async (args: string[]) => {
    try {
      const r = await exec('npx', ['tsx', 'bin/cli.ts', ...args], { cwd: root });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('exits 2 with the usage text for an unknown command, 1 with nothing on stdout for a bad file', async () => {
    const unknown = await spawnCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"[\s\S]*resample --to/);
    const bad = await spawnCli(['resample', '--to', '5m', variant('BAD-1m-2025-03-01.csv', (ls) => [ls[0], 'garbage'])]);
    expect([bad.code, bad.stdout]).toEqual([1, '']);
    expect(bad.stderr).toMatch(/BAD-1m-2025-03-01\.csv: line 2: /);
  });
});
