import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareDay } from '../../../core/audit/compare';
import { classifyMissing, lifePeriods } from '../../../core/audit/gaps';
import { auditHeadline, auditMarket, auditTotals, type MarketAudit } from '../../../core/audit/run';
import { formatChecksum } from '../../../core/dumps/checksum';
import { dumpFileName, dumpUrlPath, type DumpFile } from '../../../core/dumps/paths';
import { DumpSite } from '../../../core/dumps/site';
import type { Kline } from '../../../core/kline';
import { openStore } from '../../../core/store/index';
import { buildDump } from '../../../sim/dumps/files';

const DAY = Date.UTC(2025, 5, 1);
const M = 60_000;
const k = (i: number, over: Partial<Kline> = {}): Kline => ({
  marketType: 'spot',
  symbol: 'XUSDT',
  interval: '1m',
  openTime: DAY + i * M,
  closeTime: DAY + i * M + M - 1,
  open: '1.5',
  high: '2',
  low: '1',
  close: '1.5',
  volume: '3',
  quoteVolume: '4.5',
  trades: 2,
  takerBuyBaseVolume: '1',
  takerBuyQuoteVolume: '1.5',
  ...over,
});

describe('compareDay', () => {
  it('sorts every minute into equal, differing (fields), missing in ours and in theirs', () => {
    const ours = [k(0), k(1, { close: '1.50' }), k(2, { trades: 3, high: '2.5' }), k(4)];
    const theirs = [k(0), k(1), k(2), k(3)];
    const r = compareDay(ours, theirs);
    expect(r.equal).toBe(2); // "1.50" and "1.5" are one value
    expect(r.differing).toEqual([{ openTime: DAY + 2 * M, fields: ['high', 'trades'], ours: ours[2], theirs: theirs[2] }]);
    expect(r.missingOurs).toEqual([theirs[3]]);
    expect(r.missingTheirs).toEqual([DAY + 4 * M]);
  });
});

describe('gap classes', () => {
  it('reads life from listing to delisting, relisting included; no history means always listed', () => {
    expect(lifePeriods([])).toEqual([{ from: -Infinity, to: Infinity }]);
    expect(lifePeriods([
      { marketType: 'spot', symbol: 'X', status: 'TRADING', at: 10 },
      { marketType: 'spot', symbol: 'X', status: 'BREAK', at: 20 },
      { marketType: 'spot', symbol: 'X', status: 'DELISTED', at: 30 },
      { marketType: 'spot', symbol: 'X', status: 'TRADING', at: 50 },
    ])).toEqual([{ from: 10, to: 30 }, { from: 50, to: Infinity }]);
  });

  it('merges minutes into ranges per class', () => {
    const range = { from: DAY, to: DAY + 6 * M };
    const gaps = classifyMissing(range, new Set([DAY + 2 * M]), new Set([DAY + 3 * M, DAY + 4 * M]), [{ from: DAY + M, to: DAY + 5 * M }], new Set([DAY + 3 * M]));
    expect(gaps).toEqual([
      { from: DAY, to: DAY + M, class: 'outside-life' },
      { from: DAY + M, to: DAY + 2 * M, class: 'no-kline-at-exchange' },
      { from: DAY + 3 * M, to: DAY + 4 * M, class: 'capture-loss', repaired: true },
      { from: DAY + 4 * M, to: DAY + 5 * M, class: 'capture-loss', repaired: false },
      { from: DAY + 5 * M, to: DAY + 6 * M, class: 'outside-life' },
    ]);
  });

  it('marks the exchange gaps REST did not confirm as unverified, apart from the confirmed ones', () => {
    const range = { from: DAY, to: DAY + 4 * M };
    const gaps = classifyMissing(range, new Set(), new Set([DAY + 3 * M]), [{ from: -Infinity, to: Infinity }], new Set(), new Set([DAY + M, DAY + 3 * M]));
    expect(gaps).toStrictEqual([
      { from: DAY, to: DAY + M, class: 'no-kline-at-exchange' },
      { from: DAY + M, to: DAY + 2 * M, class: 'no-kline-at-exchange', unverified: true },
      { from: DAY + 2 * M, to: DAY + 3 * M, class: 'no-kline-at-exchange' },
      { from: DAY + 3 * M, to: DAY + 4 * M, class: 'capture-loss', repaired: false },
    ]);
  });
});

