/**
 * Paces a connection's control messages (SUBSCRIBE / UNSUBSCRIBE). Binance disconnects a
 * connection that sends more than 5 messages per second (pongs included) and bans repeat
 * offenders, so we send at most one control message per `minIntervalMs` (default 500 ms = 2/s).
 */

export interface PacerOptions {
  minIntervalMs: number;
  /** Injectable for tests. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** When the next message may go, given when the previous one went. Pure. */
export function nextSendAt(lastSentAt: number | undefined, now: number, minIntervalMs: number): number {
  return lastSentAt === undefined ? now : Math.max(now, lastSentAt + minIntervalMs);
}

export class ControlPacer {
  private readonly queue: { send: () => void; resolve: () => void; reject: (e: Error) => void }[] = [];
  private lastSentAt: number | undefined;
  private timer: unknown;
  private closed = false;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: PacerOptions) {
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Queue a send; resolves once it was sent, rejects if the pacer is closed first. */
  enqueue(send: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ send, resolve, reject });
      this.schedule();
    });
  }

  /** Drop everything queued (the connection is gone). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    for (const item of this.queue.splice(0)) item.reject(new Error('connection closed'));
  }

  private schedule(): void {
    if (this.timer !== undefined || this.queue.length === 0 || this.closed) return;
    const wait = nextSendAt(this.lastSentAt, this.now(), this.options.minIntervalMs) - this.now();
    if (wait <= 0) {
      this.sendOne();
      return;
    }
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      this.sendOne();
    }, wait);
  }

  private sendOne(): void {
    const item = this.queue.shift();
    if (!item) return;
    this.lastSentAt = this.now();
    try {
      item.send();
      item.resolve();
    } catch (e) {
      item.reject(e instanceof Error ? e : new Error(String(e)));
    }
    this.schedule();
  }
}
