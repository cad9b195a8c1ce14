import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../bin/commands/audit';
import { run as runReport } from '../../bin/commands/report';
import type { AuditResult } from '../../core/audit/run';
import type { Kline } from '../../core/kline';
import { openStore } from '../../core/store/index';
import { startSimulator, type Simulator } from '../../sim';
import { Collect } from './collect';

const H = 3_600_000;
const DAY = Date.UTC(2026, 0, 3);
const MAINTENANCE = { from: DAY + 10 * H, to: DAY + 11 * H };
const LISTED = DAY + 6 * H;
const DELISTED = DAY + 20 * H;

let sim: Simulator;
let dir: string;
let a: string;
let b: string;
const NEW = 'NEWCOINUSDT';

beforeAll(async () => {
  sim = await startSimulator({
    markets: 2,
    seed: 8,
    speed: 1,
    historyMs: 3 * 86_400_000,
    unicodeSymbols: 0,
    maintenance: [MAINTENANCE],
    lifecycle: [{ symbol: NEW, at: LISTED, status: 'TRADING' }],
  });
  [a, b] = sim.symbols().filter((s) => s !== NEW);
});
afterAll(() => sim.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('compares a day minute by minute, repairs our losses from the dump, lists differences and classifies every gap', async () => {
  const corrected = DAY + 12 * H + 7 * 60_000;
  sim.dumps.setFaults([{ kind: 'corrected-row', symbol: b, date: '2026-01-03', openTime: corrected }]);
  const lost = new Set([DAY + 3 * H, DAY + 3 * H + 60_000, DAY + 15 * H]);
  const truth = (s: string) => sim.truth(s, DAY, DAY + 86_400_000 - 1);
  const path = join(dir, 'k.db');
  const store = await openStore({ kind: 'sqlite', path });
  // Our capture: everything of b and NEW, a without three minutes, plus one minute Binance never had.
  const ghost: Kline = { ...truth(a)[0], openTime: MAINTENANCE.from + 30 * 60_000, closeTime: MAINTENANCE.from + 31 * 60_000 - 1 };
  await store.upsert('1m', [...truth(a).filter((k) => !lost.has(k.openTime)), ghost, ...truth(b), ...truth(NEW).filter((k) => k.openTime < DELISTED)]);
  // NEW is delisted at 20:00 in our status history (the simulator keeps it listed: its dump goes on).
  await store.recordMarketStatus([...sim.marketHistory(), { marketType: 'spot', symbol: NEW, status: 'DELISTED', at: DELISTED }]);
  await store.close();

  const stdout = new Collect();
  const stderr = new Collect();
  const sent: Kline[] = [];
  const spyStore = async () => {
    const s = await openStore({ kind: 'sqlite', path });
    const upsert = s.upsert.bind(s);
    s.upsert = (interval, klines) => (sent.push(...klines), upsert(interval, klines));
    return s;
  };
  const code = await run(['--date', '2026-01-03', '--store', `sqlite:${path}`, '--out', dir], { stdout, stderr }, { env: { BINANCE_DUMPS_URL: sim.restUrl, BINANCE_REST_URL: sim.restUrl }, openStore: spyStore });

  expect(stderr.text).toBe('');
  expect(code).toBe(0);
  const result = JSON.parse(readFileSync(join(dir, 'audit-2026-01-03.json'), 'utf8')) as AuditResult;
  const byMarket = Object.fromEntries(result.markets.map((m) => [m.market.symbol, m]));
  expect(byMarket[a]).toMatchObject({ status: 'audited', exchangeMinutes: 1380, equal: 1377, missingOurs: [...lost], missingTheirs: [ghost.openTime], repaired: 3 });
  expect(byMarket[a].gaps).toEqual([
    { from: DAY + 3 * H, to: DAY + 3 * H + 120_000, class: 'capture-loss', repaired: true },
    { from: MAINTENANCE.from, to: MAINTENANCE.from + 30 * 60_000, class: 'no-kline-at-exchange' },
    { from: MAINTENANCE.from + 31 * 60_000, to: MAINTENANCE.to, class: 'no-kline-at-exchange' },
    { from: DAY + 15 * H, to: DAY + 15 * H + 60_000, class: 'capture-loss', repaired: true },
  ]);
  expect(byMarket[b].differing).toEqual([expect.objectContaining({ openTime: corrected, fields: ['trades'] })]);
  expect(byMarket[b].differing[0].theirs.trades).toBe(byMarket[b].differing[0].ours.trades + 1);
  // NEW: listed 06:00, delisted (for us) 20:00; Binance's dump has its minutes after 20:00 too.
  expect(byMarket[NEW].gaps.map((g) => [g.class, (g.to - g.from) / 60_000])).toEqual([
    ['outside-life', 360],
    ['no-kline-at-exchange', 60],
    ['capture-loss', 240],
  ]);
  expect(stdout.text).toContain(`2026-01-03: verified against Binance's dump: ${(1377 + 1379 + 14 * 60 - 60).toLocaleString('en')} of 3,780 minutes equal, 1 differing, 243 missing in ours (243 repaired from the dump), 1 missing in Binance's`);
  expect(stdout.text).toMatch(new RegExp(`differs spot:${b} 2026-01-03T12:07:00.000Z: trades ours \\d+ vs Binance \\d+`));

  // The repaired minutes are written marked as coming from the dump and stored; the differing one is kept as captured.
  expect(sent.filter((k) => k.symbol === a).map((k) => [k.openTime, k.source])).toEqual([...lost].map((t) => [t, 'dump']));
  const after = await openStore({ kind: 'sqlite', path });
  const stored = await after.read({ marketType: 'spot', interval: '1m', symbols: [a], from: DAY, to: DAY + 86_400_000 });
  expect(stored.filter((k) => lost.has(k.openTime)).map(({ source: _s, ...k }) => k)).toEqual(truth(a).filter((k) => lost.has(k.openTime)));
  const kept = await after.read({ marketType: 'spot', interval: '1m', symbols: [b], from: corrected, to: corrected + 60_000 });
  expect(kept[0].trades).toBe(byMarket[b].differing[0].ours.trades);
  // Kept in the store as well, where the report in AWS reads it.
  expect(await after.readAudits({ from: DAY, to: DAY + 86_400_000 })).toStrictEqual([result]);
  await after.close();

  // The day's quality report carries the audit: headline, classes, differences (HTML and CSV).
  const out = new Collect();
  const reportCode = await runReport(['--from', '2026-01-03', '--to', '2026-01-04', '--store', `sqlite:${path}`, '--out', dir], { stdout: out, stderr: new Collect() }, { env: {}, now: () => DAY });
  expect(reportCode).toBe(0);
  expect(out.text).toContain("2026-01-03: verified against Binance's dump: 3,536 of 3,780 minutes equal");
  const files = readdirSync(dir);
  const html = readFileSync(join(dir, files.find((f) => f.endsWith('.html')) as string), 'utf8');
  expect(html).toContain('Audit against Binance’s dump');
  expect(html).toMatch(/No kline at the exchange \(halt, maintenance\)<\/td><td[^>]*>179 min/); // 3 × 60 less the minute we hold and Binance does not
  expect(html).toMatch(/Outside the market’s life<\/td><td[^>]*>360 min/);
  const csv = readFileSync(join(dir, files.find((f) => f.endsWith('-audit.csv')) as string), 'utf8').trim().split('\r\n');
  expect(csv).toHaveLength(2);
  expect(csv[1]).toMatch(new RegExp(`^2026-01-03,spot,${b},2026-01-03T12:07:00.000Z,trades,\\d+,\\d+$`));
});

test('a day not published yet is not audited and says so; a bad date exits 2', async () => {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await run(['--date', '2026-01-04', '--symbols', a, '--store', `sqlite:${join(dir, 'k.db')}`, '--out', dir], { stdout, stderr }, { env: { BINANCE_DUMPS_URL: sim.restUrl } });
  expect(code).toBe(0);
  expect(stderr.text).toContain('1 market(s) have no dump for 2026-01-04 yet');
  expect(await run(['--date', '2026-13-01'], { stdout, stderr }, { env: {} })).toBe(2);
  expect(await run([], { stdout, stderr }, { env: {} })).toBe(2);
});
