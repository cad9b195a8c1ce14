/**
 * The CDK app's configuration: read from `cdk.json` context (or `-c key=value`), validated at synth.
 * Every problem throws AppConfigError whose message starts with `Invalid context "<key>":`,
 * so the operator knows which setting to fix before anything reaches AWS.
 *
 * Values may arrive typed (from cdk.json) or as strings (from `-c`), so each reader accepts both.
 */
import type { MarketFilter } from '../core/config';
import { isMarketType, MARKET_TYPES, type MarketType } from '../core/market';
import { ATLAS_TIERS, connectionBudget, FUNCTION_MAX_POOL_SIZE, MONITORING_CONNECTIONS_PER_NODE, stackConnectionUses, type AtlasTier } from './connection-budget';

export class AppConfigError extends Error {
  override readonly name = 'AppConfigError';
  constructor(readonly key: string, problem: string) {
    super(`Invalid context "${key}": ${problem}`);
  }
}

/** How the MongoDB URI secret is provided. */
export type MongoSecretSource = { kind: 'create' } | { kind: 'name'; name: string } | { kind: 'arn'; arn: string };

export interface AppConfig {
  /** Addresses the quality report is sent to. */
  readonly reportRecipients: readonly string[];
  /** The report's From address; an SES identity is created for it (or `sesIdentity`). */
  readonly reportSender: string;
  /** SES identity that authorises the sender: the address itself (default) or its domain. */
  readonly sesIdentity: string;
  /** false when the identity already exists in SES (it is then referenced, not created). */
  readonly createSesIdentity: boolean;
  /** EventBridge schedule expression of the reporter, `cron(...)` or `rate(...)`. */
  readonly reportSchedule: string;
  /** Whole UTC hours each scheduled report covers, ending at the last full hour (match the schedule). */
  readonly reportPeriodHours: number;
  readonly markets: MarketFilter;
  /** Binance market types captured (the task's MARKET_TYPES). */
  readonly marketTypes: readonly MarketType[];
  readonly logRetentionDays: number;
  /** Days of 1m klines kept (TTL index); undefined keeps them forever. Resampled bars are always kept. */
  readonly klineRetentionDays: number | undefined;
  readonly alarmEmail: string | undefined;
  /** NAT gateway with an Elastic IP; Lambdas and the task in private subnets (for Atlas IP allow-lists). */
  readonly staticEgress: boolean;
  readonly mongoSecret: MongoSecretSource;
  /** The admin credential's secret for the deploy-time schema step; undefined: run `store migrate` yourself. */
  readonly mongoAdminSecret: Exclude<MongoSecretSource, { kind: 'create' }> | undefined;
  readonly mongoDatabase: string;
  readonly binanceStreamUrl: string;
  readonly binanceRestUrl: string;
  /** Binance's dump file site the daily audit reads (the auditor's BINANCE_DUMPS_URL). */
  readonly binanceDumpsUrl: string;
  /** Alarm when a report's completeness (percent of expected minutes stored) falls below this. */
  readonly completenessThreshold: number;
  /** Alarm when the ingest task forwards no kline for this many consecutive minutes. */
  readonly noKlinesAlarmMinutes: number;
  /** ECS Container Insights on the ingest cluster (about 30 custom metrics; see docs/deploy.md for the cost). */
  readonly containerInsights: boolean;
  /** Upper bound of concurrent writer invocations (each holds MongoDB connections). */
  readonly writerMaxConcurrency: number;
  /** The Atlas cluster tier, whose per-node connection limit bounds writerMaxConcurrency. */
  readonly atlasTier: AtlasTier;
  /** Daily Parquet export to an S3 bucket of the stack, with a Glue table and an Athena workgroup. */
  readonly s3Export: boolean;
}

