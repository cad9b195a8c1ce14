import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeBatch, type IngestBatch } from '../../core/codec';
import type { Kline } from '../../core/kline';
import { groupIntoCalls, MAX_CALL_BYTES, SqsSink } from '../../ingest-task/sinks/sqs';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/klines';

function klines(markets: number, minutes: number): Kline[] {
  const out: Kline[] = [];
  for (let s = 0; s < markets; s++) {
    for (let m = 0; m < minutes; m++) {
      const openTime = T0 + m * M;
      out.push({ marketType: 'spot', symbol: `SYM${s}USDT`, interval: '1m', openTime, closeTime: openTime + M - 1, open: '101.12345678', high: '102.00000000', low: '100.00000001', close: '101.50000000', volume: '12345.67890000', quoteVolume: '1234567.89000000', trades: 1234, takerBuyBaseVolume: '6000.00000000', takerBuyQuoteVolume: '600000.00000000' });
    }
  }
  return out;
}

const keys = (ks: Kline[]): string[] => ks.map((k) => `${k.symbol}|${k.openTime}`).sort();

function received(calls: SendMessageBatchCommandInput[]): Kline[] {
  return calls.flatMap((c) => (c.Entries ?? []).flatMap((e) => decodeBatch(e.MessageBody as string).klines));
}

describe('groupIntoCalls', () => {
  it('puts at most 10 bodies and at most 256 KiB in one call', () => {
    const bodies = [...Array.from({ length: 23 }, () => 'a'.repeat(100)), 'b'.repeat(200_000), 'c'.repeat(100_000), 'd'.repeat(10)];
    const calls = groupIntoCalls(bodies);
    expect(calls.flat()).toEqual(bodies);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(10);
      expect(call.reduce((n, b) => n + Buffer.byteLength(b), 0)).toBeLessThanOrEqual(MAX_CALL_BYTES);
    }
  });
});

describe('SqsSink', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('sends every kline exactly once in calls of ≤ 10 entries and ≤ 256 KiB', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    // Small bodies, so calls carry several entries.
    const sink = new SqsSink({ client: new SQSClient({}), queueUrl: QUEUE, maxItemsPerDelivery: 100_000, maxBodyBytes: 16 * 1024 });
    const all = klines(300, 60);
    // Act
    await sink.send({ klines: all, marketEvents: [{ marketType: 'spot', symbol: 'SYM0USDT', status: 'TRADING', at: T0 }] });
    await sink.flush();
    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c.QueueUrl).toBe(QUEUE);
      expect(c.Entries?.length).toBeLessThanOrEqual(10);
      expect((c.Entries ?? []).reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? ''), 0)).toBeLessThanOrEqual(256 * 1024);
    }
    expect(calls.some((c) => c.Entries?.length === 10)).toBe(true);
    expect(keys(received(calls))).toEqual(keys(all));
    const events = calls.flatMap((c) => (c.Entries ?? []).flatMap((e) => decodeBatch(e.MessageBody as string).marketEvents));
    expect(events).toEqual([{ marketType: 'spot', symbol: 'SYM0USDT', status: 'TRADING', at: T0 }]);
  });

  it('retries only the entries SQS reported as failed', async () => {
    // Prepare: the first call fails entry "1", the retry succeeds
    sqs.on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }], Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });
    const sink = new SqsSink({ client: new SQSClient({}), queueUrl: QUEUE, maxBodyBytes: 64 * 1024, retryBackoff: { baseMs: 1, capMs: 2 } });
    const all = klines(40, 30);
    // Act
    await sink.send({ klines: all, marketEvents: [] });
    await sink.flush();
    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls[0].Entries?.length).toBeGreaterThan(1);
    expect(calls[1].Entries?.map((e) => e.Id)).toEqual(['1']);
    expect(calls[1].Entries?.[0].MessageBody).toBe(calls[0].Entries?.[1].MessageBody);
    const delivered = [...(calls[0].Entries ?? []).filter((e) => e.Id !== '1'), ...(calls[1].Entries ?? [])].flatMap((e) => decodeBatch(e.MessageBody as string).klines);
    expect(keys(delivered)).toEqual(keys(all));
    expect(sink.failedEntries).toBe(1);
  });

  it('retries a call that throws (throttling) until it succeeds', async () => {
    sqs.on(SendMessageBatchCommand).rejectsOnce(new Error('ThrottlingException')).resolves({ Failed: [] });
    const sink = new SqsSink({ client: new SQSClient({}), queueUrl: QUEUE, retryBackoff: { baseMs: 1, capMs: 2 } });
    await sink.send({ klines: klines(2, 2), marketEvents: [] });
    await sink.flush();
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    expect(sink.stats.deliveredKlines).toBe(4);
  });

  it('makes producers wait while SQS is slow, so the buffer stays bounded', async () => {
    // Prepare: every call hangs until released
    const releases: (() => void)[] = [];
    sqs.on(SendMessageBatchCommand).callsFake(() => new Promise((resolve) => releases.push(() => resolve({ Failed: [] }))));
    const sink = new SqsSink({ client: new SQSClient({}), queueUrl: QUEUE, maxBufferedItems: 1_000, maxItemsPerDelivery: 250, concurrency: 2 });
    const batch = (): IngestBatch => ({ klines: klines(1, 100), marketEvents: [] });
    // Act: 30 producers of 100 klines each while nothing completes
    let accepted = 0;
    let peak = 0;
    const sends = Array.from({ length: 30 }, () =>
      sink.send(batch()).then(() => {
        accepted++;
        peak = Math.max(peak, sink.stats.bufferedItems);
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
    // Assess: only a buffer's worth was taken; the rest wait
    expect(accepted).toBe(10);
    expect(sink.stats.waitingProducers).toBe(20);
    let flushed = false;
    const flushing = sink.flush().then(() => (flushed = true));
    // Release calls until everything is through
    while (accepted < 30 || !flushed) {
      while (releases.length > 0) (releases.shift() as () => void)();
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(sends);
    await flushing;
    expect(peak).toBeLessThanOrEqual(1_000);
    expect(sink.stats.deliveredKlines).toBe(3_000);
    expect(sink.stats.bufferedItems).toBe(0);
  });

  it('flush on close waits for everything taken, and a closed sink refuses more', async () => {
    let finished = 0;
    sqs.on(SendMessageBatchCommand).callsFake(async () => {
      await new Promise((r) => setTimeout(r, 30));
      finished++;
      return { Failed: [] };
    });
    const sink = new SqsSink({ client: new SQSClient({}), queueUrl: QUEUE, maxItemsPerDelivery: 10 });
    for (let i = 0; i < 5; i++) await sink.send({ klines: klines(1, 10), marketEvents: [] });
    await sink.close();
    expect(finished).toBe(5);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(5);
    expect(sink.stats.deliveredKlines).toBe(50);
    await expect(sink.send({ klines: klines(1, 1), marketEvents: [] })).rejects.toThrow('closed');
  });
});
