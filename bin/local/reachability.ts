/** A quick look at Binance before starting, so an offline machine gets one clear message. */
import { redactSecrets } from '../../core/redact';

export const OFFLINE_HINT = 'To run offline against the bundled simulator: npm start -- --sim';

/** Undefined when `GET {pingPath}` answers (spot's `/api/v3/ping` by default); otherwise the message to show. */
export async function checkBinanceReachable(restUrl: string, timeoutMs = 5000, fetchImpl: typeof fetch = fetch, pingPath = '/api/v3/ping'): Promise<string | undefined> {
  let status: number;
  try {
    const res = await fetchImpl(`${restUrl}${pingPath}`, { signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    return `Binance could not be reached at ${redactSecrets(restUrl)} (${cause}). Check the network, or set BINANCE_REST_URL / BINANCE_STREAM_URL. ${OFFLINE_HINT}`;
  }
  if (status === 451) {
    return `Binance refuses this location (HTTP 451 from ${redactSecrets(restUrl)}). Use Binance.US endpoints (BINANCE_REST_URL / BINANCE_STREAM_URL) or run from a region Binance serves. ${OFFLINE_HINT}`;
  }
  if (status === 418 || status === 429) return `Binance is rate-limiting this IP (HTTP ${status}); wait a few minutes and try again. ${OFFLINE_HINT}`;
  if (status >= 400) return `Binance answered HTTP ${status} at ${redactSecrets(restUrl)}${pingPath}. ${OFFLINE_HINT}`;
  return undefined;
}