describe('auditMarket with REST', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a minute missing from us and the dump but present in REST is a capture loss, filled with source rest; a REST failure keeps the dump\'s word', async () => {
    const file: DumpFile = { marketType: 'spot', symbol: 'XUSDT', period: 'daily', date: '2025-06-01' };
    const all = Array.from({ length: 1440 }, (_, i) => k(i));
    const dumpRows = all.filter((x) => x.openTime !== DAY + 100 * M && x.openTime !== DAY + 101 * M);
    const built = await buildDump('spot', dumpFileName(file).replace('.zip', '.csv'), dumpRows);
    const path = join(dir, 'mirror', dumpUrlPath(file));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, built.zip);
    writeFileSync(`${path}.CHECKSUM`, formatChecksum(built.sha256, dumpFileName(file)));
    const store = await openStore({ kind: 'sqlite', path: ':memory:' });
    await store.upsert('1m', all.filter((x) => x.openTime < DAY + 100 * M || x.openTime > DAY + 101 * M));
    const site = new DumpSite({ baseUrl: pathToFileURL(join(dir, 'mirror')).href, tmpDir: join(dir, 'tmp') });
    const asked: [number, number][] = [];
    const rest = {
      firstOpenTime: async () => DAY,
      async *klines(_m: unknown, from: number, to: number) {
        asked.push([from, to]);
        yield all.filter((x) => x.openTime === DAY + 100 * M && x.openTime >= from && x.openTime < to);
      },
    };

    const audit = await auditMarket({ store, site, markets: [], day: DAY, rest }, { marketType: 'spot', symbol: 'XUSDT' }, []);

    expect(asked).toEqual([[DAY + 100 * M, DAY + 102 * M]]);
    expect(audit).toMatchObject({ equal: 1438, repaired: 0, restRecovered: 1, missingOurs: [], missingTheirs: [], rest: { askedMinutes: 2, requests: 1, notAsked: 0, failedMinutes: 0 } });
    expect(audit.gaps).toEqual([
      { from: DAY + 100 * M, to: DAY + 101 * M, class: 'capture-loss', repaired: true },
      { from: DAY + 101 * M, to: DAY + 102 * M, class: 'no-kline-at-exchange' },
    ]);
    expect(await store.read({ marketType: 'spot', interval: '1m', from: DAY + 100 * M, to: DAY + 102 * M })).toHaveLength(1);

    const failing = { ...rest, klines: async function* (): AsyncGenerator<Kline[]> { throw new Error('-1121 Invalid symbol'); } };
    const again = await auditMarket({ store: await openStore({ kind: 'sqlite', path: ':memory:' }), site, markets: [], day: DAY, rest: failing }, { marketType: 'spot', symbol: 'XUSDT' }, []);
    expect(again.problem).toMatch(/REST check .* -1121/);
    expect(again.gaps.filter((g) => g.class === 'no-kline-at-exchange')).toStrictEqual([{ from: DAY + 100 * M, to: DAY + 102 * M, class: 'no-kline-at-exchange', unverified: true }]);
    expect(again.rest).toStrictEqual({ askedMinutes: 0, requests: 1, notAsked: 0, failedMinutes: 2 });

    const capped = await auditMarket({ store: await openStore({ kind: 'sqlite', path: ':memory:' }), site, markets: [], day: DAY, rest, restBudget: { left: 0 } }, { marketType: 'spot', symbol: 'XUSDT' }, []);
    expect(capped.rest).toStrictEqual({ askedMinutes: 0, requests: 0, notAsked: 2, failedMinutes: 0 });
    expect(capped.gaps.filter((g) => g.class === 'no-kline-at-exchange')).toStrictEqual([{ from: DAY + 100 * M, to: DAY + 102 * M, class: 'no-kline-at-exchange', unverified: true }]);
    expect(asked).toHaveLength(1);
    await store.close();
  });
});

describe('the headline: percentages of what the exchange produced, its own gaps apart', () => {
  const market = (over: Partial<MarketAudit>): MarketAudit => ({
    market: { marketType: 'spot', symbol: 'XUSDT' }, status: 'audited', exchangeMinutes: 1380, equal: 1380, differing: [], missingOurs: [], missingTheirs: [], repaired: 0, restRecovered: 0, gaps: [], ...over,
  });
  const headline = (markets: MarketAudit[]) => auditHeadline({ day: '2025-06-01', range: { from: DAY, to: DAY + 1440 * M }, markets, totals: auditTotals(markets) });

  it('a day with a maintenance hour and nothing lost is 100.000 % of what Binance produced, the hour shown as the exchange’s gap', () => {
    const line = headline([market({ gaps: [{ from: DAY + 600 * M, to: DAY + 660 * M, class: 'no-kline-at-exchange' }], rest: { askedMinutes: 60, requests: 1, notAsked: 0, failedMinutes: 0 } })]);
    expect(line).toContain('captured 100.000 % of what Binance produced (100.000 % after repair)');
    expect(line).toContain('exchange gaps 60 min, outside market life 0 min');
    expect(line).toContain('REST asked about 60 minutes in 1 requests; 0 not asked (cap)');
  });

  it('one lost minute is never rounded up to 100 %; repaired, it is', () => {
    const line = headline([market({ equal: 1379, missingOurs: [DAY + 5 * M], repaired: 1, gaps: [{ from: DAY + 5 * M, to: DAY + 6 * M, class: 'capture-loss', repaired: true }] })]);
    expect(line).toContain('captured 99.927 % of what Binance produced (100.000 % after repair)');
    expect(line).not.toContain('REST asked');
  });
});
