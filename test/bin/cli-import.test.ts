import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type ImportDeps } from '../../bin/commands/import';
import { StoreUnavailableError } from '../../core/errors';
import type { Kline } from '../../core/kline';
import { parseCsvLine } from '../../core/parse';
import { openStore } from '../../core/store/index';
import type { KlineStore } from '../../core/store/port';
import { FIXTURE_DIR, FIXTURE_SYMBOL, fixtureFileName } from '../fixtures/dump-fixtures';
import { Collect } from './collect';

async function cli(argv: string[], deps: ImportDeps = {}, tty = false) {
  const stdout = new Collect();
  const stderr = new Collect(tty);
  const code = await run(argv, { stdout, stderr }, { env: {}, ...deps });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const DAY = Date.UTC(2025, 2, 1);
const fixture = (interval: string) => join(FIXTURE_DIR, fixtureFileName(interval));

function fixtureKlines(interval: string, symbol = FIXTURE_SYMBOL): Kline[] {
  return readFileSync(fixture(interval), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = parseCsvLine(symbol, interval, l, 'spot');
      if (!r.ok) throw new Error(r.reason);
      return r.kline;
    });
}

let dir: string;
let n = 0;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-import-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const dbUrl = () => `sqlite:${join(dir, `k${++n}.db`)}`;

async function readBack(url: string, interval: '1m' | '5m', symbols?: string[]): Promise<Kline[]> {
  const store = await openStore({ kind: 'sqlite', path: url.slice('sqlite:'.length) });
  try {
    return await store.read({ marketType: 'spot', interval, symbols, from: DAY - 86_400_000, to: DAY + 2 * 86_400_000 });
  } finally {
    await store.close();
  }
}

