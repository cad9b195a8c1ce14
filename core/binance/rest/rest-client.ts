/**
 * Binance REST client for the three market-data endpoints the ingest uses, weight-aware:
 * every request passes the WeightGate first; `X-MBX-USED-WEIGHT-1M` of every answer updates it;
 * 429/418/403 close the gate for Retry-After (a ban is waited out, never hammered); 5xx and
 * network errors are retried with jittered backoff; 451 fails at once with a clear message.
 */
import { backoffDelay, type BackoffOptions } from '../backoff';
import { BinanceApiError, LocationRefusedError, RestUnavailableError, StoppedError } from '../errors';
import { silentLogger, type Logger } from '../../logger';
import { Semaphore, sleep } from '../timing';
import { SPOT } from '../venues/spot';
import type { Venue, VenueSymbol } from '../venues/venue';
import { WeightGate } from './weight-gate';

/** Spot's weights (other venues: their `Venue`). */
export const WEIGHTS = { exchangeInfo: SPOT.exchangeInfoWeight, time: 1, klines: SPOT.klinesWeight(1000) } as const;

export interface RestClientOptions {
  baseUrl: string;
  /** Paths, weights and exchangeInfo format (default spot). */
  venue?: Venue;
  /** Used until exchangeInfo tells the live limit (default: the venue's, spot 6000/min). */
  weightLimit?: number;
  /** Weight window; when absent it is read from exchangeInfo.rateLimits (Binance: 1 minute). */
  weightWindowMs?: number;
  /** Share of the weight limit never used (default 0.5). */
  weightHeadroom?: number;
  /** Requests in flight at once (default 3): after a 429, at most this many minus one still arrive. */
  maxConcurrent?: number;
  requestTimeoutMs?: number;
  /** Attempts for 5xx / network errors before RestUnavailableError. */
  maxAttempts?: number;
  retryBackoff?: BackoffOptions;
  /** Wait when a 429 has no Retry-After (default: one window). 418 without it waits `banFallbackMs`. */
  banFallbackMs?: number;
  logger?: Logger;
  fetchImpl?: typeof fetch;
}

export interface RateLimit {
  rateLimitType: string;
  interval: string;
  intervalNum: number;
  limit: number;
}

export type ExchangeInfoSymbol = VenueSymbol;

export interface ExchangeInfo {
  serverTime: number;
  rateLimits: RateLimit[];
  symbols: ExchangeInfoSymbol[];
}

const INTERVAL_MS: Record<string, number> = { SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };

/** The REQUEST_WEIGHT limit and its window from exchangeInfo.rateLimits (the shortest window wins). */
export function requestWeightLimit(rateLimits: readonly RateLimit[]): { limit: number; windowMs: number } | undefined {
  let best: { limit: number; windowMs: number } | undefined;
  for (const r of rateLimits) {
    if (r.rateLimitType !== 'REQUEST_WEIGHT') continue;
    const unit = INTERVAL_MS[r.interval];
    if (!unit || !(r.intervalNum > 0) || !(r.limit > 0)) continue;
    const windowMs = unit * r.intervalNum;
    if (!best || windowMs < best.windowMs) best = { limit: r.limit, windowMs };
  }
  return best;
}

export class BinanceRestClient {
  readonly gate: WeightGate;
  private readonly semaphore: Semaphore;
  private readonly abort = new AbortController();
  private readonly logger: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly windowFixed: boolean;
  /** Counters for status and metrics. */
  readonly stats = { requests: 0, throttled: 0, banned: 0, serverErrors: 0 };
  readonly venue: Venue;

