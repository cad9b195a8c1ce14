import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type HistoryDeps } from '../../bin/commands/history';
import type { Kline } from '../../core/kline';
import type { MongoClient } from 'mongodb';
import { openStore } from '../../core/store/index';
import { DEFAULT_MAX_TIME_MS, MongoKlineStore } from '../../core/store/mongo';
import { startSimulator, type Simulator } from '../../sim';
import { Collect } from './collect';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5);
/** Listed 2025-11-30: its daily, monthly 2025-12, dailies 2026-01-01..03, REST for 01-04. */
const DAYS = 36;

let sim: Simulator;
let dir: string;
let symbols: string[];

beforeAll(async () => {
  // One market with a Unicode symbol: its files' paths are URL-encoded.
  sim = await startSimulator({ markets: 1, seed: 21, speed: 1, historyMs: DAYS * DAY, unicodeSymbols: 1 });
  symbols = sim.symbols();
});
afterAll(() => sim.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-history-'));
  sim.dumps.setFaults([]);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], deps: HistoryDeps = {}) {
  const stdout = new Collect();
  const stderr = new Collect();
  const env = { BINANCE_DUMPS_URL: sim.restUrl, BINANCE_REST_URL: sim.restUrl };
  const code = await run(['--store', `sqlite:${join(dir, 'k.db')}`, '--state', join(dir, 'state.json'), ...argv], { stdout, stderr }, { env, now: () => START, ...deps });
  const lines = stdout.text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, summary: lines.at(-1) as Record<string, unknown> & { failed: { id: string; kind: string }[] }, stderr: stderr.text };
}

const strip = ({ source: _s, ...k }: Kline & { source?: string }) => k;

async function stored(): Promise<{ m1: Kline[]; h1: number }> {
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'k.db') });
  try {
    const m1 = await store.read({ marketType: 'spot', interval: '1m', from: 0, to: START });
    const h1 = (await store.read({ marketType: 'spot', interval: '1h', from: 0, to: START })).length;
    return { m1: m1.map(strip), h1 };
  } finally {
    await store.close();
  }
}

function truth(): Kline[] {
  return symbols
    .slice()
    .sort()
    .flatMap((s) => sim.truth(s, 0, START - 1));
}

test('fills every market from its listing: monthly and daily files, REST for the unpublished day, then the resampled bars', async () => {
  const { code, summary } = await cli([]);

  expect(code).toBe(0);
  expect(summary).toMatchObject({ event: 'summary', markets: 1, files: 5, restRanges: 1, notPublished: 1, failed: [], stopped: false });
  const { m1, h1 } = await stored();
  expect(m1).toEqual(truth());
  expect(m1.length).toBe(DAYS * 1440);
  // Every hour that has closed for the resample job (its grace keeps the last one open).
  expect(h1).toBeGreaterThanOrEqual(DAYS * 24 - 1);
});

test('a file that stays corrupt is reported by name (exit 3), never imported; the next run fills it', async () => {
  const [a] = symbols;
  sim.dumps.setFaults([{ kind: 'corrupt-zip', symbol: a, date: '2026-01-02' }]);

  const first = await cli(['--symbols', a, '--from', '2026-01-01']);

  expect(first.code).toBe(3);
  expect(first.summary.failed).toEqual([expect.objectContaining({ id: `spot/daily/${a}/2026-01-02`, kind: 'corrupt-zip' })]);
  expect(first.stderr).toContain(`FAILED 1: spot/daily/${a}/2026-01-02 (corrupt-zip)`);
  expect((await stored()).m1.filter((k) => k.openTime >= Date.UTC(2026, 0, 2) && k.openTime < Date.UTC(2026, 0, 3))).toEqual([]);

  sim.dumps.setFaults([]);
  const second = await cli(['--symbols', a, '--from', '2026-01-01']);
  expect(second.code).toBe(0);
  // 01-01, 01-03 and REST for 01-04 were done; 01-04's file is asked again (it may be out now).
  expect(second.summary).toMatchObject({ files: 1, resumed: 3, notPublished: 1 });
  expect((await stored()).m1).toEqual(sim.truth(a, Date.UTC(2026, 0, 1), START - 1));
});

test('stopped part-way, a second run resumes and ends with the same store', async () => {
  const stop = new AbortController();
  let tasks = 0;
  const fetchImpl: typeof fetch = async (input, init) => {
    if (String(input).endsWith('.zip') && ++tasks === 3) stop.abort();
    return fetch(input, init);
  };
  const first = await cli(['--concurrency', '1', '--from', '2025-12-30'], { signal: stop.signal, fetchImpl });
  expect(first.code).toBe(130);
  expect(first.summary.stopped).toBe(true);

  const second = await cli(['--from', '2025-12-30']);
  expect(second.code).toBe(0);
  expect(second.summary.resumed).toBeGreaterThanOrEqual(2);
  expect((await stored()).m1).toEqual(sim.truth(symbols[0], Date.UTC(2025, 11, 30), START - 1));
});