/** Every context key the app reads, in the order the deploy guide documents them. */
export const CONTEXT_KEYS = [
  'reportRecipients',
  'reportSender',
  'sesIdentity',
  'createSesIdentity',
  'reportSchedule',
  'reportPeriodHours',
  'marketsQuoteAssets',
  'marketsSymbols',
  'marketTypes',
  'logRetentionDays',
  'klineRetentionDays',
  'alarmEmail',
  'staticEgress',
  'mongoSecretName',
  'mongoAdminSecretName',
  'mongoDatabase',
  'binanceStreamUrl',
  'binanceRestUrl',
  'binanceDumpsUrl',
  'completenessThreshold',
  'noKlinesAlarmMinutes',
  'writerMaxConcurrency',
  'atlasTier',
  'containerInsights',
  's3Export',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** Context keys of CDK itself that carry no ":" (its own keys are namespaced: "@aws-cdk/…", "aws:cdk:…", lookups "…:account=…"). */
const CDK_CONTEXT_KEYS = new Set(['acknowledged-issue-numbers', 'cli-telemetry', 'cdk-migrate']);

/**
 * Context keys that are neither ours nor CDK's: a misspelt setting would otherwise be silently
 * ignored. Each message names the key and the closest known one.
 */
export function unknownContextKeys(context: Record<string, unknown>): string[] {
  return Object.keys(context)
    .filter((key) => !key.includes(':') && !key.startsWith('@') && !CDK_CONTEXT_KEYS.has(key) && !(CONTEXT_KEYS as readonly string[]).includes(key))
    .map((key) => {
      const nearest = [...CONTEXT_KEYS].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
      const hint = editDistance(key, nearest) <= Math.max(2, Math.floor(nearest.length / 4)) ? ` Did you mean "${nearest}"?` : '';
      return `Unknown context "${key}": kline-capture reads only ${CONTEXT_KEYS.join(', ')}.${hint}`;
    });
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const DEFAULTS = {
  reportSchedule: 'cron(15 0 * * ? *)',
  reportPeriodHours: 24,
  logRetentionDays: 30,
  mongoDatabase: 'klines',
  binanceStreamUrl: 'wss://data-stream.binance.vision',
  binanceRestUrl: 'https://data-api.binance.vision',
  binanceDumpsUrl: 'https://data.binance.vision',
  completenessThreshold: 99.9,
  noKlinesAlarmMinutes: 5,
  writerMaxConcurrency: 5,
  atlasTier: 'M0',
} as const;

const EMAIL = /^[^\s@<>,;"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const DOMAIN = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const SYMBOL = /^[\p{L}\p{N}_-]{1,32}$/u;
// Reserved characters per MongoDB's database naming rules.
const MONGO_DB_NAME = /^[^/\\. "$*<>:|?]{1,63}$/;

/** Read and validate the app's configuration from a context getter (e.g. `(k) => app.node.tryGetContext(k)`). */
export function readAppConfig(get: (key: ContextKey) => unknown): AppConfig {
  const reportSender = requiredEmail(get, 'reportSender');
  const sesIdentity = optionalString(get, 'sesIdentity') ?? reportSender;
  if (sesIdentity !== reportSender) {
    if (!DOMAIN.test(sesIdentity)) throw new AppConfigError('sesIdentity', `"${sesIdentity}" must be the sender address or its domain`);
    if (!reportSender.toLowerCase().endsWith(`@${sesIdentity.toLowerCase()}`)) {
      throw new AppConfigError('sesIdentity', `"${sesIdentity}" is not the domain of reportSender "${reportSender}"`);
    }
  }
  const recipients = emailList(get, 'reportRecipients');
  if (recipients.length === 0) throw new AppConfigError('reportRecipients', 'expected at least one e-mail address');

  const config: AppConfig = {
    reportRecipients: recipients,
    reportSender,
    sesIdentity,
    createSesIdentity: bool(get, 'createSesIdentity', true),
    reportSchedule: scheduleExpression(get, 'reportSchedule', DEFAULTS.reportSchedule),
    reportPeriodHours: boundedInt(get, 'reportPeriodHours', DEFAULTS.reportPeriodHours, 1, 744),
    markets: {
      quoteAssets: symbolList(get, 'marketsQuoteAssets'),
      symbols: symbolList(get, 'marketsSymbols'),
    },
    marketTypes: marketTypes(get, 'marketTypes'),
    logRetentionDays: logRetention(get, 'logRetentionDays'),
    klineRetentionDays: optionalPositiveInt(get, 'klineRetentionDays'),
    alarmEmail: optionalEmail(get, 'alarmEmail'),
    staticEgress: bool(get, 'staticEgress', false),
    mongoSecret: mongoSecretSource(get, 'mongoSecretName'),
    mongoAdminSecret: adminSecretSource(get, 'mongoAdminSecretName'),
    mongoDatabase: mongoDatabase(get, 'mongoDatabase'),
    binanceStreamUrl: url(get, 'binanceStreamUrl', DEFAULTS.binanceStreamUrl, ['wss:', 'ws:']),
    binanceRestUrl: url(get, 'binanceRestUrl', DEFAULTS.binanceRestUrl, ['https:', 'http:']),
    binanceDumpsUrl: url(get, 'binanceDumpsUrl', DEFAULTS.binanceDumpsUrl, ['https:', 'http:']),
    completenessThreshold: percent(get, 'completenessThreshold', DEFAULTS.completenessThreshold),
    noKlinesAlarmMinutes: boundedInt(get, 'noKlinesAlarmMinutes', DEFAULTS.noKlinesAlarmMinutes, 1, 1440),
    writerMaxConcurrency: boundedInt(get, 'writerMaxConcurrency', DEFAULTS.writerMaxConcurrency, 2, 1000),
    containerInsights: bool(get, 'containerInsights', true),
    atlasTier: atlasTier(get, 'atlasTier'),
    s3Export: bool(get, 's3Export', true),
  };
  checkConnectionBudget(config);
  return config;
}

/** The Atlas tier, checked against the connections the stack may open (lib/connection-budget.ts). */
function atlasTier(get: Get, key: ContextKey): AtlasTier {
  const value = optionalString(get, key) ?? DEFAULTS.atlasTier;
  const tier = ATLAS_TIERS.find((t) => t.toLowerCase() === value.toLowerCase());
  if (tier === undefined) throw new AppConfigError(key, `${show(value)} is not an Atlas tier (expected one of ${ATLAS_TIERS.join(', ')})`);
  return tier;
}

/** Throws naming writerMaxConcurrency when the stack could open more connections than the tier allows per node. */
export function checkConnectionBudget(config: Pick<AppConfig, 'atlasTier' | 'writerMaxConcurrency'> & Partial<Pick<AppConfig, 's3Export'>>): void {
  const budget = connectionBudget(config.atlasTier, stackConnectionUses(config.writerMaxConcurrency, config.s3Export));
  if (budget.leftForUsers >= 0) return;
  const perClient = FUNCTION_MAX_POOL_SIZE + MONITORING_CONNECTIONS_PER_NODE;
  throw new AppConfigError(
    'writerMaxConcurrency',
    `${config.writerMaxConcurrency} writer containers can open ${budget.perNode} connections per node ` +
      `(${budget.uses.map((u) => `${u.who}: ${u.connections}`).join('; ')}; each client ${FUNCTION_MAX_POOL_SIZE} pooled + ${MONITORING_CONNECTIONS_PER_NODE} monitoring), ` +
      `over the ${budget.limit} an Atlas ${config.atlasTier} node accepts (minus 10 Atlas keeps). ` +
      `Lower writerMaxConcurrency to at most ${Math.floor((budget.limit - 10 - (budget.perNode - config.writerMaxConcurrency * perClient)) / perClient)} or set atlasTier to your larger tier.`,
  );
}

type Get = (key: ContextKey) => unknown;

function isUnset(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || value === '';
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

function optionalString(get: Get, key: ContextKey): string | undefined {
  const value = get(key);
  if (isUnset(value)) return undefined;
  if (typeof value !== 'string') throw new AppConfigError(key, `expected a string, got ${show(value)}`);
  return value.trim();
}

function requiredEmail(get: Get, key: ContextKey): string {
  const value = optionalEmail(get, key);
  if (value === undefined) throw new AppConfigError(key, 'is required (an e-mail address, e.g. reports@yourdomain.com)');
  return value;
}

function optionalEmail(get: Get, key: ContextKey): string | undefined {
  const value = optionalString(get, key);
  if (value === undefined) return undefined;
  if (!EMAIL.test(value)) throw new AppConfigError(key, `${show(value)} is not an e-mail address`);
  return value;
}

/** A JSON array of strings (typed, or as text from `-c 'key=["a","b"]'`), or one comma-separated string. */
function list(get: Get, key: ContextKey): string[] {
  const value = get(key);
  if (isUnset(value)) return [];
  let items: unknown = value;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      items = JSON.parse(value);
    } catch {
      throw new AppConfigError(key, `${show(value)} starts like a JSON list but is not valid JSON`);
    }
  } else if (typeof value === 'string') items = value.split(',');
  if (!Array.isArray(items) || !items.every((i): i is string => typeof i === 'string')) {
    throw new AppConfigError(key, `expected a list of strings (JSON array or comma-separated), got ${show(value)}`);
  }
  return items.map((i) => i.trim()).filter((i) => i !== '');
}

function emailList(get: Get, key: ContextKey): string[] {
  const items = list(get, key);
  for (const item of items) if (!EMAIL.test(item)) throw new AppConfigError(key, `"${item}" is not an e-mail address`);
  return items;
}

function symbolList(get: Get, key: ContextKey): string[] {
  const items = list(get, key).map((i) => i.toUpperCase());
  for (const item of items) if (!SYMBOL.test(item)) throw new AppConfigError(key, `"${item}" is not a symbol or asset name`);
  return items;
}

function marketTypes(get: Get, key: ContextKey): MarketType[] {
  const items = list(get, key).map((i) => i.toLowerCase());
  if (items.length === 0) return ['spot'];
  const bad = items.find((i) => !isMarketType(i));
  if (bad !== undefined) throw new AppConfigError(key, `"${bad}" is not a market type (expected a list of ${MARKET_TYPES.join(', ')})`);
  return [...new Set(items as MarketType[])];
}

function bool(get: Get, key: ContextKey, fallback: boolean): boolean {
  const value = get(key);
  if (isUnset(value)) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new AppConfigError(key, `expected true or false, got ${show(value)}`);
}

function number(get: Get, key: ContextKey): number | undefined {
  const value = get(key);
  if (isUnset(value)) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new AppConfigError(key, `expected a number, got ${show(value)}`);
  return n;
}

function boundedInt(get: Get, key: ContextKey, fallback: number, min: number, max: number): number {
  const n = number(get, key) ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max) throw new AppConfigError(key, `expected a whole number from ${min} to ${max}, got ${n}`);
  return n;
}

/** Absent or 0 means "no limit". */
function optionalPositiveInt(get: Get, key: ContextKey): number | undefined {
  const n = number(get, key);
  if (n === undefined || n === 0) return undefined;
  if (!Number.isInteger(n) || n < 0) throw new AppConfigError(key, `expected a whole number of days (0 or absent = keep forever), got ${n}`);
  return n;
}

function percent(get: Get, key: ContextKey, fallback: number): number {
  const n = number(get, key) ?? fallback;
  if (n <= 0 || n > 100) throw new AppConfigError(key, `expected a percentage above 0 and at most 100, got ${n}`);
  return n;
}

function logRetention(get: Get, key: ContextKey): number {
  const n = number(get, key) ?? DEFAULTS.logRetentionDays;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(n)) {
    throw new AppConfigError(key, `CloudWatch Logs accepts only ${LOG_RETENTION_DAYS.join(', ')} days, got ${n}`);
  }
  return n;
}

/** EventBridge accepts `rate(N unit)` and six-field `cron(...)` expressions. */
function scheduleExpression(get: Get, key: ContextKey, fallback: string): string {
  const value = optionalString(get, key) ?? fallback;
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(value);
  if (rate) {
    const n = Number(rate[1]);
    const singular = !rate[2].endsWith('s');
    if (n < 1 || singular !== (n === 1)) throw new AppConfigError(key, `${show(value)}: use "rate(1 day)" or "rate(N days)" (singular unit only for 1)`);
    return value;
  }
  const cron = /^cron\(([^()]+)\)$/.exec(value);
  if (cron) {
    const problem = cronProblem(cron[1]);
    if (problem === undefined) return value;
    throw new AppConfigError(key, `${show(value)}: ${problem} (EventBridge cron: minutes hours day-of-month month day-of-week year, e.g. "cron(15 0 * * ? *)")`);
  }
  throw new AppConfigError(key, `${show(value)} is not an EventBridge schedule; use e.g. "cron(15 0 * * ? *)" (daily 00:15 UTC) or "rate(1 day)"`);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS },
  { name: 'year', min: 1970, max: 2199 },
];

