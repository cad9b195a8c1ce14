/**
 * Fills the gaps the sequencer reports from the venue's REST `klines`, one job per market at a
 * time, a few markets in parallel, always through the weight-aware client. Only minutes that
 * closed before the gap's due time are asked for; a complete answer settles every minute of
 * the range (minutes it does not contain did not exist, e.g. during a halt).
 */
import { MINUTE_MS } from '../../core/interval';
import type { Kline } from '../../core/kline';
import type { MarketType } from '../../core/market';
import { parseRestRow } from '../../core/parse';
import { BinanceApiError, LocationRefusedError, StoppedError } from '../../core/binance/errors';
import { silentLogger, type Logger } from '../../core/logger';
import type { BinanceRestClient } from '../../core/binance/rest/rest-client';
import type { Gap, Sequencer } from './sequencer';

/** Binance's error code for an unknown symbol. */
const INVALID_SYMBOL = -1121;

export interface BackfillOptions {
  /** The venue's market type, which its REST rows do not carry. */
  marketType: MarketType;
  rest: BinanceRestClient;
  sequencer: Sequencer;
  /** Receives klines the sequencer released, in order per market. */
  forward: (klines: Kline[]) => void;
  /** Fatal error (451): the ingest cannot work from here. */
  onFatal: (error: Error) => void;
  concurrency?: number;
  /** REAL ms before a market whose backfill failed is tried again. */
  retryAfterMs?: number;
  /**
   * The market's gap as it stands when its job starts (default: as offered). A job may wait
   * behind many others: by then the stream may have closed the gap, or more minutes may be due.
   */
  currentGap?: (symbol: string) => Gap | undefined;
  /** Rows per request (default 1000; the ingest passes its venue's `backfillLimit`). */
  limit?: number;
  logger?: Logger;
}

export class Backfiller {
  private readonly queue: Gap[] = [];
  private readonly busy = new Set<string>();
  private readonly notBefore = new Map<string, number>();
  private running = 0;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];
  /** closedWhileQueued: gaps the stream (or an earlier job) closed before their job started. */
  readonly stats = { gapsFound: 0, gapsFilled: 0, closedWhileQueued: 0, minutesFilled: 0, requests: 0, failures: 0 };
  private readonly logger: Logger;

  constructor(private readonly options: BackfillOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  get pending(): number {
    return this.queue.length + this.running;
  }

  /** Queue a gap unless its market already has one queued or running, or is cooling down. */
  offer(gap: Gap): void {
    if (this.stopped || this.busy.has(gap.symbol)) return;
    if ((this.notBefore.get(gap.symbol) ?? 0) > Date.now()) return;
    this.busy.add(gap.symbol);
    this.stats.gapsFound++;
    this.queue.push(gap);
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.stopped && this.running < (this.options.concurrency ?? 4) && this.queue.length > 0) {
      const gap = this.queue.shift() as Gap;
      this.running++;
      void this.fill(gap).finally(() => {
        this.running--;
        this.busy.delete(gap.symbol);
        this.pump();
        if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async fill(offered: Gap): Promise<void> {
    const { rest, sequencer, forward } = this.options;
    const limit = this.options.limit ?? 1000;
    const gap = this.options.currentGap ? this.options.currentGap(offered.symbol) : offered;
    if (!gap) {
      this.stats.gapsFilled++;
      this.stats.closedWhileQueued++;
      return;
    }
    let from = gap.from;
    try {
      while (from <= gap.to && !this.stopped) {
        this.stats.requests++;
        const rows = await rest.klines(gap.symbol, from, gap.to + MINUTE_MS - 1, limit);
        if (this.stopped) return;
        const out: Kline[] = [];
        let last = from - MINUTE_MS;
        for (const row of rows) {
          const parsed = parseRestRow(gap.symbol, '1m', row, this.options.marketType);
          if (!parsed.ok) {
            this.logger.warn('backfill row rejected', { symbol: gap.symbol, reason: parsed.reason });
            continue;
          }
          const k: Kline = { ...parsed.kline, source: 'rest' };
          if (k.openTime < from || k.openTime > gap.to) continue;
          if (k.openTime > last) last = k.openTime;
          if (sequencer.offer(k, out)) this.stats.minutesFilled++;
        }
        const fullPage = rows.length >= limit && last >= from;
        // A full page may stop short of the range: settle only what it covered and ask again.
        sequencer.settleThrough(gap.symbol, fullPage ? last : gap.to, out);
        if (out.length > 0) forward(out);
        if (!fullPage) break;
        from = last + MINUTE_MS;
      }
      this.stats.gapsFilled++;
    } catch (e) {
      if (e instanceof StoppedError) return;
      if (e instanceof LocationRefusedError) {
        this.options.onFatal(e);
        return;
      }
      if (e instanceof BinanceApiError && e.code === INVALID_SYMBOL) {
        // The market is gone (delisted): nothing of the range can ever be fetched.
        this.logger.warn('backfill: market no longer known to the API; giving up its gap', { symbol: gap.symbol, from: gap.from, to: gap.to });
        const out: Kline[] = [];
        sequencer.settleThrough(gap.symbol, gap.to, out);
        if (out.length > 0) forward(out);
        return;
      }
      this.stats.failures++;
      this.notBefore.set(gap.symbol, Date.now() + (this.options.retryAfterMs ?? 5_000));
      const level = e instanceof BinanceApiError ? 'warn' : 'info';
      this.logger[level]('backfill failed; will retry', { symbol: gap.symbol, from: gap.from, to: gap.to, error: e });
    }
  }
}
