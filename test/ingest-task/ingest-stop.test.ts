import { decodeBatch } from '../../core/codec';
import type { Kline } from '../../core/kline';
import { startIngest } from '../../ingest-task/capture/ingest';
import { EmfPublisher } from '../../ingest-task/metrics';
import { InProcessSink } from '../../ingest-task/sinks/in-process';
import { startSimulator, type Simulator } from '../../sim/index';

describe('ingest stop', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ markets: 30, speed: 300, seed: 4, limits: { weightWindowMs: 1_000 } });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('stops reading and hands every forwarded kline to a slow sink before stop() resolves', async () => {
    // Prepare: a sink whose deliveries take 150 ms
    const delivered: Kline[] = [];
    const sink = new InProcessSink({
      onBatch: async (b) => {
        await new Promise((r) => setTimeout(r, 150));
        delivered.push(...b.klines);
      },
      concurrency: 1,
    });
    const metricLines: string[] = [];
    const metrics = new EmfPublisher({ namespace: 'KlineCapture', service: 'ingest-task', write: (l) => metricLines.push(l) });
    const ingest = await startIngest({ restUrl: sim.restUrl, streamUrl: sim.streamUrl, sink, flushIntervalMs: 50, metrics, metricsIntervalMs: 300 });
    await new Promise((r) => setTimeout(r, 1_500));
    // Act
    await ingest.stop();
    const forwarded = ingest.status().klinesForwarded;
    const framesAtStop = ingest.status().framesReceived;
    await new Promise((r) => setTimeout(r, 300));
    // Assess
    expect(forwarded).toBeGreaterThan(0);
    expect(delivered).toHaveLength(forwarded);
    expect(ingest.status().framesReceived).toBe(framesAtStop);
    expect(ingest.status().connections).toBe(0);
    const published = metricLines.map((l) => JSON.parse(l) as Record<string, number>);
    expect(published.some((m) => m.OpenConnections === 1)).toBe(true);
    // KlinesForwarded counts since the previous line, so the lines sum to what was forwarded by the last one.
    const forwardedInLines = published.reduce((sum, m) => sum + (m.KlinesForwarded ?? 0), 0);
    expect(forwardedInLines).toBeGreaterThan(0);
    expect(forwardedInLines).toBeLessThanOrEqual(forwarded);
  });

  it('in-process sink with onBodies hands over bodies that decode to exactly the batch', async () => {
    const bodies: string[] = [];
    const sink = new InProcessSink({ onBodies: async (b) => void bodies.push(...b) });
    const k: Kline = { marketType: 'spot', symbol: 'AUSDT', interval: '1m', openTime: 1_767_571_200_000, closeTime: 1_767_571_259_999, open: '1.10', high: '1.20', low: '1.00', close: '1.15', volume: '10', quoteVolume: '11', trades: 3, takerBuyBaseVolume: '5', takerBuyQuoteVolume: '5.5' };
    await sink.send({ klines: [k], marketEvents: [{ marketType: 'spot', symbol: 'AUSDT', status: 'TRADING', at: 5 }] });
    await sink.close();
    expect(bodies.map(decodeBatch)).toEqual([{ klines: [k], marketEvents: [{ marketType: 'spot', symbol: 'AUSDT', status: 'TRADING', at: 5 }], rejected: [] }]);
  });
});
