import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type HistoryDeps } from '../../bin/commands/history';
import type { Kline } from '../../core/kline';
import { openStore } from '../../core/store/index';
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
