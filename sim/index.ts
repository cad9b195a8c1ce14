/**
 * A Binance-protocol simulator: REST (`/api/v3/…`) and streams (`/stream`, `/ws`) on one
 * loopback HTTP port, with an accelerated clock, a deterministic market, lifecycle events and
 * fault injection. See options.ts for which settings are in simulated and which in real time.
 *
 *   const sim = await startSimulator({ markets: 100, speed: 60, seed: 7 });
 *   // REST: `${sim.restUrl}/api/v3/klines?...`; streams: `${sim.streamUrl}/stream?streams=...`
 *   sim.truth('AAAUSDT', from, to); await sim.close();
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kline } from '../core/kline';
import type { MarketStatusEvent, MarketType } from '../core/market';
import type { SimStatus } from './venues';
import type { DisconnectReason } from './connection';
import { FaultController } from './faults';
import { isTradingAt, MINUTE } from './markets';
import { resolveOptions, type FaultConfig, type FaultName, type ResolvedOptions, type SimOptions } from './options';
import { KlinePublisher } from './publisher';
import { handleRest, RESTRICTED_LOCATION_MSG } from './rest';
import { StreamServer } from './stream-server';
import { WeightLimiter } from './weight-limiter';
import { SIM_VENUES } from './venues';
import { World } from './world';
import { SimDumpSite } from './dumps/site';

export type { FaultConfig, FaultName, SimOptions, SimLimits, LifecycleEvent, ScheduledFault, QuoteAssetShare, ChurnOptions, ResolvedOptions } from './options';
export { FAULT_NAMES, HOSTILE_FAULT_NAMES, BOGUS_EVENT_TIME, faultsFromNames, DEFAULT_LIMITS, DEFAULT_START_TIME } from './options';
export type { DisconnectReason } from './connection';

export interface SimStats {
  connectionsOpened: number;
  connectionsOpen: number;
  /** Connection attempts refused (HTTP 429) past the attempts-per-window limit. */
  connectionsRefused: number;
  /** Incoming stream messages (text, PING and PONG frames). */
  messagesReceived: number;
  framesSent: number;
  closingUpdatesPublished: number;
  restRequests: number;
  /** REST responses by status code. */
  restStatuses: Record<number, number>;
  /** Highest REQUEST_WEIGHT used within one weight window by one IP. */
  maxWeightUsedInWindow: number;
  count429: number;
  count418: number;
  disconnects: Partial<Record<DisconnectReason, number>>;
}

export interface SimMarketInfo {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  /** Status at the given time; undefined before listing. */
  status: SimStatus | undefined;
}

export interface ExpectedMinute {
  symbol: string;
  openTime: number;
}

export interface Simulator {
  /** The venue it plays (REST prefix, stream paths, formats: sim/venues.ts). */
  readonly marketType: MarketType;
  /** http://127.0.0.1:PORT */
  readonly restUrl: string;
  /** ws://127.0.0.1:PORT — append `/stream?streams=…` or `/ws`. */
  readonly streamUrl: string;
  readonly port: number;
  readonly options: ResolvedOptions;
  /** Simulated now, ms. */
  now(): number;
  /** Resolves once simulated time has reached `t`. */
  waitUntil(t: number): Promise<void>;
  /** Closed 1m klines with open time in [fromOpenTime, toOpenTime], exactly as published. */
  truth(symbol: string, fromOpenTime: number, toOpenTime: number): Kline[];
  /** Every (market, minute) with open time in [from, to] that is TRADING, i.e. should be captured. */
  expectedMinutes(fromOpenTime: number, toOpenTime: number): ExpectedMinute[];
  /** All markets ever known (listed now, later, or delisted) with their status at `at` (default now). */
  markets(at?: number): SimMarketInfo[];
  /** Symbols listed (not delisted) at `at` (default now), any status. */
  symbols(at?: number): string[];
  /** Status changes of every market, in time order; the first per market is its listing. */
  marketHistory(): MarketStatusEvent[];
  stats(): SimStats;
  /** The data.binance.vision-like file site under `/data/` (faults: `dumps.setFaults`). */
  readonly dumps: SimDumpSite;
  /** Replace the fault configuration at run time (names or a config). */
  setFaults(faults: FaultConfig | readonly (FaultName | 'all')[]): void;
  close(): Promise<void>;
}