/** A copy of the 1m fixture under `name`, optionally edited. */
function dumpFile(name: string, edit: (ls: string[]) => string[] = (ls) => ls): string {
  const path = join(dir, name);
  const ls = readFileSync(fixture('1m'), 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(path, edit(ls).join('\n') + '\n');
  return path;
}

const negativeTrades = (l: string) => {
  const c = l.split(',');
  c[8] = `-${c[8]}`;
  return c.join(',');
};

describe('cli import', () => {
  it('stores a 1m day exactly and says so in one summary line', async () => {
    // Prepare
    const url = dbUrl();
    // Act
    const out = await cli([fixture('1m'), '--store', url]);
    // Assess
    expect([out.code, out.stderr]).toEqual([0, '']);
    expect(out.stdout).toBe(`imported 1 file, 1,440 spot 1m klines of TESTUSDT (1,440 new or changed) into ${url}\n`);
    expect(await readBack(url, '1m')).toEqual(fixtureKlines('1m'));
  });

  it('imports the .zip as downloaded', async () => {
    const url = dbUrl();
    const out = await cli([join(FIXTURE_DIR, 'TESTUSDT-1m-2025-03-01.zip'), '--store', url]);
    expect(out.code).toBe(0);
    expect(await readBack(url, '1m')).toEqual(fixtureKlines('1m'));
  });

  it('refuses a zip whose CSV fails its CRC-32, naming the file, with nothing of it written', async () => {
    const url = dbUrl();
    const zip = readFileSync(join(FIXTURE_DIR, 'TESTUSDT-1m-2025-03-01.zip'));
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE((zip.readUInt32LE(central + 16) ^ 0x10) >>> 0, central + 16);
    const path = join(dir, 'TESTUSDT-1m-2025-03-01.zip');
    writeFileSync(path, zip);
    const out = await cli([path, '--store', url]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/TESTUSDT-1m-2025-03-01.zip: cannot read: .*corrupt-zip: CRC-32/);
    expect(await readBack(url, '1m')).toEqual([]);
  });

  it('streams a file into the store one batch at a time', async () => {
    const url = dbUrl();
    const store = await openStore({ kind: 'sqlite', path: url.slice('sqlite:'.length) });
    const sizes: number[] = [];
    const spy: KlineStore = { ...store, applySchema: (o) => store.applySchema(o), checkSchema: (o) => store.checkSchema(o), close: () => store.close(), upsert: (i, k) => (sizes.push(k.length), store.upsert(i, k)) };
    const out = await cli([fixture('1m'), '--store', url, '--batch', '100'], { openStore: async () => spy });
    expect(out.code).toBe(0);
    expect(Math.max(...sizes)).toBe(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1440);
  });

  it('is idempotent: importing again changes nothing', async () => {
    const url = dbUrl();
    await cli([fixture('1m'), '--store', url, '--batch', '500']);
    const again = await cli([fixture('1m'), '--store', url, '--batch', '500']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/1,440 spot 1m klines of TESTUSDT \(0 new or changed\)/);
    expect(await readBack(url, '1m')).toHaveLength(1440);
  });

  it('stores a Binance 5m dump in klines_5m as complete bars', async () => {
    const url = dbUrl();
    const out = await cli([fixture('5m'), '--store', url]);
    expect(out.code).toBe(0);
    const stored = await readBack(url, '5m');
    expect(stored).toEqual(fixtureKlines('5m').map((k) => ({ ...k, sourceCount: 5 })));
  });

  it('takes the symbol from --symbol when the file name does not follow the dump pattern', async () => {
    const url = dbUrl();
    const path = dumpFile('day.csv');
    const without = await cli([path, '--store', url]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/day\.csv: cannot tell the symbol from the file name .* pass --symbol/);
    const withSymbol = await cli([path, '--store', url, '--symbol', 'ÄBCUSDT']);
    expect(withSymbol.code).toBe(0);
    expect((await readBack(url, '1m', ['ÄBCUSDT'])).map((k) => k.openTime)).toEqual(fixtureKlines('1m').map((k) => k.openTime));
  });

  it('stops at a bad line with file, line and problem; earlier files stay complete, the bad file is not written at all', async () => {
    // Prepare: a good file, then one with a corrupt line 900
    const url = dbUrl();
    const good = dumpFile('GOODUSDT-1m-2025-03-01.csv');
    const bad = dumpFile('BADUSDT-1m-2025-03-01.csv', (ls) => ls.map((l, i) => (i === 899 ? negativeTrades(l) : l)));
    // Act
    const out = await cli([good, bad, '--store', url, '--batch', '100']);
    // Assess
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`${bad}: line 900: trades is not a non-negative integer`);
    expect(out.stderr).toMatch(/imported before the problem: 1 file, 1,440 spot 1m klines of GOODUSDT/);
    expect(await readBack(url, '1m', ['GOODUSDT'])).toHaveLength(1440);
    expect(await readBack(url, '1m', ['BADUSDT'])).toHaveLength(0);
  });

  it('reports a store that fails mid-file with how far it got, and a re-run completes the file', async () => {
    // Prepare: a real store whose second upsert fails
    const url = dbUrl();
    const real = await openStore({ kind: 'sqlite', path: url.slice('sqlite:'.length) });
    let calls = 0;
    const flaky: KlineStore = Object.assign(Object.create(real) as KlineStore, {
      upsert: (interval: '1m', klines: readonly Kline[]) => (++calls === 2 ? Promise.reject(new StoreUnavailableError('connection reset')) : real.upsert(interval, klines)),
      close: async () => undefined,
    });
    // Act
    const failed = await cli([fixture('1m'), '--batch', '1000'], { openStore: async () => flaky });
    const rerun = await cli([fixture('1m'), '--batch', '1000'], { openStore: async () => flaky });
    // Assess
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/the store failed after 1,000 of 1,440 klines of this file were written \(re-running the import is safe\): connection reset/);
    expect(failed.stderr).toMatch(/nothing was imported into/);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/\(440 new or changed\)/);
    expect(await real.read({ marketType: 'spot', interval: '1m', from: DAY, to: DAY + 86_400_000 })).toHaveLength(1440);
    await real.close();
  });

  it('shows progress on a terminal only', async () => {
    const url = dbUrl();
    const quiet = await cli([fixture('1m'), '--store', url], {}, false);
    const shown = await cli([fixture('1m'), '--store', url, '--batch', '500'], {}, true);
    expect(quiet.stderr).toBe('');
    expect(shown.stderr).toContain('\r');
    expect(shown.stderr).toMatch(/1,000\/1,440 klines/);
  });

  it('uses KLINE_STORE when --store is absent', async () => {
    const url = dbUrl();
    const out = await cli([fixture('1m')], { env: { KLINE_STORE: url } });
    expect(out.stdout).toContain(`into ${url}`);
  });

  it.each<[string[], RegExp]>([
    [[], /no FILE\.csv given/],
    [['x.csv', '--store', 'postgres://db'], /--store: expected sqlite:PATH/],
    [['x.csv', '--batch', '0'], /--batch expects a positive integer/],
  ])('exits 2 for bad arguments %j', async (argv, expected) => {
    const out = await cli(argv);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(expected);
  });

  it('refuses an interval that has no table', async () => {
    const path = join(dir, 'TESTUSDT-3m-2025-03-01.csv');
    copyFileSync(fixture('1m'), path);
    const out = await cli([path, '--store', dbUrl()]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/interval 3m is not stored/);
  });
});
