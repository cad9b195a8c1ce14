import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatChecksum } from '../../../core/dumps/checksum';
import { dumpFileName, dumpUrlPath, type DumpFile } from '../../../core/dumps/paths';
import { DumpSite } from '../../../core/dumps/site';
import { runHistory } from '../../../core/history/run';
import { HistoryState } from '../../../core/history/state';
import type { Kline } from '../../../core/kline';
import { openStore } from '../../../core/store/index';
import { buildDump } from '../../../sim/dumps/files';

const DAY = Date.UTC(2025, 0, 2);

function kline(i: number, over: Partial<Kline> = {}): Kline {
  const t = DAY + i * 60_000;
  return { marketType: 'spot', symbol: 'BTCUSDT', interval: '1m', openTime: t, closeTime: t + 59_999, open: '1.10', high: '1.20', low: '1.00', close: '1.15', volume: '10.5', quoteVolume: '11.55', trades: 3, takerBuyBaseVolume: '1', takerBuyQuoteVolume: '1.1', ...over };
}

describe('runHistory from a file:// mirror (rows validated once, by the store)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'history-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function mirror(klines: Kline[]): Promise<DumpFile> {
    const file: DumpFile = { marketType: 'spot', symbol: 'BTCUSDT', period: 'daily', date: '2025-01-02' };
    const built = await buildDump('spot', dumpFileName(file).replace(/\.zip$/u, '.csv'), klines);
    const path = join(dir, 'mirror', dumpUrlPath(file));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, built.zip);
    writeFileSync(`${path}.CHECKSUM`, formatChecksum(built.sha256, dumpFileName(file)));
    return file;
  }

  async function run(): Promise<{ summary: Awaited<ReturnType<typeof runHistory>>; stored: Kline[] }> {
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'k.db') });
    try {
      const summary = await runHistory({
        store,
        site: new DumpSite({ baseUrl: pathToFileURL(join(dir, 'mirror')).href, tmpDir: join(dir, 'tmp'), attempts: 1 }),
        markets: [{ marketType: 'spot', symbol: 'BTCUSDT' }],
        from: DAY,
        to: DAY + 86_400_000,
        state: HistoryState.load(undefined),
        batchSize: 500,
        rest: { firstOpenTime: async () => DAY, klines: async function* () {} },
      });
      const stored = await store.read({ marketType: 'spot', interval: '1m', from: DAY, to: DAY + 86_400_000 });
      return { summary, stored };
    } finally {
      await store.close();
    }
  }

  it('imports every row of a sound day as dump klines, exactly', async () => {
    const day = Array.from({ length: 1440 }, (_, i) => kline(i, { volume: `${i}.25` }));
    await mirror(day);
    const { summary, stored } = await run();
    expect([summary.rows, summary.files, summary.failed]).toStrictEqual([1440, 1, []]);
    expect(stored).toStrictEqual(day.map((k) => ({ ...k, source: 'dump' })));
  });

  it('reports a row the store refuses as bad-row naming its line, and leaves the file not done', async () => {
    const day = Array.from({ length: 1440 }, (_, i) => kline(i));
    day[700] = kline(700, { high: '0.90' }); // high < low: sound CSV, unsound kline
    await mirror(day);
    const { summary, stored } = await run();
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]).toMatchObject({ kind: 'bad-row' });
    expect(summary.failed[0].message).toMatch(/1 row\(s\) refused by the store, first line 701: high 0.90 < low 1.00/);
    expect(summary.files).toBe(0);
    // The refused minute is never stored; the batch before it is.
    expect(stored.some((k) => k.openTime === day[700].openTime)).toBe(false);
    expect(stored.slice(0, 500)).toStrictEqual(day.slice(0, 500).map((k) => ({ ...k, source: 'dump' })));
  });
});
