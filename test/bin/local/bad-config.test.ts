/**
 * Bad configuration of `npm start`: each case gives one message naming the setting, and nothing
 * hangs, spins or prints a stack. The table below is the list of cases tried (issue 14, item 12).
 *
 * | # | input                                              | message names         |
 * |---|----------------------------------------------------|-----------------------|
 * | 1 | --duration 2147484 (beyond Node's timer limit)      | --duration            |
 * | 2 | --duration 0 / -1 / abc / 1e999                     | --duration            |
 * | 3 | --speed 1e9                                         | --speed               |
 * | 4 | --speed 0 / NaN                                     | --speed               |
 * | 5 | --markets 200000                                    | --markets             |
 * | 6 | --markets 1.5 / 0                                   | --markets             |
 * | 7 | --faults , / --faults "" / --faults (last)          | --faults              |
 * | 8 | --faults nonsense                                   | --faults (entry)      |
 * | 9 | --seed -3                                           | --seed                |
 * |10 | --report-every 0 / 100000                           | --report-every        |
 * |11 | --reports (no folder) / --reports --sim             | --reports             |
 * |12 | --stop-timeout 0                                    | --stop-timeout        |
 * |13 | --markets 5 without --sim                           | --markets             |
 * |14 | --bogus                                             | the unknown option    |
 * |15 | MARKETS_SYMBOLS with --sim                          | MARKETS_SYMBOLS       |
 * |16 | MARKETS_QUOTE_ASSETS with --sim                     | MARKETS_QUOTE_ASSETS  |
 * |17 | BINANCE_REST_URL / BINANCE_STREAM_URL with --sim    | that setting          |
 * |18 | MONGODB_URI beside KLINE_STORE                      | KLINE_STORE, MONGODB_URI |
 * |19 | KLINE_STORE=sqlite:                                 | KLINE_STORE           |
 * |20 | KLINE_STORE=postgres://…                            | KLINE_STORE           |
 * |21 | MARKETS_SYMBOLS="BTC USDT"                          | MARKETS_SYMBOLS       |
 * |22 | BINANCE_REST_URL=ftp://…                            | BINANCE_REST_URL      |
 * |23 | --reports /proc/x (Node's recursive mkdir spins)    | --reports             |
 * |24 | --reports under a file                              | --reports             |
 * |25 | --reports on a read-only folder (root: tmpfs ro)    | --reports             |
 * |26 | store folder on a read-only filesystem              | KLINE_STORE           |
 * |27 | MARKET_TYPES=spot,options / MARKET_TYPES=,          | MARKET_TYPES          |
 * |28 | BINANCE_USDM_REST_URL=ftp://… (live)                | BINANCE_USDM_REST_URL |
 * |29 | BINANCE_COINM_STREAM_URL / MARKETS_USDM_SYMBOLS with --sim | that setting   |
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStoreConfig } from '../../../core/config';
import { readVenueConfigs } from '../../../ingest-task/config';
import { checkLocalEnv, parseLocalArgs } from '../../../bin/local/args';
import { prepareFolder } from '../../../bin/local/folders';

const ROOT = join(__dirname, '../../..');

/** The checks `npm start` runs before it starts anything, in its order; the first message. */
function problem(argv: string[], env: Record<string, string> = {}): string | undefined {
  try {
    const o = parseLocalArgs(argv);
    checkLocalEnv(o, env);
    readStoreConfig(env);
    // The Fargate task's reader: MARKET_TYPES and each type's endpoints and filters.
    readVenueConfigs(env);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('bad configuration: one message naming the setting', () => {
  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['duration beyond the timer limit', ['--sim', '--duration', '2147484'], {}, /^--duration is at most 2147483/],
    ['duration zero', ['--sim', '--duration', '0'], {}, /^--duration needs a positive number/],
    ['duration negative', ['--sim', '--duration', '-1'], {}, /^--duration needs a positive number/],
    ['duration text', ['--sim', '--duration', 'abc'], {}, /^--duration needs a positive number/],
    ['duration infinite', ['--sim', '--duration', '1e999'], {}, /^--duration needs a positive number/],
    ['speed 1e9', ['--sim', '--speed', '1e9'], {}, /^--speed is at most 10000/],
    ['speed zero', ['--sim', '--speed', '0'], {}, /^--speed needs a positive number/],
    ['speed NaN', ['--sim', '--speed', 'NaN'], {}, /^--speed needs a positive number/],
    ['markets 200000', ['--sim', '--markets', '200000'], {}, /^--markets is at most 20000/],
    ['markets fraction', ['--sim', '--markets', '1.5'], {}, /^--markets needs a positive integer/],
    ['markets zero', ['--sim', '--markets', '0'], {}, /^--markets needs a positive integer/],
    ['faults ","', ['--sim', '--faults', ','], {}, /^--faults needs a list of fault names/],
    ['faults empty', ['--sim', '--faults', ''], {}, /^--faults needs a list/],
    ['faults missing', ['--sim', '--faults'], {}, /^--faults needs a list/],
    ['faults eating the next flag', ['--faults', '--sim'], {}, /^--faults needs a list/],
    ['seed negative', ['--sim', '--seed', '-3'], {}, /^--seed needs a positive integer/],
    ['report-every zero', ['--sim', '--report-every', '0'], {}, /^--report-every needs a positive integer/],
    ['report-every huge', ['--sim', '--report-every', '100000'], {}, /^--report-every is at most 10080/],
    ['reports missing', ['--sim', '--reports'], {}, /^--reports needs a folder/],
    ['reports eating the next flag', ['--reports', '--sim'], {}, /^--reports needs a folder/],
    ['stop-timeout zero', ['--sim', '--stop-timeout', '0'], {}, /^--stop-timeout needs a positive number/],
    ['sim-only flag without --sim', ['--markets', '5'], {}, /^--markets only apply with --sim/],
    ['unknown option', ['--bogus'], {}, /^unknown option "--bogus"/],
    ['MARKETS_SYMBOLS with --sim', ['--sim'], { MARKETS_SYMBOLS: 'BTCUSDT' }, /^MARKETS_SYMBOLS does not apply with --sim/],
    ['MARKETS_QUOTE_ASSETS with --sim', ['--sim'], { MARKETS_QUOTE_ASSETS: 'USDT' }, /^MARKETS_QUOTE_ASSETS does not apply with --sim/],
    ['BINANCE_REST_URL with --sim', ['--sim'], { BINANCE_REST_URL: 'http://127.0.0.1:1' }, /^BINANCE_REST_URL does not apply with --sim/],
    ['BINANCE_STREAM_URL with --sim', ['--sim'], { BINANCE_STREAM_URL: 'ws://127.0.0.1:1' }, /^BINANCE_STREAM_URL does not apply with --sim/],
    ['MONGODB_URI beside KLINE_STORE', [], { KLINE_STORE: 'sqlite:./k.db', MONGODB_URI: 'mongodb://h/db' }, /^KLINE_STORE and MONGODB_URI are both set/],
    ['KLINE_STORE sqlite without a path', [], { KLINE_STORE: 'sqlite:' }, /^KLINE_STORE/],
    ['KLINE_STORE of another database', [], { KLINE_STORE: 'postgres://u:pw@h/db' }, /^KLINE_STORE: expected sqlite:PATH/],
    ['MARKETS_SYMBOLS with a space', [], { MARKETS_SYMBOLS: 'BTC USDT' }, /^MARKETS_SYMBOLS/],
    ['BINANCE_REST_URL not http', [], { BINANCE_REST_URL: 'ftp://example.com' }, /^BINANCE_REST_URL/],
    ['MARKET_TYPES with an unknown type', [], { MARKET_TYPES: 'spot,options' }, /^MARKET_TYPES: "options" is not a market type/],
    ['MARKET_TYPES with no type', ['--sim'], { MARKET_TYPES: ',' }, /^MARKET_TYPES/],
    ['BINANCE_USDM_REST_URL not http', [], { BINANCE_USDM_REST_URL: 'ftp://example.com' }, /^BINANCE_USDM_REST_URL/],
    ['BINANCE_COINM_STREAM_URL with --sim', ['--sim'], { BINANCE_COINM_STREAM_URL: 'ws://127.0.0.1:1' }, /^BINANCE_COINM_STREAM_URL does not apply with --sim/],
    ['MARKETS_USDM_SYMBOLS with --sim', ['--sim'], { MARKETS_USDM_SYMBOLS: 'BTCUSDT' }, /^MARKETS_USDM_SYMBOLS does not apply with --sim/],
  ])('%s', (_name, argv, env, expected) => {
    const message = problem(argv, env);
    expect(message).toMatch(expected);
    expect(message).not.toMatch(/\n\s+at /);
  });

  it('a good configuration passes', () => {
    expect(problem(['--sim', '--markets', '20', '--speed', '600', '--duration', '2147483'])).toBeUndefined();
    expect(problem([], { MARKETS_SYMBOLS: 'BTCUSDT,币安人生USDT' })).toBeUndefined();
  });

  it.each<[string, () => string, RegExp]>([
    ['a folder under /proc (Node 20 recursive mkdir spins there)', () => '/proc/x/reports', /^--reports: cannot create the folder \/proc\/x/],
    ['a folder under a file', () => {
      const file = join(mkdtempSync(join(tmpdir(), 'kline-cfg-')), 'file');
      writeFileSync(file, '');
      return join(file, 'reports');
    }, /^--reports: .*a part of the path is a file, not a folder \(ENOTDIR\)/],
  ])('--reports on %s fails at once, naming the setting', (_name, dir, expected) => {
    expect(() => prepareFolder('--reports', dir())).toThrow(expected);
  });

  (process.getuid?.() === 0 ? it : it.skip)('a read-only filesystem is named as such (root: a read-only tmpfs)', () => {
    const mount = mkdtempSync(join(tmpdir(), 'kline-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mount]);
    try {
      expect(() => prepareFolder('KLINE_STORE', join(mount, 'data'))).toThrow(/^KLINE_STORE: cannot create the folder .*: the filesystem is read-only \(EROFS\)/);
      expect(() => prepareFolder('--reports', mount)).toThrow(/^--reports: cannot write in .*read-only \(EROFS\)/);
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  it.each<[string[], Record<string, string>, RegExp]>([
    [['--sim', '--markets', '200000'], {}, /^--markets is at most 20000/],
    [['--sim', '--reports', '/proc/x'], {}, /^Configuration error: --reports: cannot create the folder \/proc\/x/],
    [['--sim'], { MARKETS_SYMBOLS: 'BTCUSDT' }, /^Configuration error: MARKETS_SYMBOLS does not apply with --sim/],
  ])('npm start %j exits at once with one message', (argv, env, expected) => {
    const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'bin/local.ts'), ...argv], {
      cwd: mkdtempSync(join(tmpdir(), 'kline-cfg-')),
      env: { ...process.env, KLINE_STORE: '', MONGODB_URI: '', ...env },
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr.toString()).toMatch(expected);
    expect(run.stderr.toString()).not.toMatch(/\n\s+at /);
  }, 40_000);
});
