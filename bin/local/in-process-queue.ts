/**
 * The local stand-in for SQS: the ingest's in-process sink hands it batches, it encodes them with
 * the same codec the SQS sink uses and calls the writer's code on the bodies. A message the store
 * did not take is retried (the sink retries the whole delivery; writes are idempotent), a corrupt
 * one is dead-lettered to a file instead of blocking the queue, as the SQS DLQ would.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeBatch, type IngestBatch } from '../../core/codec';
import type { KlineStore } from '../../core/store/port';
import type { Logger } from '../../core/logger';
import { writeMessages } from '../../lambda/writer';

export interface QueueStats {
  messages: number;
  klinesStored: number;
  deadLettered: number;
  /** Klines and market events rejected alone (bad symbol, refused by the store's rules). */
  rejected: number;
  /** The last few rejections' reasons, for the stop summary. */
  rejectedReasons: string[];
}

export interface InProcessQueueOptions {
  store: KlineStore;
  logger: Logger;
  /** Exchange time now (ms) and exchange ms per real ms, to measure close → stored lag. */
  exchangeNow: () => number;
  speed: number;
  deadLetterFile: string;
}

export class InProcessQueue {
  readonly stats: QueueStats = { messages: 0, klinesStored: 0, deadLettered: 0, rejected: 0, rejectedReasons: [] };
  /** Deliveries of the last minute (real time), for the status line. */
  private window: { at: number; count: number; lags: number[] }[] = [];
  private sequence = 0;

  constructor(private readonly o: InProcessQueueOptions) {}

  /** Deliver one batch; throws when any message must be retried (the sink retries). */
  readonly deliver = async (batch: IngestBatch): Promise<void> => {
    const messages = encodeBatch(batch).map((body) => ({ id: `local-${++this.sequence}`, body }));
    const log = {
      error: (m: string, ...extra: Record<string, unknown>[]) => this.o.logger.error(m, Object.assign({}, ...extra)),
      warn: (m: string, ...extra: Record<string, unknown>[]) => this.o.logger.warn(m, Object.assign({}, ...extra)),
    };
    const result = await writeMessages(this.o.store, messages, log);
    this.stats.rejected += result.rejected.length;
    for (const r of result.rejected) {
      if (this.stats.rejectedReasons.length < 10) this.stats.rejectedReasons.push(r.reason);
    }
    this.stats.messages += messages.length;
    const retry = result.failures.filter((f) => f.kind === 'store');
    for (const f of result.failures.filter((x) => x.kind === 'corrupt')) this.deadLetter(messages.find((m) => m.id === f.id)?.body ?? '', f.reason);
    if (retry.length > 0) throw new Error(`store did not take ${retry.length} of ${messages.length} messages: ${retry[0].reason}`);
    this.record(batch);
  };

  private record(batch: IngestBatch): void {
    const realNow = Date.now();
    const exchangeNow = this.o.exchangeNow();
    const lags = batch.klines.map((k) => Math.max(0, (exchangeNow - (k.closeTime + 1)) / this.o.speed));
    this.stats.klinesStored += batch.klines.length;
    this.window.push({ at: realNow, count: batch.klines.length, lags });
    this.pruneWindow(realNow);
  }

  private pruneWindow(realNow: number): void {
    let stale = 0;
    while (stale < this.window.length && this.window[stale].at <= realNow - 60_000) stale++;
    if (stale > 0) this.window.splice(0, stale);
  }

  /** Klines stored in the last minute (real time). */
  storedInLastMinute(): number {
    this.pruneWindow(Date.now());
    return this.window.reduce((n, w) => n + w.count, 0);
  }

  /** Store time minus kline close, in real ms, one entry per kline stored in the last minute. */
  recentLagsMs(): number[] {
    this.pruneWindow(Date.now());
    return this.window.flatMap((w) => w.lags);
  }

  private deadLetter(body: string, reason: string): void {
    mkdirSync(dirname(this.o.deadLetterFile), { recursive: true });
    appendFileSync(this.o.deadLetterFile, JSON.stringify({ at: new Date().toISOString(), reason, body }) + '\n');
    this.stats.deadLettered++;
  }
}

/** The p-th percentile (0..100) of a list, undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