/**
 * Why a six-field EventBridge cron body is invalid, or undefined. Rules from the EventBridge
 * Scheduler/rules reference ("Cron expressions"): ranges per field, `, - * /` everywhere, `?` only in
 * day-of-month or day-of-week and in exactly one of them, `L W` in day-of-month, `L #` in day-of-week.
 */
export function cronProblem(body: string): string | undefined {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) return `has ${fields.length} fields, EventBridge needs 6`;
  for (let i = 0; i < 6; i++) {
    const problem = cronFieldProblem(fields[i], CRON_FIELDS[i]);
    if (problem !== undefined) return `${CRON_FIELDS[i].name} field "${fields[i]}": ${problem}`;
  }
  const [, , dom, , dow] = fields;
  if ((dom === '?') === (dow === '?')) return 'exactly one of day-of-month and day-of-week must be "?"';
  return undefined;
}

function cronFieldProblem(text: string, field: CronField): string | undefined {
  if (text === '?') return field.name === 'day-of-month' || field.name === 'day-of-week' ? undefined : '"?" is allowed only in day-of-month or day-of-week';
  if (field.name === 'day-of-month' && /^(L|LW|([1-9]|[12]\d|3[01])W)$/.test(text)) return undefined;
  if (field.name === 'day-of-week' && /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$|^L$/i.test(text)) return undefined;
  const value = (v: string): number | undefined => {
    if (/^\d+$/.test(v)) return Number(v);
    const index = field.names?.indexOf(v.toUpperCase()) ?? -1;
    return index >= 0 ? index + 1 : undefined;
  };
  for (const part of text.split(',')) {
    const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) return `"${part}" is not a value, range, list or increment`;
    if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > field.max)) return `increment ${m[2]} is out of range`;
    if (m[1] === '*') continue;
    for (const bound of m[1].split('-')) {
      const n = value(bound);
      if (n === undefined || n < field.min || n > field.max) return `${bound} is outside ${field.min}-${field.max}${field.names ? ` (or ${field.names[0]}-${field.names[field.names.length - 1]})` : ''}`;
    }
  }
  return undefined;
}

