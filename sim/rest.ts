/**
 * REST endpoints under the venue's prefix (spot /api/v3, USDⓈ-M /fapi/v1, COIN-M /dapi/v1):
 * /ping, /time, /exchangeInfo, /klines (and spot's /uiKlines), with Binance's
 * weights, the X-MBX-USED-WEIGHT-1M header, 429/418 with Retry-After and Binance's error JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exchangeInfoBody } from './exchange-info';
import { barToRestRow } from './kline-generator';
import { MINUTE, statusAt, type SimMarket } from './markets';
import { SIM_VENUES, type SimVenue } from './venues';
import type { WeightLimiter } from './weight-limiter';
import type { World } from './world';

/** The endpoint (path without the venue prefix) and its weight; undefined for unknown paths. */
export function restWeight(venue: SimVenue, path: string, q: URLSearchParams): { endpoint: string; weight: number } | undefined {
  if (!path.startsWith(venue.restPrefix + '/')) return undefined;
  const endpoint = path.slice(venue.restPrefix.length);
  switch (endpoint) {
    case '/ping':
    case '/time':
      return { endpoint, weight: 1 };
    case '/exchangeInfo':
      return { endpoint, weight: venue.exchangeInfoWeight };
    case '/uiKlines':
    case '/klines': {
      if (endpoint === '/uiKlines' && venue.marketType !== 'spot') return undefined;
      const limit = Number(q.get('limit') ?? 500);
      return { endpoint, weight: venue.klinesWeight(Number.isFinite(limit) ? limit : 500) };
    }
    default:
      return undefined;
  }
}

/** Interval name → length in ms (the ones built from 1m bars; 1s, 3d, 1w, 1M are not simulated). */
export const REST_INTERVALS: Record<string, number> = {
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': 60 * MINUTE,
  '2h': 120 * MINUTE,
  '4h': 240 * MINUTE,
  '6h': 360 * MINUTE,
  '8h': 480 * MINUTE,
  '12h': 720 * MINUTE,
  '1d': 1440 * MINUTE,
};

/** Binance's body for HTTP 451. */
export const RESTRICTED_LOCATION_MSG =
  "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms. Please contact customer service if you believe you received this message in error.";

export class BinanceError extends Error {
  constructor(readonly status: number, readonly code: number, msg: string) {
    super(msg);
  }
}

const badParam = (code: number, msg: string): BinanceError => new BinanceError(400, code, msg);

export interface RestContext {
  world: World;
  limiter: WeightLimiter;
  /** True while the simulator plays a restricted location (HTTP 451 for everything). */
  restricted: () => boolean;
  /** Fault decision for one request: undefined = serve normally. */
  injectError: () => 500 | 503 | 429 | undefined;
  onRequest: (path: string, status: number) => void;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function handleRest(ctx: RestContext, req: IncomingMessage, res: ServerResponse): void {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://sim');
  } catch {
    send(res, 400, { code: -1100, msg: 'Illegal characters found in a parameter.' });
    return;
  }
  const path = url.pathname;
  const venue = SIM_VENUES[ctx.world.options.marketType];
  const known = restWeight(venue, path, url.searchParams);
  if (req.method !== 'GET' || known === undefined) {
    send(res, 404, { code: -1000, msg: 'Unknown endpoint.' });
    ctx.onRequest(path, 404);
    return;
  }
  if (ctx.restricted()) {
    send(res, 451, { code: 0, msg: RESTRICTED_LOCATION_MSG });
    ctx.onRequest(path, 451);
    return;
  }
  const ip = req.socket.remoteAddress ?? 'unknown';
  const decision = ctx.limiter.admit(ip, known.weight);
  const weightHeader = { 'X-MBX-USED-WEIGHT': decision.usedWeight, 'X-MBX-USED-WEIGHT-1M': decision.usedWeight };
  if (decision.kind === 'limited') {
    const msg =
      decision.status === 418
        ? `Way too much request weight used; IP banned until ${Date.now() + decision.retryAfterSeconds * 1000}. Please use WebSocket Streams for live updates to avoid bans.`
        : `Too much request weight used; current limit is ${ctx.world.options.limits.requestWeightPerWindow} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`;
    send(res, decision.status, { code: -1003, msg }, { ...weightHeader, 'Retry-After': decision.retryAfterSeconds });
    ctx.onRequest(path, decision.status);
    return;
  }
  const injected = ctx.injectError();
  if (injected === 429) {
    const retryAfter = ctx.limiter.imposeBackoff(ip, 1000);
    send(res, 429, { code: -1003, msg: 'Too many requests queued.' }, { ...weightHeader, 'Retry-After': retryAfter });
    ctx.onRequest(path, 429);
    return;
  }
  if (injected !== undefined) {
    send(res, injected, { code: -1000, msg: 'An unknown error occurred while processing the request.' }, weightHeader);
    ctx.onRequest(path, injected);
    return;
  }
  try {
    const body = route(ctx, known.endpoint, url.searchParams);
    send(res, 200, body, weightHeader);
    ctx.onRequest(path, 200);
  } catch (e) {
    // A bug in the simulator answers 500 like any server would, instead of killing the process.
    const err = e instanceof BinanceError ? e : new BinanceError(500, -1000, `An unknown error occurred while processing the request. (${String(e)})`);
    send(res, err.status, { code: err.code, msg: err.message }, weightHeader);
    ctx.onRequest(path, err.status);
  }
}

