/**
 * Where forwarded klines go. `send` resolves once the sink has taken the batch into its bounded
 * buffer; when the buffer is full it waits (backpressure), so memory cannot grow without bound
 * when the destination is slow. `flush` resolves once everything taken so far was delivered.
 */
import type { IngestBatch } from '../../core/codec';
import { backoffDelay, type BackoffOptions } from '../../core/binance/backoff';
import { silentLogger, type Logger } from '../../core/logger';

export interface KlineSink {
  send(batch: IngestBatch): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Buffer depth and delivery latency, for metrics (optional). */
  readonly stats?: SinkStats;
}

export interface SinkStats {
  /** Klines + market events waiting in the buffer or being delivered. */
  bufferedItems: number;
  deliveredKlines: number;
  deliveredEvents: number;
  deliveries: number;
  failedAttempts: number;
  /** Last delivery's duration (ms), retries included. */
  lastLatencyMs: number;
  /** Producers currently waiting for room. */
  waitingProducers: number;
}

export interface BufferedSinkOptions {
  /** Most klines + events held (buffered and in delivery) before `send` waits. */
  maxBufferedItems?: number;
  /** Most klines + events handed to one delivery. */
  maxItemsPerDelivery?: number;
  /** Deliveries running at the same time. */
  concurrency?: number;
  /** Pause between failed delivery attempts (they are retried until they succeed). */
  retryBackoff?: BackoffOptions;
  logger?: Logger;
}

function itemsOf(b: IngestBatch): number {
  return b.klines.length + b.marketEvents.length;
}

/** Takes batches into a bounded queue and delivers them with retries. Subclasses only deliver. */
export abstract class BufferedSink implements KlineSink {
  readonly stats: SinkStats = { bufferedItems: 0, deliveredKlines: 0, deliveredEvents: 0, deliveries: 0, failedAttempts: 0, lastLatencyMs: 0, waitingProducers: 0 };
  protected readonly logger: Logger;
  private readonly queue: IngestBatch[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private running = 0;
  private closed = false;
  /** Set by `giveUp`: failed deliveries are no longer retried but kept in `undelivered`. */
  private givenUp = false;
  private readonly undelivered: IngestBatch[] = [];
  private readonly retryWakers = new Set<() => void>();
  private readonly maxBuffered: number;
  private readonly maxPerDelivery: number;
  private readonly concurrency: number;

  protected constructor(private readonly base: BufferedSinkOptions = {}) {
    this.maxBuffered = base.maxBufferedItems ?? 50_000;
    this.maxPerDelivery = base.maxItemsPerDelivery ?? 5_000;
    this.concurrency = base.concurrency ?? 2;
    this.logger = base.logger ?? silentLogger;
  }

  /** Deliver one batch or throw; a throw is retried after a pause. */
  protected abstract deliver(batch: IngestBatch): Promise<void>;

  async send(batch: IngestBatch): Promise<void> {
    if (this.closed) throw new Error('sink is closed');
    const n = itemsOf(batch);
    if (n === 0) return;
    // A batch bigger than the whole buffer is still taken once the buffer is empty.
    while (!this.givenUp && this.stats.bufferedItems > 0 && this.stats.bufferedItems + n > this.maxBuffered) {
      this.stats.waitingProducers++;
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      this.stats.waitingProducers--;
    }
    this.queue.push(batch);
    this.stats.bufferedItems += n;
    this.pump();
  }

  flush(): Promise<void> {
    if (this.running === 0 && (this.givenUp || this.stats.bufferedItems === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /**
   * Stop retrying (a stop's deadline has passed): the delivery running now may still finish,
   * nothing more is attempted, and `flush` resolves once no delivery runs. What was not delivered
   * is returned by `takeUndelivered`, for the caller to keep somewhere safe; nothing is dropped.
   */
  giveUp(): void {
    if (this.givenUp) return;
    this.givenUp = true;
    for (const w of this.roomWaiters.splice(0)) w();
    for (const wake of this.retryWakers) wake();
    this.pump();
    this.settleIfIdle();
  }

  /** After `giveUp`: every batch taken but not delivered (failed or never attempted). */
  takeUndelivered(): IngestBatch[] {
    const out = [...this.undelivered.splice(0), ...this.queue.splice(0)];
    for (const b of out) this.stats.bufferedItems -= itemsOf(b);
    return out;
  }

  /** Everything held now (delivering, failed or waiting), without taking it: for an immediate exit. */
  peekHeld(): IngestBatch[] {
    return [...this.undelivered, ...this.inFlight, ...this.queue];
  }

  private readonly inFlight = new Set<IngestBatch>();

  private settleIfIdle(): void {
    const idle = this.running === 0 && (this.givenUp || this.stats.bufferedItems === 0);
    if (idle) for (const w of this.idleWaiters.splice(0)) w();
  }

  private takeDelivery(): IngestBatch | undefined {
    if (this.queue.length === 0) return undefined;
    const out: IngestBatch = { klines: [], marketEvents: [] };
    while (this.queue.length > 0) {
      const next = this.queue[0];
      const n = itemsOf(next);
      const have = itemsOf(out);
      if (have > 0 && have + n > this.maxPerDelivery) break;
      this.queue.shift();
      for (const e of next.marketEvents) out.marketEvents.push(e);
      for (const k of next.klines) out.klines.push(k);
    }
    return out;
  }

  private pump(): void {
    while (!this.givenUp && this.running < this.concurrency) {
      const batch = this.takeDelivery();
      if (!batch) break;
      this.running++;
      this.inFlight.add(batch);
      void this.deliverWithRetry(batch).then((delivered) => {
        this.running--;
        this.inFlight.delete(batch);
        if (delivered) this.stats.bufferedItems -= itemsOf(batch);
        else this.undelivered.push(batch);
        for (const w of this.roomWaiters.splice(0)) w();
        this.pump();
        this.settleIfIdle();
      });
    }
  }

  /** True once delivered; false when given up (the batch is kept as undelivered). */
  private async deliverWithRetry(batch: IngestBatch): Promise<boolean> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deliver(batch);
        break;
      } catch (e) {
        this.stats.failedAttempts++;
        if (this.givenUp) return false;
        this.logger.warn('sink delivery failed; retrying', { error: e, attempt, klines: batch.klines.length });
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.retryWakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, backoffDelay(attempt, this.base.retryBackoff ?? { baseMs: 200, capMs: 10_000 }));
          this.retryWakers.add(wake);
        });
        if (this.givenUp) return false;
      }
    }
    this.stats.deliveries++;
    this.stats.deliveredKlines += batch.klines.length;
    this.stats.deliveredEvents += batch.marketEvents.length;
    this.stats.lastLatencyMs = Date.now() - started;
    return true;
  }
}
