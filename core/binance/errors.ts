/** Errors of the Binance client (REST) and of the ingest components built on it. */

export const LOCATION_REFUSED_MESSAGE =
  'Binance refuses this location (HTTP 451): run in an AWS region Binance serves (e.g. eu-west-1, ap-northeast-1) or set BINANCE_REST_URL/BINANCE_STREAM_URL to Binance.US endpoints';

/** HTTP 451: Binance does not serve the caller's location. Never retried. */
export class LocationRefusedError extends Error {
  override readonly name = 'LocationRefusedError';
  constructor(readonly url: string) {
    super(LOCATION_REFUSED_MESSAGE);
  }
}

/** A REST answer that retrying will not fix (e.g. 400 with Binance's `{code,msg}`). */
export class BinanceApiError extends Error {
  override readonly name = 'BinanceApiError';
  constructor(readonly status: number, readonly code: number | undefined, message: string) {
    super(message);
  }
}

/** The REST API stayed unavailable (5xx, network) through every retry. The caller retries later. */
export class RestUnavailableError extends Error {
  override readonly name = 'RestUnavailableError';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/** The component was stopped while an operation waited. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
  constructor() {
    super('stopped');
  }
}