function url(get: Get, key: ContextKey, fallback: string, schemes: readonly string[]): string {
  const value = optionalString(get, key) ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new AppConfigError(key, `${show(value)} is not a URL`);
  }
  if (!schemes.includes(parsed.protocol)) throw new AppConfigError(key, `${show(value)} must start with ${schemes.map((s) => `${s}//`).join(' or ')}`);
  return value.replace(/\/+$/, '');
}

/** A secret name (referenced), a full secret ARN (referenced), or absent (created by the stack). */
function mongoSecretSource(get: Get, key: ContextKey): MongoSecretSource {
  const value = optionalString(get, key);
  if (value === undefined) return { kind: 'create' };
  if (value.startsWith('arn:')) {
    if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/.test(value)) {
      throw new AppConfigError(key, `${show(value)} is not a Secrets Manager secret ARN`);
    }
    return { kind: 'arn', arn: value };
  }
  if (/^mongodb(\+srv)?:\/\//.test(value)) throw new AppConfigError(key, 'expected the NAME of a Secrets Manager secret, not a connection string (never put the URI in cdk.json)');
  if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(value)) throw new AppConfigError(key, `${show(value)} is not a Secrets Manager secret name`);
  return { kind: 'name', name: value };
}

/** The admin secret exists before the deploy (the stack never creates it): a name or an ARN, or absent. */
function adminSecretSource(get: Get, key: ContextKey): Exclude<MongoSecretSource, { kind: 'create' }> | undefined {
  const source = mongoSecretSource(get, key);
  return source.kind === 'create' ? undefined : source;
}