export async function startSimulator(input: SimOptions = {}): Promise<Simulator> {
  const options = resolveOptions(input);
  const world = new World(options);
  const faults = new FaultController(options.faults, options.seed);
  const limiter = new WeightLimiter(options.limits);
  const streams = new StreamServer(() => options.limits, faults, () => world.now(), SIM_VENUES[options.marketType]);
  const publisher = new KlinePublisher(world, streams, faults);
  const dumps = new SimDumpSite({ now: () => world.now(), klines: (m, from, to) => (m.marketType === options.marketType ? world.truth(m.symbol, from, to - 1) : []) }, input.dumps);
  let restRequests = 0;
  const restStatuses: Record<number, number> = {};

  // Long combined-stream URLs (1024 names ≈ 30 KB) exceed Node's default 16 KB header limit.
  const server: Server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) =>
    dumps.handle(req, res) ||
    handleRest(
      {
        world,
        limiter,
        restricted: () => faults.config.restrictedLocation === true,
        injectError: () => faults.restError(),
        onRequest: (_path, status) => {
          restRequests++;
          restStatuses[status] = (restStatuses[status] ?? 0) + 1;
        },
      },
      req,
      res,
    ),
  );
  server.on('upgrade', (req, socket, head) => {
    if (faults.config.restrictedLocation) {
      const body = JSON.stringify({ code: 0, msg: RESTRICTED_LOCATION_MSG });
      socket.end(`HTTP/1.1 451 Unavailable For Legal Reasons\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    streams.handleUpgrade(req, socket, head);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  publisher.start();

  return {
    marketType: options.marketType,
    restUrl: `http://127.0.0.1:${port}`,
    streamUrl: `ws://127.0.0.1:${port}`,
    port,
    options,
    dumps,
    now: () => world.now(),
    async waitUntil(t) {
      while (world.now() < t) await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil(world.clock.realDelayUntil(t)))));
    },
    truth: (symbol, from, to) => world.truth(symbol, from, to),
    expectedMinutes(from, to) {
      const out: ExpectedMinute[] = [];
      const first = Math.ceil(from / MINUTE) * MINUTE;
      for (const m of world.markets) for (let t = first; t <= to; t += MINUTE) if (isTradingAt(m, t)) out.push({ symbol: m.symbol, openTime: t });
      return out;
    },
    markets(at = world.now()) {
      return world.markets.map((m) => ({ symbol: m.symbol, baseAsset: m.baseAsset, quoteAsset: m.quoteAsset, status: world.statusAt(m, at) }));
    },
    symbols: (at = world.now()) => world.listed(at).map((l) => l.market.symbol),
    marketHistory: () => world.history(),
    stats: () => ({
      connectionsOpened: streams.stats.connectionsOpened,
      connectionsOpen: streams.connections.size,
      connectionsRefused: streams.stats.connectionsRefused,
      messagesReceived: streams.stats.messagesReceived,
      framesSent: streams.stats.framesSent,
      closingUpdatesPublished: publisher.closingUpdatesPublished,
      restRequests,
      restStatuses: { ...restStatuses },
      maxWeightUsedInWindow: limiter.maxUsedInWindow,
      count429: limiter.count429,
      count418: limiter.count418,
      disconnects: { ...streams.stats.disconnects },
    }),
    setFaults(f) {
      const resolved = resolveOptions({ faults: f }).faults;
      faults.set(resolved);
      publisher.setSchedule(resolved.schedule ?? []);
    },
    async close() {
      publisher.stop();
      streams.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Several venues, one simulator (and port) each, as Binance serves them from separate hosts. */
export interface VenueSimulators {
  readonly marketTypes: readonly MarketType[];
  /** The simulator of one venue; throws for a type not started. */
  venue(marketType: MarketType): Simulator;
  close(): Promise<void>;
}

/**
 * Start one simulator per market type with shared options (seed, speed, start time, …) and
 * per-type overrides. The same seed gives overlapping symbols (BTCUSDT in spot and USDⓈ-M) with
 * different klines.
 */
export async function startVenueSimulators(marketTypes: readonly MarketType[], shared: Omit<SimOptions, 'marketType' | 'port'> = {}, perType: Partial<Record<MarketType, Omit<SimOptions, 'marketType'>>> = {}): Promise<VenueSimulators> {
  const sims = new Map<MarketType, Simulator>();
  try {
    for (const marketType of marketTypes) sims.set(marketType, await startSimulator({ ...shared, ...(perType[marketType] ?? {}), marketType }));
  } catch (e) {
    await Promise.all([...sims.values()].map((s) => s.close()));
    throw e;
  }
  return {
    marketTypes: [...sims.keys()],
    venue(marketType) {
      const sim = sims.get(marketType);
      if (!sim) throw new Error(`no ${marketType} simulator was started (started: ${[...sims.keys()].join(', ')})`);
      return sim;
    },
    async close() {
      await Promise.all([...sims.values()].map((s) => s.close()));
    },
  };
}
