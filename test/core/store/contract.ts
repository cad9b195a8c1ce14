/**
 * The one behaviour every KlineStore adapter must show. Run by sqlite.test.ts always and by
 * mongo.test.ts when MONGODB_URI is set.
 */
import { StoreUnavailableError } from '../../../core/errors';
import type { Kline } from '../../../core/kline';
import { MARKET_TYPES, type MarketStatusEvent } from '../../../core/market';
import type { KlineStore } from '../../../core/store/port';
import type { AuditResult } from '../../../core/audit/run';
import { MINUTE, T0, makeKline, makeSeries, ofType, sortKlines } from './fixtures';

export interface StoreHarness {
  /** A fresh, empty store with its schema applied. */
  open(): Promise<KlineStore>;
  /** A fresh, empty store whose schema step has not run (no tables/collections). */
  openBare(): Promise<KlineStore>;
  /** A store whose backend cannot be reached, and a way to get the reachable store afterwards. */
  outage(): Promise<{ store: KlineStore; recover(): Promise<KlineStore> }>;
  /** Remove whatever `open` created (files, databases). */
  cleanup?(): Promise<void>;
}

const DAY = 86_400_000;

export function describeKlineStoreContract(name: string, makeHarness: () => StoreHarness): void {
  describe(`${name} KlineStore contract`, () => {
    let harness: StoreHarness;
    let store: KlineStore;
    const opened: KlineStore[] = [];

    beforeEach(async () => {
      harness = makeHarness();
      store = await harness.open();
      opened.push(store);
    });

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await harness.cleanup?.();
    });

    describe('upsert', () => {
      test('writing the same batch twice stores it once and counts 0 written the second time', async () => {
        // Prepare
        const batch = makeSeries(['ETHUSDT', 'BTCUSDT'], T0, 30);
        // Act
        const first = await store.upsert('1m', batch);
        const second = await store.upsert('1m', batch);
        // Assess
        expect(first).toStrictEqual({ written: 60, failures: [] });
        expect(second).toStrictEqual({ written: 0, failures: [] });
        expect(await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 30 * MINUTE })).toStrictEqual(sortKlines(batch));
      });

      test('a differing duplicate replaces the stored kline (the later one wins)', async () => {
        const early = makeKline('BTCUSDT', T0);
        const late: Kline = { ...early, close: early.high, volume: '99.00000001', trades: early.trades + 1 };
        await store.upsert('1m', [early]);

        const result = await store.upsert('1m', [late]);

        expect(result).toStrictEqual({ written: 1, failures: [] });
        expect(await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + MINUTE })).toStrictEqual([late]);
      });

      test('within one batch the later of two klines with the same key wins', async () => {
        const early = makeKline('BTCUSDT', T0);
        const late: Kline = { ...early, low: early.open, volume: '1.50000000' };

        const result = await store.upsert('1m', [early, makeKline('BTCUSDT', T0 + MINUTE), late]);

        expect(result).toStrictEqual({ written: 2, failures: [] });
        expect(await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 2 * MINUTE })).toStrictEqual([late, makeKline('BTCUSDT', T0 + MINUTE)]);
      });

      test('a 10,000-kline batch is stored whole', async () => {
        const symbols = Array.from({ length: 10 }, (_, i) => `M${i}USDT`);
        const batch = makeSeries(symbols, T0, 1000);

        const result = await store.upsert('1m', batch);

        expect(result).toStrictEqual({ written: 10_000, failures: [] });
        const counts = await store.countByMarket('spot', '1m', { from: T0, to: T0 + 1000 * MINUTE });
        expect(counts).toStrictEqual(new Map(symbols.map((s) => [s, 1000])));
        expect(await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 1000 * MINUTE })).toStrictEqual(batch);
      });

      test('refuses unsound klines by index and stores the rest of the batch', async () => {
        const good = makeSeries(['BTCUSDT'], T0, 3);
        const highBelowLow: Kline = { ...makeKline('ETHUSDT', T0), high: '1.00000000' };
        const wrongInterval: Kline = makeKline('ETHUSDT', T0 + MINUTE, '5m');
        const batch = [good[0], highBelowLow, good[1], wrongInterval, good[2]];

        const result = await store.upsert('1m', batch);

        expect(result.written).toBe(3);
        expect(result.failures.map((f) => f.index)).toStrictEqual([1, 3]);
        expect(result.failures[0].reason).toMatch(/high/);
        expect(await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 5 * MINUTE })).toStrictEqual(good);
      });

      test('decimals round-trip as the exact text written, trailing zeros included', async () => {
        const k: Kline = {
          ...makeKline('BTCUSDT', T0),
          open: '0.00000001',
          low: '0.00000001',
          high: '90000000000.00000000',
          close: '123456789.12345678',
          volume: '0.01000000',
          quoteVolume: '0.00000010',
          takerBuyBaseVolume: '0.00000000',
          takerBuyQuoteVolume: '100',
        };

        await store.upsert('1m', [k]);

        expect(await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + MINUTE })).toStrictEqual([k]);
      });

      test('resampled klines keep their sourceCount', async () => {
        const partial: Kline = { ...makeKline('BTCUSDT', T0, '5m'), sourceCount: 3 };
        const full = makeKline('BTCUSDT', T0 + 5 * MINUTE, '5m');

        await store.upsert('5m', [partial, full]);

        expect(await store.read({ marketType: 'spot', interval: '5m', from: T0, to: T0 + 10 * MINUTE })).toStrictEqual([partial, full]);
        expect(await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 10 * MINUTE })).toStrictEqual([]);
      });
    });

    describe('provenance', () => {
      test('1m klines keep where they came from: absent for the stream, rest or dump otherwise', async () => {
        const [stream, rest, dump] = makeSeries(['BTCUSDT'], T0, 3);
        const batch: Kline[] = [stream, { ...rest, source: 'rest' }, { ...dump, source: 'dump' }];

        await store.upsert('1m', batch);

        const back = await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 3 * MINUTE });
        expect(back).toStrictEqual(batch);
        expect(back[0]).not.toHaveProperty('source');
      });

      test('a streamed kline replacing a backfilled one drops the provenance; changing only it counts as a write', async () => {
        const k = makeKline('BTCUSDT', T0);
        await store.upsert('1m', [{ ...k, source: 'rest' }]);

        expect(await store.upsert('1m', [{ ...k, source: 'rest' }])).toStrictEqual({ written: 0, failures: [] });
        expect(await store.upsert('1m', [k])).toStrictEqual({ written: 1, failures: [] });
        expect(await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + MINUTE })).toStrictEqual([k]);
      });

      test('countBySource counts REST and dump klines per symbol in the range, per market type; stream = total − them', async () => {
        const btc = makeSeries(['BTCUSDT'], T0 - 2 * MINUTE, 12);
        const eth = makeSeries(['ETHUSDT'], T0, 4);
        const src = (k: Kline, i: number): Kline => (i % 3 === 1 ? { ...k, source: 'rest' } : i % 3 === 2 ? { ...k, source: 'dump' } : k);
        // BTCUSDT in range [T0, T0 + 8 min): indexes 2..9 → rest at 4, 7; dump at 2, 5, 8; stream 3, 6, 9.
        await store.upsert('1m', [...btc.map(src), ...eth]);
        // The same symbol as a futures market, all from REST: never counted with spot.
        await store.upsert('1m', ofType('usdm', makeSeries(['BTCUSDT'], T0, 5)).map((k) => ({ ...k, source: 'rest' as const })));
        const range = { from: T0, to: T0 + 8 * MINUTE };

        const spot = await store.countBySource('spot', range);

        expect([...spot.entries()]).toStrictEqual([['BTCUSDT', { rest: 2, dump: 3 }]]);
        expect((await store.countByMarket('spot', '1m', range)).get('BTCUSDT')! - 2 - 3).toBe(3);
        expect([...(await store.countBySource('usdm', range)).entries()]).toStrictEqual([['BTCUSDT', { rest: 5, dump: 0 }]]);
        expect((await store.countBySource('coinm', range)).size).toBe(0);
        expect((await store.countBySource('spot', { from: T0 + 20 * MINUTE, to: T0 + 30 * MINUTE })).size).toBe(0);
      });

      test('countBySource equals a count of the klines read back, over many symbols and ranges (symbols only outside the range, only streamed, interleaved)', async () => {
        const symbols = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT', 'DDDUSDT', 'EEEUSDT'];
        const klines = makeSeries(symbols, T0, 30).map((k, i): Kline => {
          if (k.symbol === 'CCCUSDT') return k; // only streamed: never in the count
          if (k.symbol === 'EEEUSDT') return k.openTime < T0 + 5 * MINUTE ? { ...k, source: 'dump' } : k; // sourced only early
          const pick = (i * 2654435761) % 7;
          return pick === 0 ? { ...k, source: 'rest' } : pick < 3 ? { ...k, source: 'dump' } : k;
        });
        await store.upsert('1m', klines);
        const stored = await store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 30 * MINUTE });
        expect([...new Set(stored.filter((k) => k.source !== undefined).map((k) => `${k.symbol} ${k.source}`))].sort()).toStrictEqual(
          ['AAAUSDT dump', 'AAAUSDT rest', 'BBBUSDT dump', 'BBBUSDT rest', 'DDDUSDT dump', 'DDDUSDT rest', 'EEEUSDT dump'],
        );

        for (const [from, to] of [[0, 30], [0, 5], [5, 30], [3, 4], [12, 21], [29, 30], [30, 40]]) {
          const range = { from: T0 + from * MINUTE, to: T0 + to * MINUTE };
          const expected = new Map<string, { rest: number; dump: number }>();
          for (const k of stored) {
            if (k.source === undefined || k.openTime < range.from || k.openTime >= range.to) continue;
            const c = expected.get(k.symbol) ?? { rest: 0, dump: 0 };
            c[k.source] += 1;
            expected.set(k.symbol, c);
          }
          const counted = await store.countBySource('spot', range);
          expect([...counted.entries()].sort()).toStrictEqual([...expected.entries()].sort());
        }
      });

      test('countBySource follows rewrites: a backfilled minute streamed again leaves the count', async () => {
        const k = makeKline('BTCUSDT', T0);
        await store.upsert('1m', [{ ...k, source: 'dump' }]);
        expect((await store.countBySource('spot', { from: T0, to: T0 + MINUTE })).get('BTCUSDT')).toStrictEqual({ rest: 0, dump: 1 });

        await store.upsert('1m', [k]);

        expect((await store.countBySource('spot', { from: T0, to: T0 + MINUTE })).size).toBe(0);
      });

      test('a provenance that is not rest or dump is refused by index', async () => {
        const result = await store.upsert('1m', [{ ...makeKline('BTCUSDT', T0), source: 'ws' as never }]);

        expect(result.failures.map((f) => f.index)).toStrictEqual([0]);
      });
    });

    describe('resample log and watermarks (the incremental resampler\'s port)', () => {
      /** Minutes covered by the runs of the log entries, as "type:symbol:openTime". */
      const loggedMinutes = (entries: { runs: { marketType: string; symbol: string; from: number; to: number }[] }[]) => {
        const out = new Set<string>();
        for (const e of entries) for (const r of e.runs) for (let t = r.from; t < r.to; t += MINUTE) out.add(`${r.marketType}:${r.symbol}:${t}`);
        return out;
      };

      test('a 1m upsert logs the minutes it stored, oldest batch first; resampled intervals log nothing', async () => {
        await store.upsert('1m', makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 3));
        await store.upsert('1m', ofType('usdm', makeSeries(['BTCUSDT'], T0 + 10 * MINUTE, 2)));
        await store.upsert('5m', makeSeries(['BTCUSDT'], T0, 1, '5m'));

        const log = await store.readResampleLog(10);

        expect(log).toHaveLength(2);
        expect(loggedMinutes(log.slice(0, 1))).toStrictEqual(new Set(['BTCUSDT', 'ETHUSDT'].flatMap((s) => [0, 1, 2].map((i) => `spot:${s}:${T0 + i * MINUTE}`))));
        expect(loggedMinutes(log.slice(1))).toStrictEqual(new Set([10, 11].map((i) => `usdm:BTCUSDT:${T0 + i * MINUTE}`)));
        expect(await store.readResampleLog(1)).toStrictEqual(log.slice(0, 1));
      });

      test('a refused kline is not logged', async () => {
        const batch = makeSeries(['BTCUSDT'], T0, 3);
        batch[1] = { ...batch[1], high: 'not a number' };

        const result = await store.upsert('1m', batch);

        expect(result.failures.map((f) => f.index)).toStrictEqual([1]);
        expect(loggedMinutes(await store.readResampleLog(10))).toStrictEqual(new Set([0, 2].map((i) => `spot:BTCUSDT:${T0 + i * MINUTE}`)));
      });

      test('settling deletes the consumed entries and keeps the carried runs for a later run', async () => {
        await store.upsert('1m', makeSeries(['A'], T0, 1));
        await store.upsert('1m', makeSeries(['B'], T0, 1));
        const [a, b] = await store.readResampleLog(10);
        const carried = { marketType: 'spot' as const, symbol: 'A', from: T0 + MINUTE, to: T0 + 5 * MINUTE };

        await store.settleResampleLog([a.id], [carried]);

        const after = await store.readResampleLog(10);
        expect(after.map((e) => e.id)).toContain(b.id);
        expect(after.map((e) => e.id)).not.toContain(a.id);
        expect(after.flatMap((e) => e.runs)).toContainEqual(carried);
        await store.settleResampleLog(after.map((e) => e.id), []);
        expect(await store.readResampleLog(10)).toStrictEqual([]);
      });

      test('watermarks: none at first, then one per market type and interval, the last written', async () => {
        expect(await store.readResampleState()).toStrictEqual([]);
        await store.writeResampleState([
          { marketType: 'spot', interval: '5m', watermark: T0 },
          { marketType: 'usdm', interval: '5m', watermark: T0 + MINUTE },
        ]);
        await store.writeResampleState([{ marketType: 'spot', interval: '5m', watermark: T0 + 5 * MINUTE }]);

        const state = (await store.readResampleState()).sort((x, y) => x.marketType.localeCompare(y.marketType));
        expect(state).toStrictEqual([
          { marketType: 'spot', interval: '5m', watermark: T0 + 5 * MINUTE },
          { marketType: 'usdm', interval: '5m', watermark: T0 + MINUTE },
        ]);
      });
    });

    describe('audits', () => {
      const audit = (day: number, equal: number): AuditResult => {
        const date = new Date(day).toISOString().slice(0, 10);
        const totals = { markets: 1, audited: 1, exchangeMinutes: 1440, equal, differing: 0, missingOurs: 0, missingTheirs: 0, repaired: 0, restRecovered: 0, gapMinutes: { 'capture-loss': 0, 'no-kline-at-exchange': 0, 'outside-life': 0, repaired: 0 } };
        return { day: date, range: { from: day, to: day + DAY }, markets: [], totals } as AuditResult;
      };
      const D0 = Math.floor(T0 / DAY) * DAY;

      test('keeps one audit per day: saving a day again replaces it; reads the whole days of a range, oldest first', async () => {
        await store.saveAudit(audit(D0 + DAY, 1));
        await store.saveAudit(audit(D0, 2));
        await store.saveAudit(audit(D0 + 2 * DAY, 3));
        await store.saveAudit(audit(D0 + DAY, 4));

        expect((await store.readAudits({ from: D0, to: D0 + 3 * DAY })).map((a) => [a.day, a.totals.equal])).toStrictEqual([
          [audit(D0, 0).day, 2],
          [audit(D0 + DAY, 0).day, 4],
          [audit(D0 + 2 * DAY, 0).day, 3],
        ]);
        // Only days wholly inside the range.
        expect((await store.readAudits({ from: D0 + 1, to: D0 + 3 * DAY - 1 })).map((a) => a.day)).toStrictEqual([audit(D0 + DAY, 0).day]);
        expect(await store.readAudits({ from: D0 + 5 * DAY, to: D0 + 6 * DAY })).toStrictEqual([]);
      });

      test('an audit reads back equal to what was saved', async () => {
        const a = audit(D0, 1439);
        await store.saveAudit(a);
        expect(await store.readAudits({ from: D0, to: D0 + DAY })).toStrictEqual([a]);
      });
    });

    describe('schema', () => {
      test('a store without its schema reports what is missing; applying it is idempotent and leaves nothing to report', async () => {
        const bare = await harness.openBare();
        opened.push(bare);

        const before = await bare.checkSchema();
        const applied = await bare.applySchema();
        const again = await bare.applySchema();

        expect(before.length).toBeGreaterThan(0);
        expect(before.map((d) => d.collection)).toContain('klines_1m');
        expect(before.every((d) => d.message.includes(d.collection))).toBe(true);
        expect(applied.some((line) => line.startsWith('klines_1m'))).toBe(true);
        expect(again).toStrictEqual([]);
        expect(await bare.checkSchema()).toStrictEqual([]);
        expect(await bare.upsert('1m', makeSeries(['BTCUSDT'], T0, 2))).toStrictEqual({ written: 2, failures: [] });
      });

      test('checking changes nothing: a store without its schema still has none afterwards', async () => {
        const bare = await harness.openBare();
        opened.push(bare);

        const first = await bare.checkSchema();

        expect(await bare.checkSchema()).toStrictEqual(first);
      });

      test('a store whose schema step set no retention keeps every 1m kline: readRetention is null for every market type', async () => {
        for (const marketType of MARKET_TYPES) expect(await store.readRetention(marketType)).toBeNull();
        const bare = await harness.openBare();
        opened.push(bare);
        expect(await bare.readRetention('spot')).toBeNull(); // nothing created yet: nothing expires
      });

      test('applySchema reports each change to progress as it goes', async () => {
        const bare = await harness.openBare();
        opened.push(bare);
        const lines: string[] = [];

        const changes = await bare.applySchema({ progress: (l) => lines.push(l) });

        expect(lines.slice(0, changes.length)).toStrictEqual(changes);
      });
    });

    describe('read', () => {
      test('reads across a UTC day boundary, ordered by symbol then open time, filtered by market', async () => {
        const midnight = T0 + DAY;
        const batch = makeSeries(['ETHUSDT', 'BTCUSDT', 'BNBUSDT'], midnight - 3 * MINUTE, 6);
        await store.upsert('1m', batch);
        const window = { from: midnight - 2 * MINUTE, to: midnight + 2 * MINUTE };
        const expected = (s: string) => [-2, -1, 0, 1].map((m) => makeKline(s, midnight + m * MINUTE));

        const all = await store.read({ marketType: 'spot', interval: '1m', ...window });
        const some = await store.read({ marketType: 'spot', interval: '1m', symbols: ['ETHUSDT', 'BNBUSDT', 'XRPUSDT'], ...window });

        expect(all).toStrictEqual([...expected('BNBUSDT'), ...expected('BTCUSDT'), ...expected('ETHUSDT')]);
        expect(some).toStrictEqual([...expected('BNBUSDT'), ...expected('ETHUSDT')]);
      });

      test('an empty market list reads nothing', async () => {
        await store.upsert('1m', makeSeries(['BTCUSDT'], T0, 2));

        expect(await store.read({ marketType: 'spot', interval: '1m', symbols: [], from: T0, to: T0 + DAY })).toStrictEqual([]);
      });
    });

    describe('gaps and counts', () => {
      test('finds gaps at the start, in the middle, at the end and over a whole range, per market', async () => {
        // BTC: minutes 2..9 and 12..16 of 0..19 stored; ETH: all; XRP: nothing.
        const range = { from: T0, to: T0 + 20 * MINUTE };
        const btc = [...makeSeries(['BTCUSDT'], T0 + 2 * MINUTE, 8), ...makeSeries(['BTCUSDT'], T0 + 12 * MINUTE, 5)];
        await store.upsert('1m', [...btc, ...makeSeries(['ETHUSDT'], T0, 20)]);

        const gaps = await store.gaps('spot', '1m', range, ['BTCUSDT', 'ETHUSDT', 'XRPUSDT']);

        const at = (m: number) => T0 + m * MINUTE;
        expect(gaps).toStrictEqual(
          new Map([
            ['BTCUSDT', [{ from: at(0), to: at(2) }, { from: at(10), to: at(12) }, { from: at(17), to: at(20) }]],
            ['ETHUSDT', []],
            ['XRPUSDT', [range]],
          ]),
        );
        expect(await store.countByMarket('spot', '1m', range)).toStrictEqual(new Map([['BTCUSDT', 13], ['ETHUSDT', 20]]));
      });

      test('symbolsWithKlines lists, sorted, the symbols with a kline in the range, of that type and interval only', async () => {
        await store.upsert('1m', [...makeSeries(['ETHUSDT'], T0 + 5 * MINUTE, 1), ...makeSeries(['BTCUSDT'], T0 - 2 * MINUTE, 2), ...makeSeries(['XRPUSDT'], T0 + 10 * MINUTE, 3)]);
        await store.upsert('1m', ofType('usdm', makeSeries(['BNBUSDT'], T0, 1)));
        await store.upsert('5m', makeSeries(['ADAUSDT'], T0, 1, '5m'));
        const range = { from: T0, to: T0 + 10 * MINUTE };

        // BTCUSDT's minutes end just before the range; XRPUSDT's start at its (exclusive) end.
        expect(await store.symbolsWithKlines('spot', '1m', range)).toStrictEqual(['ETHUSDT']);
        expect(await store.symbolsWithKlines('spot', '1m', { from: T0 - MINUTE, to: T0 + 11 * MINUTE })).toStrictEqual(['BTCUSDT', 'ETHUSDT', 'XRPUSDT']);
        expect(await store.symbolsWithKlines('usdm', '1m', range)).toStrictEqual(['BNBUSDT']);
        expect(await store.symbolsWithKlines('spot', '5m', range)).toStrictEqual(['ADAUSDT']);
        expect(await store.symbolsWithKlines('coinm', '1m', range)).toStrictEqual([]);
      });

      test('gaps of resampled intervals are counted in their own windows', async () => {
        await store.upsert('1h', [makeKline('BTCUSDT', T0, '1h'), makeKline('BTCUSDT', T0 + 3 * 3_600_000, '1h')]);

        const gaps = await store.gaps('spot', '1h', { from: T0, to: T0 + 4 * 3_600_000 }, ['BTCUSDT']);

        expect(gaps.get('BTCUSDT')).toStrictEqual([{ from: T0 + 3_600_000, to: T0 + 3 * 3_600_000 }]);
      });

      test('lastOpenTimes gives each asked market its latest stored open time, keyed by market key', async () => {
        await store.upsert('1m', [...makeSeries(['BTCUSDT'], T0, 5), ...makeSeries(['ETHUSDT'], T0 + DAY, 2)]);
        await store.upsert('1m', ofType('usdm', makeSeries(['BTCUSDT'], T0, 2)));
        await store.upsert('5m', makeSeries(['XRPUSDT'], T0, 1, '5m'));
        const markets = [
          { marketType: 'spot', symbol: 'BTCUSDT' },
          { marketType: 'spot', symbol: 'ETHUSDT' },
          { marketType: 'usdm', symbol: 'BTCUSDT' },
          { marketType: 'coinm', symbol: 'BTCUSDT' },
          { marketType: 'spot', symbol: 'XRPUSDT' },
        ] as const;

        expect(await store.lastOpenTimes('1m', markets)).toStrictEqual(
          new Map([
            ['spot:BTCUSDT', T0 + 4 * MINUTE],
            ['spot:ETHUSDT', T0 + DAY + MINUTE],
            ['usdm:BTCUSDT', T0 + MINUTE],
          ]),
        );
        expect(await store.lastOpenTimes('5m', markets)).toStrictEqual(new Map([['spot:XRPUSDT', T0]]));
        expect(await store.lastOpenTimes('15m', markets)).toStrictEqual(new Map());
        expect(await store.lastOpenTimes('1m', [])).toStrictEqual(new Map());
      });
    });

    describe('market history', () => {
      test('records status changes once, ordered by symbol then time', async () => {
        const events: MarketStatusEvent[] = [
          { marketType: 'spot', symbol: 'ETHUSDT', status: 'TRADING', at: T0 },
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'BREAK', at: T0 + DAY },
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
        ];

        await store.recordMarketStatus(events);
        await store.recordMarketStatus([events[1], { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 + 2 * DAY }]);

        expect(await store.marketHistory()).toStrictEqual([
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'BREAK', at: T0 + DAY },
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 + 2 * DAY },
          { marketType: 'spot', symbol: 'ETHUSDT', status: 'TRADING', at: T0 },
        ]);
      });

      test('reads only the named markets when given some: not a symbol prefix, not the same symbol of another type', async () => {
        const events: MarketStatusEvent[] = [
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'BREAK', at: T0 + DAY },
          { marketType: 'spot', symbol: 'BTCUSDTX', status: 'TRADING', at: T0 },
          { marketType: 'spot', symbol: 'BTCUSD', status: 'TRADING', at: T0 },
          { marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
          { marketType: 'coinm', symbol: 'ETHUSD_PERP', status: 'TRADING', at: T0 },
        ];
        await store.recordMarketStatus(events);

        expect(await store.marketHistory([{ marketType: 'spot', symbol: 'BTCUSDT' }])).toStrictEqual([events[0], events[1]]);
        expect(await store.marketHistory([{ marketType: 'coinm', symbol: 'ETHUSD_PERP' }, { marketType: 'usdm', symbol: 'BTCUSDT' }])).toStrictEqual([events[4], events[5]]);
        expect(await store.marketHistory([{ marketType: 'spot', symbol: 'NOPEUSDT' }])).toStrictEqual([]);
        expect(await store.marketHistory([])).toStrictEqual([]);
        expect(await store.marketHistory()).toHaveLength(events.length);
      });
    });

    describe('market types', () => {
      test('BTCUSDT spot and BTCUSDT USDⓈ-M never mix: each reads back its own prices', async () => {
        // Prepare: the same symbol and minutes in two types, with different prices, in one batch
        const spot = makeSeries(['BTCUSDT'], T0, 3);
        const usdm = spot.map((k, i) => ({ ...k, marketType: 'usdm' as const, open: `1${i}.50000000`, high: '99.00000000', low: '10.00000000', close: '20.00000000' }));
        // Act
        const result = await store.upsert('1m', [spot[0], usdm[0], spot[1], usdm[1], spot[2], usdm[2]]);
        // Assess
        expect(result).toStrictEqual({ written: 6, failures: [] });
        const range = { from: T0, to: T0 + 3 * MINUTE };
        expect(await store.read({ marketType: 'spot', interval: '1m', ...range })).toStrictEqual(spot);
        expect(await store.read({ marketType: 'usdm', interval: '1m', ...range })).toStrictEqual(usdm);
        expect(await store.read({ marketType: 'usdm', interval: '1m', symbols: ['BTCUSDT'], ...range })).toStrictEqual(usdm);
        expect(await store.read({ marketType: 'coinm', interval: '1m', ...range })).toStrictEqual([]);
      });

      test('re-writing one type leaves the other untouched, and identical re-writes count 0', async () => {
        const spot = makeSeries(['ETHUSDT'], T0, 2);
        const coinm = ofType('coinm', spot);
        await store.upsert('1m', [...spot, ...coinm]);
        const changed = { ...coinm[1], close: coinm[1].high };

        const result = await store.upsert('1m', [...spot, coinm[0], changed]);

        expect(result).toStrictEqual({ written: 1, failures: [] });
        const range = { from: T0, to: T0 + 2 * MINUTE };
        expect(await store.read({ marketType: 'spot', interval: '1m', ...range })).toStrictEqual(spot);
        expect(await store.read({ marketType: 'coinm', interval: '1m', ...range })).toStrictEqual([coinm[0], changed]);
      });

      test('counts and gaps are per market type', async () => {
        const range = { from: T0, to: T0 + 10 * MINUTE };
        await store.upsert('1m', [...makeSeries(['BTCUSDT'], T0, 10), ...ofType('usdm', makeSeries(['BTCUSDT'], T0 + 4 * MINUTE, 6))]);

        expect(await store.countByMarket('spot', '1m', range)).toStrictEqual(new Map([['BTCUSDT', 10]]));
        expect(await store.countByMarket('usdm', '1m', range)).toStrictEqual(new Map([['BTCUSDT', 6]]));
        expect(await store.countByMarket('coinm', '1m', range)).toStrictEqual(new Map());
        expect(await store.gaps('spot', '1m', range, ['BTCUSDT'])).toStrictEqual(new Map([['BTCUSDT', []]]));
        expect(await store.gaps('usdm', '1m', range, ['BTCUSDT'])).toStrictEqual(new Map([['BTCUSDT', [{ from: T0, to: T0 + 4 * MINUTE }]]]));
        expect(await store.gaps('coinm', '1m', range, ['BTCUSDT'])).toStrictEqual(new Map([['BTCUSDT', [range]]]));
      });

      test('resampled bars of each type go to their own table', async () => {
        const bar = makeKline('BTCUSD_PERP', T0, '1h');
        const coinmBar = { ...bar, marketType: 'coinm' as const, close: bar.low };

        await store.upsert('1h', [bar, coinmBar]);

        expect(await store.read({ marketType: 'spot', interval: '1h', from: T0, to: T0 + DAY })).toStrictEqual([bar]);
        expect(await store.read({ marketType: 'coinm', interval: '1h', from: T0, to: T0 + DAY })).toStrictEqual([coinmBar]);
        expect(await store.read({ marketType: 'usdm', interval: '1h', from: T0, to: T0 + DAY })).toStrictEqual([]);
      });

      test('a kline without a known market type is refused by index, the rest stored', async () => {
        const good = makeSeries(['BTCUSDT'], T0, 2);
        const untyped = { ...makeKline('BTCUSDT', T0 + 2 * MINUTE), marketType: 'margin' } as unknown as Kline;

        const result = await store.upsert('1m', [good[0], untyped, good[1]]);

        expect(result.written).toBe(2);
        expect(result.failures.map((f) => f.index)).toStrictEqual([1]);
        expect(result.failures[0].reason).toMatch(/market type "margin"/);
      });

      test('market history keeps each type apart: the same event in two types is two events', async () => {
        const events: MarketStatusEvent[] = [
          { marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
          { marketType: 'coinm', symbol: 'BTCUSD_250328', status: 'DELIVERING', at: T0 + DAY },
          { marketType: 'usdm', symbol: 'BTCUSDT', status: 'SETTLING', at: T0 + DAY },
          { marketType: 'coinm', symbol: 'BTCUSD_250328', status: 'PENDING_TRADING', at: T0 },
        ];

        await store.recordMarketStatus(events);
        await store.recordMarketStatus(events.slice(0, 2));

        expect(await store.marketHistory()).toStrictEqual([
          { marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
          { marketType: 'usdm', symbol: 'BTCUSDT', status: 'TRADING', at: T0 },
          { marketType: 'usdm', symbol: 'BTCUSDT', status: 'SETTLING', at: T0 + DAY },
          { marketType: 'coinm', symbol: 'BTCUSD_250328', status: 'PENDING_TRADING', at: T0 },
          { marketType: 'coinm', symbol: 'BTCUSD_250328', status: 'DELIVERING', at: T0 + DAY },
        ]);
      });
    });

    describe('outage', () => {
      test('an unreachable store rejects with StoreUnavailableError and the retried batch is stored whole', async () => {
        const batch = makeSeries(['BTCUSDT', 'ETHUSDT'], T0, 50);
        const handed = structuredClone(batch);
        const outage = await harness.outage();
        opened.push(outage.store);

        const attempt = outage.store.upsert('1m', batch);

        await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(attempt).rejects.toThrow(/unavailable|closed|cannot/i);
        expect(batch).toStrictEqual(handed);
        const recovered = await outage.recover();
        opened.push(recovered);
        expect(await recovered.upsert('1m', batch)).toStrictEqual({ written: 100, failures: [] });
        expect(await recovered.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + 50 * MINUTE })).toStrictEqual(batch);
      });

      test('reads from an unreachable store reject with StoreUnavailableError', async () => {
        const outage = await harness.outage();
        opened.push(outage.store);

        await expect(outage.store.read({ marketType: 'spot', interval: '1m', from: T0, to: T0 + MINUTE })).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(outage.store.lastOpenTimes('1m', [{ marketType: 'spot', symbol: 'BTCUSDT' }])).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(outage.store.recordMarketStatus([{ marketType: 'spot', symbol: 'BTCUSDT', status: 'TRADING', at: T0 }])).rejects.toBeInstanceOf(StoreUnavailableError);
      });
    });
  });
}