function mongoDatabase(get: Get, key: ContextKey): string {
  const value = optionalString(get, key) ?? DEFAULTS.mongoDatabase;
  if (!MONGO_DB_NAME.test(value)) throw new AppConfigError(key, `${show(value)} is not a MongoDB database name (1-63 characters, none of / \\ . " $ * < > : | ? or space)`);
  return value;
}

/**
 * Binance (binance.com and its binance.vision market-data hosts) answers HTTP 451 to callers in the
 * United States, AWS's us-* regions included. Returns why `region` cannot capture from the configured
 * endpoints, or undefined when it can (or when the region is not known at synth time).
 */
export function binanceRegionProblem(region: string | undefined, config: Pick<AppConfig, 'binanceRestUrl' | 'binanceStreamUrl'>): string | undefined {
  if (region === undefined || !/^us-/.test(region)) return undefined;
  const global = [config.binanceRestUrl, config.binanceStreamUrl].some((u) => /(^|\.)binance\.(com|vision)$/.test(new URL(u).hostname));
  if (!global) return undefined;
  return (
    `Region ${region}: Binance refuses requests from US locations (HTTP 451). Deploy to a region Binance serves, ` +
    `e.g. AWS_REGION=eu-west-1 npx cdk deploy (or eu-central-1, ap-northeast-1), or point binanceStreamUrl/binanceRestUrl at Binance.US.`
  );
}

