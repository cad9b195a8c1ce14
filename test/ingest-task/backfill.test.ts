import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import { Backfiller } from '../../ingest-task/capture/backfill';
import { BinanceApiError, LocationRefusedError } from '../../core/binance/errors';
import type { BinanceRestClient } from '../../core/binance/rest/rest-client';
import { Sequencer } from '../../ingest-task/capture/sequencer';

const T0 = Date.UTC(2026, 0, 5);
const row = (minute: number): unknown[] => {
  const t = T0 + minute * MINUTE_MS;
  return [t, '1.0', '1.0', '1.0', '1.0', '0.0', t + MINUTE_MS - 1, '0.0', 0, '0.0', '0.0', '0'];
};

/** A REST stand-in serving the given minutes (ascending), `limit` rows per page. */
function restServing(minutes: number[], calls: { start: number; end: number }[] = []): BinanceRestClient {
  return {
    klines: async (_symbol: string, start: number, end: number, limit: number) => {
      calls.push({ start, end });
      return minutes.map((m) => T0 + m * MINUTE_MS).filter((t) => t >= start && t <= end).slice(0, limit).map((t) => row((t - T0) / MINUTE_MS));
    },
  } as unknown as BinanceRestClient;
}

async function fill(rest: BinanceRestClient, sequencer: Sequencer, gap: { from: number; to: number }, limit = 1000): Promise<{ out: Kline[]; fatal: Error[]; backfiller: Backfiller }> {
  const out: Kline[] = [];
  const fatal: Error[] = [];
  const backfiller = new Backfiller({ marketType: 'spot', rest, sequencer, forward: (k) => out.push(...k), onFatal: (e) => fatal.push(e), limit });
  backfiller.offer({ symbol: 'AUSDT', from: T0 + gap.from * MINUTE_MS, to: T0 + gap.to * MINUTE_MS });
  await backfiller.idle();
  return { out, fatal, backfiller };
}

const minutes = (ks: Kline[]): number[] => ks.map((k) => (k.openTime - T0) / MINUTE_MS);

