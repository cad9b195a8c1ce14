/**
 * History records a market it imports and the store has no status history of as trading from its
 * first kline: the ingest resumes (and backfills) exactly the markets the status history names.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DumpSite } from '../../../core/dumps/site';
import { runHistory } from '../../../core/history/run';
import { HistoryState } from '../../../core/history/state';
import { openStore } from '../../../core/store/index';

const DAY = Date.UTC(2025, 0, 2);
const H = 3_600_000;

test('markets without status history are recorded TRADING at their first kline; known ones and ones with nothing to import are left alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'history-listings-'));
  mkdirSync(join(dir, 'mirror'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'k.db') });
  try {
    const known = { marketType: 'spot' as const, symbol: 'ETHUSDT', status: 'BREAK' as const, at: DAY - 5 * H };
    await store.recordMarketStatus([known]);
    const first: Record<string, number | undefined> = { BTCUSDT: DAY + 6 * H, ETHUSDT: DAY, LATEUSDT: DAY + 3 * 86_400_000, NONEUSDT: undefined };
    const history = (symbols: readonly string[]) =>
      runHistory({
        store,
        site: new DumpSite({ baseUrl: pathToFileURL(join(dir, 'mirror')).href, tmpDir: join(dir, 'tmp'), attempts: 1 }),
        markets: symbols.map((symbol) => ({ marketType: 'spot' as const, symbol })),
        from: DAY,
        to: DAY + 86_400_000,
        state: HistoryState.load(undefined),
        rest: { firstOpenTime: async (m) => first[m.symbol], klines: async function* () {} },
      });
    const summary = await history(Object.keys(first));
    expect(summary.failed).toEqual([]);
    expect(await store.marketHistory()).toEqual([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: DAY + 6 * H }, known]);

    // A second run changes nothing.
    await history(['BTCUSDT']);
    expect(await store.marketHistory()).toHaveLength(2);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
