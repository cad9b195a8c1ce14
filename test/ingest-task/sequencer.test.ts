import type { Kline } from '../../core/kline';
import { Sequencer } from '../../ingest-task/capture/sequencer';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0);

function kline(symbol: string, minute: number): Kline {
  const openTime = T0 + minute * M;
  return { marketType: 'spot', symbol, interval: '1m', openTime, closeTime: openTime + M - 1, open: '1', high: '1', low: '1', close: '1', volume: '0', quoteVolume: '0', trades: 0, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0' };
}

function offerAll(seq: Sequencer, klines: Kline[]): Kline[] {
  const out: Kline[] = [];
  for (const k of klines) seq.offer(k, out);
  return out;
}

const minutes = (ks: Kline[]): number[] => ks.map((k) => (k.openTime - T0) / M);

describe('Sequencer', () => {
  it('forwards each minute once, whatever the duplicates', () => {
    const seq = new Sequencer();
    seq.track('A', T0);
    const out = offerAll(seq, [kline('A', 0), kline('A', 0), kline('A', 1), kline('A', 1), kline('A', 0)]);
    expect(minutes(out)).toEqual([0, 1]);
  });

  it('holds a minute that arrives after a hole and releases it in order once the hole is filled', () => {
    const seq = new Sequencer();
    seq.track('A', T0);
    const first = offerAll(seq, [kline('A', 0), kline('A', 2), kline('A', 3)]);
    expect(minutes(first)).toEqual([0]);
    const late = offerAll(seq, [kline('A', 1)]);
    expect(minutes(late)).toEqual([1, 2, 3]);
    expect(minutes(offerAll(seq, [kline('A', 2)]))).toEqual([]);
  });

  it('ignores minutes before the start and markets it does not track', () => {
    const seq = new Sequencer();
    seq.track('A', T0 + 5 * M);
    expect(offerAll(seq, [kline('A', 4), kline('B', 5)])).toEqual([]);
    expect(minutes(offerAll(seq, [kline('A', 5)]))).toEqual([5]);
  });

  it('reports the hole as a gap only once its minutes are due by exchange time', () => {
    const seq = new Sequencer();
    seq.track('A', T0);
    offerAll(seq, [kline('A', 0), kline('A', 3)]);
    // Minute 1 closes at T0+2M; with the due time just before that, nothing is due.
    expect(seq.gapOf('A', T0 + 2 * M - 1)).toBeUndefined();
    expect(seq.gapOf('A', T0 + 2 * M)).toEqual({ symbol: 'A', from: T0 + M, to: T0 + M });
    expect(seq.gapOf('A', T0 + 10 * M)).toEqual({ symbol: 'A', from: T0 + M, to: T0 + 9 * M });
  });

  it('finds a silent market as a gap even though nothing arrived for it', () => {
    const seq = new Sequencer();
    seq.track('A', T0);
    expect(seq.gaps(T0 + 3 * M).map((g) => [g.symbol, g.from, g.to])).toEqual([['A', T0, T0 + 2 * M]]);
  });

  it('settling a backfilled range releases the held minutes and moves past minutes that do not exist', () => {
    // Prepare: minutes 1-2 missing, 3-4 held
    const seq = new Sequencer();
    seq.track('A', T0);
    offerAll(seq, [kline('A', 0), kline('A', 3), kline('A', 4)]);
    // Act: REST returned only minute 1 (minute 2 had no kline), then the range is settled
    const out: Kline[] = [];
    seq.offer(kline('A', 1), out);
    seq.settleThrough('A', T0 + 2 * M, out);
    // Assess
    expect(minutes(out)).toEqual([1, 3, 4]);
    expect(seq.get('A')?.watermark).toBe(T0 + 4 * M);
    expect(seq.gapOf('A', T0 + 5 * M)).toBeUndefined();
  });

  it('releases held klines out of order instead of growing without bound, still exactly once', () => {
    const seq = new Sequencer(3);
    seq.track('A', T0);
    const out = offerAll(seq, [kline('A', 2), kline('A', 3), kline('A', 4), kline('A', 5)]);
    expect(minutes(out)).toEqual([2, 3, 4, 5]);
    const later = offerAll(seq, [kline('A', 3), kline('A', 0), kline('A', 1), kline('A', 6)]);
    expect(minutes(later)).toEqual([0, 1, 6]);
    expect(seq.get('A')?.watermark).toBe(T0 + 6 * M);
  });

  it('stops expecting a halted market after the minute it stopped, and expects it again when it resumes', () => {
    const seq = new Sequencer();
    seq.track('A', T0);
    offerAll(seq, [kline('A', 0)]);
    seq.deactivate('A', T0 + 2 * M + 30_000);
    expect(seq.gapOf('A', T0 + 60 * M)).toEqual({ symbol: 'A', from: T0 + M, to: T0 + 2 * M });
    seq.settleThrough('A', T0 + 2 * M, []);
    expect(seq.gapOf('A', T0 + 60 * M)).toBeUndefined();
    expect(seq.caughtUpTo()).toBeUndefined();
    seq.activate('A');
    expect(seq.gapOf('A', T0 + 60 * M)?.to).toBe(T0 + 59 * M);
  });

  it('reports the oldest watermark over expected markets as caught-up point', () => {
    const seq = new Sequencer();
    seq.track('A', T0);
    seq.track('B', T0);
    offerAll(seq, [kline('A', 0), kline('A', 1), kline('B', 0)]);
    expect(seq.caughtUpTo()).toBe(T0);
  });

  it('remembers the last minute that existed: the resumed one, then the latest forwarded (not minutes settled empty)', () => {
    const seq = new Sequencer();
    seq.track('A', T0 + 3 * M, T0 + 2 * M);
    expect(seq.lastKlineOf('A')).toBe(T0 + 2 * M);
    const out: Kline[] = [];
    seq.offer(kline('A', 5), out);
    seq.settleThrough('A', T0 + 4 * M, out);
    seq.settleThrough('A', T0 + 9 * M, out);
    expect(minutes(out)).toEqual([5]);
    expect(seq.lastKlineOf('A')).toBe(T0 + 5 * M);
    expect(seq.watermarkOf('A')).toBe(T0 + 9 * M);
  });
});
