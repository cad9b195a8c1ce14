import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvBatches } from '../../../core/dumps/csv-batches';
import { DumpError } from '../../../core/dumps/errors';
import type { DumpFile } from '../../../core/dumps/paths';
import { DumpSite } from '../../../core/dumps/site';
import { openDumpZip } from '../../../core/dumps/zip';
import type { Kline } from '../../../core/kline';
import { startSimulator, type Simulator } from '../../../sim';
import { dumpCsv } from '../../../sim/dumps/files';

const DAY = 86_400_000;

describe('simulator dump site + DumpSite client', () => {
  let sim: Simulator;
  let tmp: string;
  let symbol: string;
  const site = (attempts = 3) => new DumpSite({ baseUrl: sim.restUrl, tmpDir: tmp, attempts, retryDelayMs: 1 });
  const daily = (date: string): DumpFile => ({ marketType: 'spot', symbol, period: 'daily', date });
  async function rows(path: string): Promise<Kline[]> {
    const out: Kline[] = [];
    const { stream } = await openDumpZip(path, path);
    for await (const b of readCsvBatches(stream, { marketType: 'spot', symbol })) out.push(...b.klines);
    return out;
  }

  beforeAll(async () => {
    // Listed 2025-12-29, now 2026-01-05 00:00: dailies up to 2026-01-03 are out, 2025-12 monthly too.
    sim = await startSimulator({ markets: 3, seed: 5, speed: 1 });
    symbol = sim.symbols()[0];
    tmp = mkdtempSync(join(tmpdir(), 'dumps-'));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  afterEach(() => sim.dumps.setFaults([]));

  it('serves checked daily and monthly files equal to the simulated truth', async () => {
    const s = site();
    const day = await s.get(daily('2026-01-02'));
    const from = Date.UTC(2026, 0, 2);
    expect(await rows(day.path)).toEqual(sim.truth(symbol, from, from + DAY - 1));
    expect(day.attempts).toBe(1);
    const month = await s.get({ marketType: 'spot', symbol, period: 'monthly', date: '2025-12' });
    const monthRows = await rows(month.path);
    expect(monthRows).toHaveLength(3 * 1440); // listed 2025-12-29
    expect(monthRows[0].openTime).toBe(Date.UTC(2025, 11, 29));
    await s.release(day);
    await s.release(month);
  });

  it('serves spot files as Binance does from 2025: no header row, open and close times in µs', async () => {
    const s = site();
    const day = await s.get(daily('2026-01-02'));
    const { stream } = await openDumpZip(day.path, 'raw');
    let text = '';
    for await (const chunk of stream) text += (chunk as Buffer).toString('utf8');
    await s.release(day);
    const [first] = text.split('\n');
    const from = Date.UTC(2026, 0, 2);
    expect(first.split(',')[0]).toBe(`${from}000`);
    expect(first.split(',')[6]).toBe(`${from + 59_999}999`);
  });

  it('writes spot rows in ms before 2025 and µs from it; futures rows in ms under a header row', () => {
    const k = (openTime: number, marketType: Kline['marketType'] = 'spot'): Kline => ({
      marketType, symbol, interval: '1m', openTime, closeTime: openTime + 59_999, open: '1', high: '1', low: '1', close: '1', volume: '0', quoteVolume: '0', trades: 0, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0',
    });
    const before = Date.UTC(2024, 11, 31, 23, 59);
    const after = Date.UTC(2025, 0, 1);

    const spot = dumpCsv('spot', [k(before), k(after)]).trimEnd().split('\n');
    const usdm = dumpCsv('usdm', [k(after, 'usdm')]).trimEnd().split('\n');

    expect(spot.map((l) => l.split(',').slice(0, 1).concat(l.split(',')[6]))).toStrictEqual([
      [String(before), String(before + 59_999)],
      [`${after}000`, `${after + 59_999}999`],
    ]);
    expect(usdm).toHaveLength(2);
    expect(usdm[0]).toMatch(/^open_time,open,high,low,close,volume,close_time,/);
    expect(usdm[1].split(',')[0]).toBe(String(after));
  });

  it('answers 404 (not-published) for days not yet published and before listing, without retrying', async () => {
    const s = site();
    for (const date of ['2026-01-04', '2025-12-28']) {
      await expect(s.get(daily(date))).rejects.toMatchObject({ kind: 'not-published', retryable: false });
    }
    expect(s.stats.retries).toBe(0);
  });

  it.each(['corrupt-zip', 'checksum-mismatch', 'truncated'] as const)('retries a %s once served, then uses the good file', async (kind) => {
    sim.dumps.setFaults([{ kind, symbol, date: '2026-01-01', times: 1 }]);
    const s = site();
    const got = await s.get(daily('2026-01-01'));
    expect(got.attempts).toBe(2);
    expect(sim.dumps.stats.faultsServed.at(-1)).toBe(`${kind} ${symbol}-1m-2026-01-01.zip`);
    expect(await rows(got.path)).toHaveLength(1440);
  });

  it.each(['corrupt-zip', 'checksum-mismatch', 'truncated'] as const)('reports a persistent %s by kind and file after the attempts', async (kind) => {
    sim.dumps.setFaults([{ kind, symbol, date: '2025-12-30' }]);
    const err = (await site(2).get(daily('2025-12-30')).catch((e: unknown) => e)) as DumpError;
    expect(err).toBeInstanceOf(DumpError);
    expect(err.kind).toBe(kind);
    expect(err.message).toContain(`spot/daily/${symbol}-1m-2025-12-30.zip`);
  });

  it('serves a re-uploaded file whose one row differs from the truth', async () => {
    const at = Date.UTC(2025, 11, 31, 12, 0);
    sim.dumps.setFaults([{ kind: 'corrected-row', symbol, date: '2025-12-31', openTime: at }]);
    const got = await site().get(daily('2025-12-31'));
    const dump = await rows(got.path);
    const truth = sim.truth(symbol, Date.UTC(2025, 11, 31), Date.UTC(2026, 0, 1) - 1);
    const differing = dump.filter((k, i) => JSON.stringify(k) !== JSON.stringify(truth[i]));
    expect(differing.map((k) => k.openTime)).toEqual([at]);
  });
});