describe('Backfiller', () => {
  it('pages through a long gap and forwards every minute once, in order', async () => {
    const seq = new Sequencer();
    seq.track('AUSDT', T0);
    const calls: { start: number; end: number }[] = [];
    const all = Array.from({ length: 25 }, (_, i) => i);
    const { out } = await fill(restServing(all, calls), seq, { from: 0, to: 24 }, 10);
    expect(minutes(out)).toEqual(all);
    expect(calls.map((c) => (c.start - T0) / MINUTE_MS)).toEqual([0, 10, 20]);
    expect(seq.get('AUSDT')?.watermark).toBe(T0 + 24 * MINUTE_MS);
  });

  it('stamps the venue’s market type on every row (REST rows do not carry it)', async () => {
    const seq = new Sequencer();
    seq.track('AUSDT', T0);
    const out: Kline[] = [];
    const backfiller = new Backfiller({ marketType: 'coinm', rest: restServing([0, 1, 2]), sequencer: seq, forward: (k) => out.push(...k), onFatal: () => undefined });
    backfiller.offer({ symbol: 'AUSDT', from: T0, to: T0 + 2 * MINUTE_MS });
    await backfiller.idle();
    expect(out.map((k) => [k.marketType, k.source, minutes([k])[0]])).toEqual([
      ['coinm', 'rest', 0],
      ['coinm', 'rest', 1],
      ['coinm', 'rest', 2],
    ]);
  });

  it('settles minutes REST does not have (a halt) so they are not asked for again', async () => {
    const seq = new Sequencer();
    seq.track('AUSDT', T0);
    const { out } = await fill(restServing([0, 1, 7, 8]), seq, { from: 0, to: 9 });
    expect(minutes(out)).toEqual([0, 1, 7, 8]);
    expect(seq.gapOf('AUSDT', T0 + 10 * MINUTE_MS)).toBeUndefined();
  });

  it('releases stream klines held behind the gap once it is filled', async () => {
    const seq = new Sequencer();
    seq.track('AUSDT', T0);
    const held: Kline[] = [];
    const k5 = { marketType: 'spot' as const, symbol: 'AUSDT', interval: '1m', openTime: T0 + 5 * MINUTE_MS, closeTime: T0 + 6 * MINUTE_MS - 1, open: '2', high: '2', low: '2', close: '2', volume: '0', quoteVolume: '0', trades: 0, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0' };
    seq.offer(k5, held);
    expect(held).toEqual([]);
    const { out } = await fill(restServing([0, 1, 2, 3, 4, 5]), seq, { from: 0, to: 4 });
    expect(minutes(out)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out[5]).toBe(k5);
    // Provenance: the filled minutes came from REST, the held one from the stream.
    expect(out.map((k) => k.source)).toEqual(['rest', 'rest', 'rest', 'rest', 'rest', undefined]);
  });

  it('asks for the gap as it stands when the job starts: closed by the stream meanwhile = no request, grown = the whole range', async () => {
    // Prepare: two gaps queued behind a slow job; before their turn the stream fills one and the other grows
    const seq = new Sequencer();
    for (const s of ['SLOWUSDT', 'AUSDT', 'BUSDT']) seq.track(s, T0);
    const calls: { symbol: string; start: number; end: number }[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => (releaseSlow = r));
    const rest = {
      klines: async (symbol: string, start: number, end: number) => {
        calls.push({ symbol, start, end });
        if (symbol === 'SLOWUSDT') await slow;
        return Array.from({ length: 10 }, (_, m) => row(m)).filter((r) => (r[0] as number) >= start && (r[0] as number) <= end).map((r) => [...r]);
      },
    } as unknown as BinanceRestClient;
    let dueBefore = T0 + 3 * MINUTE_MS;
    const out: Kline[] = [];
    const backfiller = new Backfiller({ marketType: 'spot', rest, sequencer: seq, forward: (k) => out.push(...k), onFatal: () => undefined, concurrency: 1, currentGap: (s) => seq.gapOf(s, dueBefore) });
    for (const symbol of ['SLOWUSDT', 'AUSDT', 'BUSDT']) backfiller.offer({ symbol, from: T0, to: T0 + MINUTE_MS });

    // Act: the stream delivers A's minutes; time passes, B's gap grows
    const streamed: Kline[] = [];
    for (let m = 0; m <= 6; m++) seq.offer({ marketType: 'spot', symbol: 'AUSDT', interval: '1m', openTime: T0 + m * MINUTE_MS, closeTime: T0 + (m + 1) * MINUTE_MS - 1, open: '1', high: '1', low: '1', close: '1', volume: '0', quoteVolume: '0', trades: 0, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0' }, streamed);
    dueBefore = T0 + 7 * MINUTE_MS;
    releaseSlow();
    await backfiller.idle();

    // Assess
    expect(calls.map((c) => c.symbol)).toEqual(['SLOWUSDT', 'BUSDT']);
    expect((calls[1].end + 1 - T0) / MINUTE_MS).toBe(7);
    expect(minutes(out.filter((k) => k.symbol === 'BUSDT'))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(backfiller.stats.closedWhileQueued).toBe(1);
  });

  it('gives up the gap of a market the API no longer knows (delisted)', async () => {
    const seq = new Sequencer();
    seq.track('AUSDT', T0);
    const rest = { klines: async () => Promise.reject(new BinanceApiError(400, -1121, 'Invalid symbol.')) } as unknown as BinanceRestClient;
    const { out } = await fill(rest, seq, { from: 0, to: 3 });
    expect(out).toEqual([]);
    expect(seq.gapOf('AUSDT', T0 + 4 * MINUTE_MS)).toBeUndefined();
  });

  it('keeps the gap after a failure and reports a 451 as fatal', async () => {
    const seq = new Sequencer();
    seq.track('AUSDT', T0);
    const failing = { klines: async () => Promise.reject(new Error('HTTP 503')) } as unknown as BinanceRestClient;
    const first = await fill(failing, seq, { from: 0, to: 3 });
    expect(first.backfiller.stats.failures).toBe(1);
    expect(seq.gapOf('AUSDT', T0 + 4 * MINUTE_MS)).toEqual({ symbol: 'AUSDT', from: T0, to: T0 + 3 * MINUTE_MS });
    const refused = { klines: async () => Promise.reject(new LocationRefusedError('x')) } as unknown as BinanceRestClient;
    const second = await fill(refused, seq, { from: 0, to: 3 });
    expect(second.fatal).toHaveLength(1);
  });
});