function route(ctx: RestContext, endpoint: string, q: URLSearchParams): unknown {
  const now = ctx.world.now();
  switch (endpoint) {
    case '/ping':
      return {};
    case '/time':
      return { serverTime: now };
    case '/exchangeInfo':
      return exchangeInfo(ctx, q, now);
    default:
      return klines(ctx, q, now);
  }
}

function listedMarket(ctx: RestContext, symbol: string, now: number): SimMarket {
  const m = ctx.world.bySymbol.get(symbol);
  const status = m ? statusAt(m, now) : undefined;
  if (!m || status === undefined || status === 'DELISTED') throw badParam(-1121, 'Invalid symbol.');
  return m;
}

function exchangeInfo(ctx: RestContext, q: URLSearchParams, now: number): unknown {
  const symbol = q.get('symbol');
  const symbols = q.get('symbols');
  if (symbol !== null && symbols !== null) throw badParam(-1128, 'Combination of optional parameters invalid.');
  let listed = ctx.world.listed(now);
  if (symbol !== null || symbols !== null) {
    let wanted: string[];
    if (symbol !== null) wanted = [symbol];
    else {
      try {
        const parsed: unknown = JSON.parse(symbols ?? '');
        if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((s) => typeof s === 'string')) throw new Error();
        wanted = parsed as string[];
      } catch {
        throw badParam(-1100, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
      }
    }
    if (new Set(wanted).size !== wanted.length) throw badParam(-1151, 'Symbol is present multiple times in the list.');
    const set = new Set(wanted);
    for (const s of wanted) listedMarket(ctx, s, now);
    listed = listed.filter((l) => set.has(l.market.symbol));
  }
  const symbolStatus = q.get('symbolStatus');
  if (symbolStatus !== null) {
    if (!['TRADING', 'HALT', 'BREAK'].includes(symbolStatus)) throw badParam(-1122, 'Invalid symbolStatus.');
    listed = listed.filter((l) => l.status === symbolStatus);
  }
  return exchangeInfoBody(now, ctx.world.options.limits, listed, ctx.world.options.marketType);
}

/** Parse an optional integer parameter (Binance: -1100 for non-digits). */
function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === '') throw badParam(-1105, `Parameter '${name}' was empty.`);
  if (!/^-?[0-9]{1,19}$/.test(v)) throw badParam(-1100, `Illegal characters found in parameter '${name}'; legal range is '^-?[0-9]{1,20}$'.`);
  return Number(v);
}

function klines(ctx: RestContext, q: URLSearchParams, now: number): unknown {
  const symbol = q.get('symbol');
  if (symbol === null || symbol === '') throw badParam(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
  const interval = q.get('interval');
  if (interval === null || interval === '') throw badParam(-1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
  const startTime = intParam(q, 'startTime');
  const endTime = intParam(q, 'endTime');
  const limit = intParam(q, 'limit') ?? 500;
  if (limit < 1 || limit > SIM_VENUES[ctx.world.options.marketType].klinesMaxLimit) throw badParam(-1130, "Data sent for parameter 'limit' is not valid.");
  const tz = q.get('timeZone');
  if (tz !== null && tz !== '0' && tz !== '00:00' && tz !== '0:00') throw badParam(-1130, "Data sent for parameter 'timeZone' is not valid.");
  const m = listedMarket(ctx, symbol, now);
  const len = REST_INTERVALS[interval];
  if (len === undefined) throw badParam(-1120, 'Invalid interval.');

  // Binance: windows whose open time lies in [startTime, endTime]; without startTime the most
  // recent `limit` windows up to endTime (default now), the open window included.
  const lastOpen = Math.floor(Math.min(endTime ?? now, now) / len) * len;
  const listedOpen = Math.floor(m.history[0].at / len) * len;
  const gen = ctx.world.generator;
  const rows: unknown[] = [];
  if (startTime === undefined) {
    // Newest first, then reversed: windows without TRADING minutes are skipped, not counted.
    for (let t = lastOpen; t >= listedOpen && rows.length < limit; t -= len) {
      const bar = gen.windowBar(m, t, len, now);
      if (bar) rows.push(barToRestRow(m, bar));
    }
    return rows.reverse();
  }
  for (let t = Math.max(listedOpen, Math.ceil(startTime / len) * len); t <= lastOpen && rows.length < limit; t += len) {
    const bar = gen.windowBar(m, t, len, now);
    if (bar) rows.push(barToRestRow(m, bar));
  }
  return rows;
}
