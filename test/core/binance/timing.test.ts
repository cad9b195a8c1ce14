import { Semaphore, sleep } from '../../../core/binance/timing';
import { StoppedError } from '../../../core/binance/errors';

describe('Semaphore.run', () => {
  it('runs at most N tasks at a time and all of them in the end', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        semaphore.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(5);
          running--;
          done.push(i);
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('frees its place when a task fails, and passes the failure on', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(semaphore.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('sleep', () => {
  it('rejects with StoppedError when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(StoppedError);
  });
});