  constructor(private readonly options: RestClientOptions) {
    this.venue = options.venue ?? SPOT;
    this.gate = new WeightGate({ limit: options.weightLimit ?? this.venue.defaultWeightLimit, windowMs: options.weightWindowMs ?? 60_000, headroom: options.weightHeadroom ?? 0.5 });
    this.windowFixed = options.weightWindowMs !== undefined;
    this.semaphore = new Semaphore(options.maxConcurrent ?? 3);
    this.logger = options.logger ?? silentLogger;
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  /** Stop: every waiting or future request rejects with StoppedError. */
  close(): void {
    this.abort.abort();
  }

  async exchangeInfo(): Promise<ExchangeInfo> {
    const raw = await this.get<{ serverTime?: unknown; rateLimits?: unknown; symbols?: unknown }>(this.venue.paths.exchangeInfo, {}, this.venue.exchangeInfoWeight);
    if (!raw || !Array.isArray(raw.symbols) || typeof raw.serverTime !== 'number') throw new BinanceApiError(200, undefined, 'exchangeInfo answer has no symbols/serverTime');
    const rateLimits = Array.isArray(raw.rateLimits) ? (raw.rateLimits as RateLimit[]) : [];
    const limit = requestWeightLimit(rateLimits);
    if (limit) this.gate.setLimit(limit.limit, this.windowFixed ? undefined : limit.windowMs);
    return { serverTime: raw.serverTime, rateLimits, symbols: this.venue.symbols(raw) };
  }

  async serverTime(): Promise<number> {
    const body = await this.get<{ serverTime: number }>(this.venue.paths.time, {}, 1);
    if (typeof body?.serverTime !== 'number') throw new BinanceApiError(200, undefined, 'time answer has no serverTime');
    return body.serverTime;
  }

  /** Raw `klines` rows of 1m klines with open time in [startTime, endTime]. */
  async klines(symbol: string, startTime: number, endTime: number, limit = this.venue.backfillLimit): Promise<unknown[]> {
    const rows = await this.get<unknown>(this.venue.paths.klines, { symbol, interval: '1m', startTime: String(startTime), endTime: String(endTime), limit: String(limit) }, this.venue.klinesWeight(limit));
    if (!Array.isArray(rows)) throw new BinanceApiError(200, undefined, 'klines answer is not an array');
    return rows;
  }

  private async get<T>(path: string, params: Record<string, string>, weight: number): Promise<T> {
    const query = new URLSearchParams(params).toString();
    const url = `${this.options.baseUrl}${path}${query ? `?${query}` : ''}`;
    const maxAttempts = this.options.maxAttempts ?? 5;
    let failures = 0;
    for (;;) {
      // Take a slot first, then check the gate: a request never waits for a slot after the gate
      // said yes (a 429 may have closed it meanwhile), so at most `maxConcurrent - 1` requests
      // can still reach the server after it asked us to back off.
      await this.semaphore.acquire();
      try {
        await this.waitForGate(weight);
      } catch (e) {
        this.semaphore.release();
        throw e;
      }
      let response: Response;
      let text: string;
      this.gate.reserve(weight);
      let reported: number | undefined;
      try {
        this.stats.requests++;
        // A stop must not cut off a request already sent: only the timeout aborts it.
        response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000) });
        reported = Number(response.headers.get('x-mbx-used-weight-1m') ?? NaN);
        text = await response.text();
      } catch (e) {
        this.gate.settle(weight, undefined);
        this.semaphore.release();
        failures++;
        if (failures >= maxAttempts) throw new RestUnavailableError(`GET ${path}: ${(e as Error).message}`, e);
        await this.retryPause(failures);
        continue;
      }
      this.gate.settle(weight, Number.isFinite(reported) ? reported : undefined);
      this.semaphore.release();

      const status = response.status;
      if (status === 200) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new BinanceApiError(status, undefined, `GET ${path}: answer is not JSON`);
        }
      }
      if (status === 451) throw new LocationRefusedError(url);
      if (status === 429 || status === 418 || status === 403) {
        const retryAfterMs = retryAfter(response.headers.get('retry-after'));
        const wait = retryAfterMs ?? (status === 418 ? this.options.banFallbackMs ?? 120_000 : this.gate.msToNextWindow());
        if (status === 418) this.stats.banned++;
        else this.stats.throttled++;
        this.gate.block(wait);
        this.logger.warn(status === 418 ? 'REST banned (418): waiting it out' : 'REST throttled: backing off', { status, path, waitMs: wait });
        continue;
      }
      if (status >= 500) {
        this.stats.serverErrors++;
        failures++;
        if (failures >= maxAttempts) throw new RestUnavailableError(`GET ${path}: HTTP ${status} after ${failures} attempts`);
        await this.retryPause(failures);
        continue;
      }
      const err = binanceError(text);
      throw new BinanceApiError(status, err?.code, `GET ${path}: HTTP ${status}${err ? ` ${err.code} ${err.msg}` : ''}`);
    }
  }

  private async waitForGate(weight: number): Promise<void> {
    for (;;) {
      if (this.abort.signal.aborted) throw new StoppedError();
      const wait = this.gate.waitMs(weight);
      if (wait <= 0) return;
      await sleep(wait, this.abort.signal);
    }
  }

  private retryPause(failures: number): Promise<void> {
    return sleep(backoffDelay(failures, this.options.retryBackoff ?? { baseMs: 200, capMs: 5_000 }), this.abort.signal);
  }
}

function retryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function binanceError(text: string): { code: number; msg: string } | undefined {
  try {
    const body = JSON.parse(text) as { code?: unknown; msg?: unknown };
    if (typeof body.code === 'number' && typeof body.msg === 'string') return { code: body.code, msg: body.msg };
  } catch {
    /* not Binance's error JSON */
  }
  return undefined;
}
