import { bindingRetention, historyStart, RetentionError } from '../../../core/history/retention';

const DAY = 86_400_000;
/** 2026-01-05T10:30Z: mid-day, so "now minus N days" falls inside a day. */
const NOW = Date.UTC(2026, 0, 5, 10, 30);
const days = (n: number) => n * 86_400;

describe('historyStart: history against the store\'s 1m retention', () => {
  it('leaves --from alone when no market type has a retention (SQLite, MongoDB without TTL)', () => {
    expect(historyStart(Date.UTC(2017, 0, 1), [{ marketType: 'spot', seconds: null }], NOW)).toEqual({ from: Date.UTC(2017, 0, 1) });
    expect(historyStart(undefined, [{ marketType: 'spot', seconds: null }, { marketType: 'usdm', seconds: null }], NOW)).toEqual({ from: undefined });
    expect(historyStart(undefined, [], NOW)).toEqual({ from: undefined });
  });

  it('refuses a --from older than the retention, naming the retention, its collection and the earliest day allowed', () => {
    const start = () => historyStart(Date.UTC(2025, 11, 1), [{ marketType: 'spot', seconds: days(30) }], NOW);
    expect(start).toThrow(RetentionError);
    // 30 days before 2026-01-05T10:30Z is 2025-12-06T10:30Z: the first whole day kept is 12-07.
    expect(start).toThrow(/^--from 2025-12-01T00:00:00\.000Z is older than the store's retention: the store keeps spot 1m klines 30 days \(TTL on klines_1m\)/);
    expect(start).toThrow(/The earliest day to import is 2025-12-07 \(--from 2025-12-07\), or --ignore-retention imports the older days anyway$/);
  });

  it('accepts a --from from the oldest minute kept on, to the millisecond', () => {
    const keptFrom = NOW - 30 * DAY;
    const retentions = [{ marketType: 'spot' as const, seconds: days(30) }];
    expect(historyStart(keptFrom, retentions, NOW)).toEqual({ from: keptFrom });
    expect(() => historyStart(keptFrom - 1, retentions, NOW)).toThrow(RetentionError);
    expect(historyStart(Date.UTC(2025, 11, 7), retentions, NOW)).toEqual({ from: Date.UTC(2025, 11, 7) });
  });

  it('without --from, starts at the earliest whole day kept and says why', () => {
    const start = historyStart(undefined, [{ marketType: 'spot', seconds: days(7) }], NOW);
    expect(start.from).toBe(Date.UTC(2025, 11, 30));
    expect(start.notice).toBe('the store keeps spot 1m klines 7 days (TTL on klines_1m): importing from 2025-12-30, the earliest day it keeps (older days need --from and --ignore-retention, and MongoDB deletes them)');
  });

  it('--ignore-retention imports what was asked, from the listing when no --from', () => {
    const retentions = [{ marketType: 'spot' as const, seconds: days(7) }];
    expect(historyStart(Date.UTC(2020, 0, 1), retentions, NOW, true)).toEqual({ from: Date.UTC(2020, 0, 1) });
    expect(historyStart(undefined, retentions, NOW, true)).toEqual({ from: undefined });
  });

  it('with several market types the shortest retention binds, and is the one named', () => {
    const retentions = [
      { marketType: 'spot' as const, seconds: days(90) },
      { marketType: 'usdm' as const, seconds: days(14) },
      { marketType: 'coinm' as const, seconds: null },
    ];
    expect(bindingRetention(retentions, NOW)).toEqual({ marketType: 'usdm', seconds: days(14), keptFrom: NOW - 14 * DAY, earliestDay: Date.UTC(2025, 11, 23) });
    expect(() => historyStart(Date.UTC(2025, 11, 1), retentions, NOW)).toThrow(/keeps usdm 1m klines 14 days \(TTL on usdm_klines_1m\)/);
  });

  it('a retention that is not whole days is given in seconds; a day boundary exactly kept is that day', () => {
    expect(() => historyStart(0, [{ marketType: 'spot', seconds: 90_000 }], NOW)).toThrow(/keeps spot 1m klines 90000 s/);
    const midnight = Date.UTC(2026, 0, 5);
    expect(bindingRetention([{ marketType: 'spot', seconds: days(1) }], midnight)?.earliestDay).toBe(Date.UTC(2026, 0, 4));
  });
});
