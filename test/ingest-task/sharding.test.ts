import { klineStreamName, pickConnectionWithRoom, plannedCapacity, shardMarkets } from '../../ingest-task/streams/sharding';

const symbols = (n: number): string[] => Array.from({ length: n }, (_, i) => `S${i}USDT`);
const limits = { maxStreamsPerConnection: 1024, headroom: 0.1 };

describe('shardMarkets', () => {
  it('uses one connection while the markets fit under the planned capacity', () => {
    expect(shardMarkets(symbols(900), limits)).toHaveLength(1);
  });

  it('uses the fewest connections the capacity allows and spreads markets evenly', () => {
    const shards = shardMarkets(symbols(2000), limits);
    expect(shards).toHaveLength(Math.ceil(2000 / plannedCapacity(limits)));
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(plannedCapacity(limits));
  });

  it('keeps every market exactly once', () => {
    const input = symbols(3001);
    const flat = shardMarkets(input, limits).flat();
    expect(flat.sort()).toEqual([...input].sort());
  });

  it('never exceeds the hard limit, even without headroom', () => {
    const shards = shardMarkets(symbols(5000), { maxStreamsPerConnection: 1024, headroom: 0 });
    expect(shards.every((s) => s.length <= 1024)).toBe(true);
    expect(shards).toHaveLength(5);
  });

  it('returns no shard for no market and rejects impossible limits', () => {
    expect(shardMarkets([], limits)).toEqual([]);
    expect(() => plannedCapacity({ maxStreamsPerConnection: 1024, headroom: 1 })).toThrow(RangeError);
    expect(() => plannedCapacity({ maxStreamsPerConnection: 0, headroom: 0 })).toThrow(RangeError);
  });
});

describe('pickConnectionWithRoom', () => {
  it('picks the least-loaded connection below the hard limit', () => {
    expect(pickConnectionWithRoom([900, 700, 1024], limits)).toBe(1);
  });

  it('returns -1 when every connection is full', () => {
    expect(pickConnectionWithRoom([1024, 1024], limits)).toBe(-1);
    expect(pickConnectionWithRoom([], limits)).toBe(-1);
  });
});

describe('klineStreamName', () => {
  it('lowercases the symbol, Unicode included', () => {
    expect(klineStreamName('BTCUSDT')).toBe('btcusdt@kline_1m');
    expect(klineStreamName('币安人生USDT')).toBe('币安人生usdt@kline_1m');
  });
});