test('bad arguments name the flag and exit 2', async () => {
  expect((await cli(['--market-type', 'margin'])).stderr).toMatch(/--market-type: "margin" is not a market type/);
  const bad = await run(['--from', '2026-01-02', '--to', '2026-01-01'], { stdout: new Collect(), stderr: new Collect() }, { env: {} });
  expect(bad).toBe(2);
});

describe("the store's 1m retention (MongoDB TTL)", () => {
  const RETENTION_DAYS = 3;

  /** The SQLite store of the other tests, answering readRetention as a MongoDB store with a TTL would. */
  function withRetention(seconds: number | null) {
    const asked: string[] = [];
    const deps: HistoryDeps = {
      openStore: async (config) => {
        const store = await openStore(config);
        return Object.assign(store, { readRetention: async (marketType: string) => (asked.push(marketType), seconds) });
      },
    };
    return { deps, asked };
  }

  test('a --from older than the retention is refused (exit 2), naming the retention and the earliest day, and nothing is imported', async () => {
    const { deps, asked } = withRetention(RETENTION_DAYS * 86_400);

    const run = await cli(['--from', '2026-01-01'], deps);

    expect(run.code).toBe(2);
    // now = 2026-01-05T00:00Z: 3 days keep 01-02 on.
    expect(run.stderr).toMatch(/^history: --from 2026-01-01T00:00:00\.000Z is older than the store's retention: the store keeps spot 1m klines 3 days \(TTL on klines_1m\)/m);
    expect(run.stderr).toContain('The earliest day to import is 2026-01-02 (--from 2026-01-02), or --ignore-retention imports the older days anyway');
    expect(asked).toEqual(['spot']);
    expect(run.lines).toEqual([]);
    expect((await stored()).m1).toEqual([]);
  });

  test('without --from, the import starts at the earliest day kept, and says so', async () => {
    const { deps } = withRetention(RETENTION_DAYS * 86_400);

    const run = await cli([], deps);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain('history: the store keeps spot 1m klines 3 days (TTL on klines_1m): importing from 2026-01-02, the earliest day it keeps');
    expect((await stored()).m1).toEqual(sim.truth(symbols[0], Date.UTC(2026, 0, 2), START - 1));
  });

  test('--ignore-retention imports the older days as asked', async () => {
    const { deps } = withRetention(RETENTION_DAYS * 86_400);

    const run = await cli(['--from', '2026-01-01', '--ignore-retention'], deps);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect((await stored()).m1).toEqual(sim.truth(symbols[0], Date.UTC(2026, 0, 1), START - 1));
  });

  test('a store that keeps everything (SQLite itself) takes any --from', async () => {
    const { deps, asked } = withRetention(null);
    const run = await cli(['--from', '2026-01-01'], deps);
    expect(run.code).toBe(0);
    expect(asked).toEqual(['spot']);
    expect((await stored()).m1).toEqual(sim.truth(symbols[0], Date.UTC(2026, 0, 1), START - 1));
  });

  test('through the MongoDB adapter: the TTL of every selected type is read from its 1m collection, and the shortest refuses', async () => {
    // A driver fake with only what history asks before refusing: listIndexes, and a bulkWrite that must not happen.
    const calls: string[] = [];
    const ttl: Record<string, number> = { klines_1m: 90 * 86_400, usdm_klines_1m: RETENTION_DAYS * 86_400 };
    const db = {
      collection: (name: string) => ({
        listIndexes: (options: { maxTimeMS?: number }) => {
          calls.push(`listIndexes ${name} maxTimeMS=${options.maxTimeMS}`);
          const indexes = [{ v: 2, name: '_id_', key: { _id: 1 } }, ...(ttl[name] ? [{ v: 2, name: 'openTime_1', key: { openTime: 1 }, expireAfterSeconds: ttl[name] }] : [])];
          return { toArray: async () => indexes };
        },
        bulkWrite: async () => {
          calls.push(`bulkWrite ${name}`);
          throw new Error('history wrote into a store it refused');
        },
      }),
    };
    const client = { db: () => db } as unknown as MongoClient;

    const run = await cli(['--market-type', 'spot,usdm,coinm', '--symbols', 'BTCUSDT', '--from', '2025-12-01'], { openStore: async () => new MongoKlineStore({ client, database: 'klines' }) });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/keeps usdm 1m klines 3 days \(TTL on usdm_klines_1m\)/);
    expect(calls.sort()).toEqual([
      `listIndexes coinm_klines_1m maxTimeMS=${DEFAULT_MAX_TIME_MS}`,
      `listIndexes klines_1m maxTimeMS=${DEFAULT_MAX_TIME_MS}`,
      `listIndexes usdm_klines_1m maxTimeMS=${DEFAULT_MAX_TIME_MS}`,
    ]);
  });
});
