import type { Kline } from '../../core/kline';
import { dateChange, StatusDater, type SettledProgress } from '../../ingest-task/capture/status-dating';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0);
const at = (minutes: number, seconds = 0): number => T0 + minutes * M + seconds * 1000;

function kline(symbol: string, minute: number): Kline {
  const openTime = at(minute);
  return { marketType: 'spot', symbol, interval: '1m', openTime, closeTime: openTime + M - 1, open: '1', high: '1', low: '1', close: '1', volume: '0', quoteVolume: '0', trades: 0, takerBuyBaseVolume: '0', takerBuyQuoteVolume: '0' };
}

/** Watermarks set by the test: what the sequencer would say. */
function progress(watermarks: Record<string, number>): SettledProgress {
  return { watermarkOf: (symbol) => watermarks[symbol] };
}

describe('dateChange', () => {
  it('dates a stop at the open of the first minute without a kline', () => {
    expect(dateChange({ symbol: 'A', status: 'BREAK', kind: 'stop', noticedAt: at(14, 20), previousAt: at(9, 50), lastKline: at(11) })).toBe(at(12));
  });

  it('never dates a stop before the previous refresh (it was TRADING then) nor after the refresh that saw it', () => {
    expect(dateChange({ symbol: 'A', status: 'HALT', kind: 'stop', noticedAt: at(14, 20), previousAt: at(9, 50), lastKline: at(3) })).toBe(at(9, 50));
    expect(dateChange({ symbol: 'A', status: 'HALT', kind: 'stop', noticedAt: at(14, 20), previousAt: at(9, 50) })).toBe(at(9, 50));
    expect(dateChange({ symbol: 'A', status: 'HALT', kind: 'stop', noticedAt: at(14, 20), previousAt: at(9, 50), lastKline: at(14) })).toBe(at(14, 20));
  });

  it('dates a start at its first kline, or at the refresh when it has none', () => {
    expect(dateChange({ symbol: 'N', status: 'TRADING', kind: 'start', noticedAt: at(14, 20), previousAt: at(9, 50), firstKline: at(11) })).toBe(at(11));
    expect(dateChange({ symbol: 'N', status: 'TRADING', kind: 'start', noticedAt: at(14, 20), previousAt: at(9, 50) })).toBe(at(14, 20));
  });
});

describe('StatusDater', () => {
  it('holds a stop until the market is settled through the refresh minute, then dates it by the last kline', () => {
    // Prepare: a halt at 12:00 noticed at 14:20, minutes 10 and 11 still to be backfilled
    const dater = new StatusDater('spot');
    dater.notice({ symbol: 'A', status: 'HALT', kind: 'stop', noticedAt: at(14, 20), previousAt: at(9, 50), lastKline: at(9) });

    // Act
    const early = dater.release(progress({ A: at(9) }));
    dater.observe([kline('A', 10), kline('A', 11)]);
    const late = dater.release(progress({ A: at(14) }));

    // Assess
    expect(early).toEqual([]);
    expect(late).toEqual([{ marketType: 'spot', symbol: 'A', status: 'HALT', at: at(12) }]);
    expect(dater.size).toBe(0);
  });

  it('dates a listing at its first kline after the previous refresh, ignoring klines after the refresh that saw it', () => {
    const dater = new StatusDater('spot');
    dater.notice({ symbol: 'N', status: 'TRADING', kind: 'start', noticedAt: at(14, 20), previousAt: at(9, 50) });
    dater.observe([kline('N', 16), kline('N', 12), kline('N', 13)]);
    expect(dater.release(progress({ N: at(16) }))).toEqual([{ marketType: 'spot', symbol: 'N', status: 'TRADING', at: at(12) }]);
  });

  it('keeps one market in order: a return waits for the stop before it and is never dated earlier', () => {
    // Prepare: a break noticed at 14:20 whose backfill is pending, and the return noticed at 16:20
    const dater = new StatusDater('spot');
    dater.notice({ symbol: 'A', status: 'BREAK', kind: 'stop', noticedAt: at(14, 20), previousAt: at(9, 50), lastKline: at(9) });
    dater.notice({ symbol: 'A', status: 'TRADING', kind: 'start', noticedAt: at(16, 20), previousAt: at(14, 20) });
    dater.notice({ symbol: 'B', status: 'BREAK', kind: 'other', noticedAt: at(16, 20), previousAt: at(14, 20) });

    // Act
    const first = dater.release(progress({ A: at(12) }));
    dater.observe([kline('A', 10), kline('A', 15), kline('A', 16)]);
    const second = dater.release(progress({ A: at(16) }));

    // Assess
    expect(first).toEqual([{ marketType: 'spot', symbol: 'B', status: 'BREAK', at: at(16, 20) }]);
    expect(second).toEqual([
      { marketType: 'spot', symbol: 'A', status: 'BREAK', at: at(11) },
      { marketType: 'spot', symbol: 'A', status: 'TRADING', at: at(15) },
    ]);
  });

  it('releases everything with what is known when forced (at stop)', () => {
    const dater = new StatusDater('spot');
    dater.notice({ symbol: 'A', status: 'DELISTED', kind: 'stop', noticedAt: at(14, 20), previousAt: at(9, 50), lastKline: at(10) });
    expect(dater.release(progress({ A: at(10) }), true)).toEqual([{ marketType: 'spot', symbol: 'A', status: 'DELISTED', at: at(11) }]);
  });

  it('dates events of its own venue: a USDⓈ-M dater emits usdm events', () => {
    const dater = new StatusDater('usdm');
    dater.notice({ symbol: 'BTCUSDT', status: 'HALT', kind: 'stop', noticedAt: at(14, 20), previousAt: at(9, 50), lastKline: at(12) });
    expect(dater.release(progress({ BTCUSDT: at(14) }))).toEqual([{ marketType: 'usdm', symbol: 'BTCUSDT', status: 'HALT', at: at(13) }]);
  });

  it('never dates a change before an event already sent for the market', () => {
    const dater = new StatusDater('spot');
    dater.dated({ marketType: 'spot', symbol: 'A', status: 'TRADING', at: at(9, 50) });
    dater.notice({ symbol: 'A', status: 'HALT', kind: 'stop', noticedAt: at(14, 20), previousAt: at(5) });
    expect(dater.release(progress({ A: at(14) }))).toEqual([{ marketType: 'spot', symbol: 'A', status: 'HALT', at: at(9, 50) }]);
  });
});
