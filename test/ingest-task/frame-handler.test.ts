/**
 * The hot path names the venue it reads for: the market type comes from the ingest that owns the
 * connection, on the fast path (Binance's exact layout) and on the slow path (anything else).
 */
import type { Kline } from '../../core/kline';
import type { MarketType } from '../../core/market';
import { Sequencer } from '../../ingest-task/capture/sequencer';
import { createFrameHandler } from '../../ingest-task/frames/frame-handler';

const T0 = Date.UTC(2026, 0, 5, 13, 7);

function frame(symbol: string, openTime: number, closed: boolean, reorder = false): Buffer {
  const k: [string, string][] = [
    ['t', String(openTime)],
    ['T', String(openTime + 59_999)],
    ['s', JSON.stringify(symbol)],
    ['i', '"1m"'],
    ['f', '1'],
    ['L', '2'],
    ['o', '"10.5"'],
    ['c', '"10.25"'],
    ['h', '"11"'],
    ['l', '"10"'],
    ['v', '"3"'],
    ['n', '2'],
    ['x', String(closed)],
    ['q', '"31.5"'],
    ['V', '"1"'],
    ['Q', '"10.5"'],
    ['B', '"0"'],
  ];
  if (reorder) k.reverse();
  const kText = `{${k.map(([key, v]) => `"${key}":${v}`).join(',')}}`;
  return Buffer.from(`{"stream":"${symbol.toLowerCase()}@kline_1m","data":{"e":"kline","E":${openTime + 60_003},"s":${JSON.stringify(symbol)},"k":${kText}}}`);
}

function run(marketType: MarketType, frames: Buffer[]): { out: Kline[]; rejected: number } {
  const sequencer = new Sequencer();
  sequencer.track('BTCUSDT', T0);
  const out: Kline[] = [];
  const handler = createFrameHandler<undefined>({ marketType, sequencer, forward: (ks) => out.push(...ks) });
  for (const f of frames) handler.handle(f, undefined);
  return { out, rejected: handler.counters.rejected };
}

describe('createFrameHandler', () => {
  it.each(['spot', 'usdm', 'coinm'] as const)('stamps %s on klines read by the fast and the slow path, and skips intermediate updates', (marketType) => {
    const frames = [frame('BTCUSDT', T0, false), frame('BTCUSDT', T0, true), frame('BTCUSDT', T0 + 60_000, false), frame('BTCUSDT', T0 + 60_000, true, true)];

    const { out, rejected } = run(marketType, frames);

    expect(out.map((k) => [k.marketType, k.openTime])).toEqual([
      [marketType, T0],
      [marketType, T0 + 60_000],
    ]);
    expect(rejected).toBe(0);
  });

  it('counts a malformed frame as rejected and carries on', () => {
    const { out, rejected } = run('usdm', [Buffer.from('{"stream":"btcusdt@kline_1m","data":{"e":"kline","k":{"x":true'), frame('BTCUSDT', T0, true)]);
    expect(rejected).toBe(1);
    expect(out.map((k) => k.marketType)).toEqual(['usdm']);
  });
});
