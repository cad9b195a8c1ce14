import { ControlPacer, nextSendAt } from '../../ingest-task/streams/pacing';

describe('nextSendAt', () => {
  it('sends at once when nothing was sent, else one interval after the last send', () => {
    expect(nextSendAt(undefined, 1000, 500)).toBe(1000);
    expect(nextSendAt(800, 1000, 500)).toBe(1300);
    expect(nextSendAt(100, 1000, 500)).toBe(1000);
  });
});

describe('ControlPacer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('sends at most one control message per interval (2 per second)', async () => {
    // Prepare
    const sentAt: number[] = [];
    const pacer = new ControlPacer({ minIntervalMs: 500 });
    // Act
    const all = Promise.all(Array.from({ length: 6 }, () => pacer.enqueue(() => sentAt.push(Date.now()))));
    await jest.advanceTimersByTimeAsync(5_000);
    await all;
    // Assess
    expect(sentAt).toHaveLength(6);
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i] - sentAt[i - 1]).toBeGreaterThanOrEqual(500);
    for (const t of sentAt) expect(sentAt.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(2);
  });

  it('sends the first message immediately', async () => {
    const sent: number[] = [];
    const pacer = new ControlPacer({ minIntervalMs: 500 });
    await pacer.enqueue(() => sent.push(Date.now()));
    expect(sent).toEqual([0]);
  });

  it('rejects queued messages when closed and sends none of them', async () => {
    const sent: string[] = [];
    const pacer = new ControlPacer({ minIntervalMs: 500 });
    const first = pacer.enqueue(() => sent.push('a'));
    const second = pacer.enqueue(() => sent.push('b'));
    pacer.close();
    await first;
    await expect(second).rejects.toThrow('connection closed');
    await jest.advanceTimersByTimeAsync(2_000);
    expect(sent).toEqual(['a']);
    await expect(pacer.enqueue(() => sent.push('c'))).rejects.toThrow();
  });
});