/**
 * The region check at synth. A region the user configured (AWS_REGION/AWS_DEFAULT_REGION, or the
 * selected profile's `region` in ~/.aws/config, passed as `configured`) is their choice, so a US
 * one is an error. Otherwise the region is CDK_DEFAULT_REGION, which the CLI sets to us-east-1 when
 * no AWS configuration exists (e.g. offline synth), so a US one is only a warning.
 */
export function checkDeployRegion(
  env: Record<string, string | undefined>,
  config: Pick<AppConfig, 'binanceRestUrl' | 'binanceStreamUrl'>,
  configured?: string,
): { severity: 'error' | 'warning'; message: string } | undefined {
  const explicit = env.AWS_REGION || env.AWS_DEFAULT_REGION || configured;
  const message = binanceRegionProblem(explicit || env.CDK_DEFAULT_REGION, config);
  if (message === undefined) return undefined;
  return { severity: explicit ? 'error' : 'warning', message };
}

/** Addresses at the reserved example domains (RFC 2606), as in cdk.json's placeholders: deployable, but no report arrives. */
export function placeholderWarnings(config: Pick<AppConfig, 'reportSender' | 'reportRecipients' | 'alarmEmail'>): string[] {
  const reserved = /@(.+\.)?example\.(com|org|net)$/i;
  const named: Array<[string, string | undefined]> = [
    ['reportSender', config.reportSender],
    ...config.reportRecipients.map((r): [string, string] => ['reportRecipients', r]),
    ['alarmEmail', config.alarmEmail],
  ];
  return named
    .filter(([, address]) => address !== undefined && reserved.test(address))
    .map(([key, address]) => `Context "${key}" is the placeholder ${address}: set your own address in cdk.json or with -c ${key}=...`);
}
