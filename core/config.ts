/**
 * The one typed configuration module. Read from environment variables at run time
 * (the CDK app passes its validated context to the functions and the task as env vars).
 * Every reader throws ConfigError naming the bad setting, so a bad value fails at start.
 */
import type ConnectionString from 'mongodb-connection-string-url';
import { ConfigError } from './errors';
import { describeUnacceptedUri, redactSecrets } from './redact';

export type Env = Record<string, string | undefined>;

export type StoreConfig = { kind: 'sqlite'; path: string } | { kind: 'mongodb'; uri: string; database: string };

export const DEFAULT_STORE = 'sqlite:./data/klines.db';

/** `KLINE_STORE=sqlite:PATH | mongodb://… | mongodb+srv://…`; `MONGODB_URI` is accepted too. */
export function readStoreConfig(env: Env = process.env): StoreConfig {
  const setting = env.KLINE_STORE !== undefined && env.KLINE_STORE !== '' ? 'KLINE_STORE' : env.MONGODB_URI ? 'MONGODB_URI' : 'KLINE_STORE';
  const value = (setting === 'KLINE_STORE' ? env.KLINE_STORE : env.MONGODB_URI) || DEFAULT_STORE;
  return parseStoreUrl(value, setting, env.MONGODB_DATABASE);
}

/** Parse a store URL as given to `--store` or `KLINE_STORE`. */
export function parseStoreUrl(value: string, setting = 'KLINE_STORE', database?: string): StoreConfig {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length);
    if (path === '') throw new ConfigError(setting, 'sqlite: needs a file path or :memory: (e.g. sqlite:./data/klines.db)');
    return { kind: 'sqlite', path };
  }
  if (value.startsWith('mongodb://') || value.startsWith('mongodb+srv://')) {
    // The driver's own parser: multi-host (replica set) strings are valid, Node's URL rejects them.
    let parsed: ConnectionString;
    try {
      // Loaded here, not at the top: with its URL parser it cost ~30 ms of every start, SQLite ones too.
      const { default: Parser } = require('mongodb-connection-string-url') as typeof import('mongodb-connection-string-url');
      parsed = new Parser(value);
    } catch (err) {
      throw new ConfigError(setting, `is not a valid MongoDB connection string: ${redactSecrets((err as Error).message)}`);
    }
    if (parsed.hosts.length === 0 || parsed.hosts.some((h) => h === '')) throw new ConfigError(setting, 'MongoDB connection string has no host');
    const fromPath = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return { kind: 'mongodb', uri: value, database: database || fromPath || 'klines' };
  }
  throw new ConfigError(setting, `expected sqlite:PATH, mongodb://… or mongodb+srv://… (lowercase, no spaces), got ${describeUnacceptedUri(value)}`);
}

export function readUrl(env: Env, name: string, fallback: string, schemes: readonly string[]): string {
  const value = env[name] || fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `"${redactSecrets(value)}" is not a URL`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new ConfigError(name, `"${redactSecrets(value)}" must start with ${schemes.map((s) => `${s}//`).join(' or ')}`);
  }
  return value.replace(/\/+$/, '');
}

export function readPositiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `expected a positive integer, got "${raw}"`);
  return n;
}

/** As readPositiveInt, 0 allowed (e.g. "none"). */
export function readNonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, `expected a whole number ≥ 0, got "${raw}"`);
  return n;
}

export function readList(env: Env, name: string): string[] {
  const raw = env[name];
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const EMAIL = /^[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+$/;

export function readEmails(env: Env, name: string): string[] {
  const list = readList(env, name);
  for (const e of list) if (!EMAIL.test(e)) throw new ConfigError(name, `"${e}" is not an e-mail address`);
  return list;
}

/** Which markets to capture: all TRADING, or filtered by quote asset, or an explicit list. */
export interface MarketFilter {
  quoteAssets: string[];
  symbols: string[];
}

/** `MARKETS_QUOTE_ASSETS=USDT,BTC` and/or `MARKETS_SYMBOLS=BTCUSDT,ETHUSDT`; empty = all. */
export function readMarketFilter(env: Env = process.env): MarketFilter {
  const quoteAssets = readList(env, 'MARKETS_QUOTE_ASSETS').map((s) => s.toUpperCase());
  const symbols = readList(env, 'MARKETS_SYMBOLS').map((s) => s.toUpperCase());
  for (const s of [...quoteAssets, ...symbols]) {
    if (!/^[\p{L}\p{N}_-]{1,32}$/u.test(s)) throw new ConfigError(quoteAssets.includes(s) ? 'MARKETS_QUOTE_ASSETS' : 'MARKETS_SYMBOLS', `"${s}" is not a symbol`);
  }
  return { quoteAssets, symbols };
}

export interface BinanceConfig {
  streamUrl: string;
  restUrl: string;
}

export const DEFAULT_STREAM_URL = 'wss://data-stream.binance.vision';
export const DEFAULT_REST_URL = 'https://data-api.binance.vision';

export function readBinanceConfig(env: Env = process.env): BinanceConfig {
  return {
    streamUrl: readUrl(env, 'BINANCE_STREAM_URL', DEFAULT_STREAM_URL, ['wss:', 'ws:']),
    restUrl: readUrl(env, 'BINANCE_REST_URL', DEFAULT_REST_URL, ['https:', 'http:']),
  };
}

export interface ReportConfig {
  recipients: string[];
  sender: string | undefined;
  /** Optional SES endpoint (e.g. aws-ses-v2-local); default is the region's. */
  sesEndpoint: string | undefined;
}

export function readReportConfig(env: Env = process.env): ReportConfig {
  const sender = readEmails(env, 'REPORT_SENDER');
  if (sender.length > 1) throw new ConfigError('REPORT_SENDER', 'expected one address');
  return {
    recipients: readEmails(env, 'REPORT_RECIPIENTS'),
    sender: sender[0],
    sesEndpoint: env.SES_ENDPOINT ? readUrl(env, 'SES_ENDPOINT', '', ['http:', 'https:']) : undefined,
  };
}
