/**
 * `report --from ISO --to ISO [--store URL] [--out DIR] [--market-type spot,usdm,coinm]`: writes
 * the data-quality report of what is stored, one section per market type (`--market-type` names
 * them; default: spot and every type with status history, as in the e-mailed report) (quality-<from>-<to>.html, .csv and -gaps.csv in DIR, default ./reports) and prints
 * its summary line on stdout. Times must say they are UTC (`Z` or an offset) or be plain dates,
 * which mean UTC midnight: a local-time reading would shift the window silently.
 * The store: `--store`, else the secret MONGODB_SECRET_ARN names, else KLINE_STORE (store-source.ts).
 * Exit codes: 0 done, 1 the store (or its secret) failed, 2 bad arguments or settings.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Env, StoreConfig } from '../../core/config';
import { ConfigError } from '../../core/errors';
import { readAudits } from '../../core/audit/files';
import { buildQualityReport, type QualityReport } from '../../core/report';
import { openStore } from '../../core/store/index';
import { MARKET_TYPES, parseMarketTypes, type MarketType } from '../../core/market';
import type { KlineStore, TimeRange } from '../../core/store/port';
import type { CliIo } from '../cli';
import { cliStoreSource, commandStoreConfig, type CliStoreSource, type SecretsClient } from './store-source';

export const USAGE = `usage: npm run cli -- report --from ISO --to ISO [--store URL] [--out DIR] [--market-type ${MARKET_TYPES.join(',')}]\n` +
  '  e.g. report --from 2024-01-01 --to 2024-01-02   (dates are UTC midnight; times need Z or an offset)\n';

export interface ReportDeps {
  openStore?: (config: StoreConfig) => Promise<KlineStore>;
  env?: Env;
  /** Secrets Manager, for MONGODB_SECRET_ARN (default: a client for AWS_REGION). */
  secrets?: () => SecretsClient;
  /** Report time (ms) shown in the HTML. Default: now. */
  now?: () => number;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** Milliseconds of `2024-01-01`, `2024-01-01T06:00Z`, `2024-01-01T06:00:00.000+02:00`; throws naming the flag. */
export function parseInstant(text: string, flag: string): number {
  const m = INSTANT.exec(text.trim());
  if (!m) {
    const hint = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(text.trim()) ? ' (add Z for UTC or an offset such as +02:00)' : '';
    throw new Error(`${flag} "${text}" is not an ISO date or time${hint}`);
  }
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((v) => (v === undefined ? undefined : Number(v))) as number[];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(local);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new Error(`${flag} "${text}" is not a real date or time`);
  }
  const zone = m[8];
  if (zone === undefined || zone === 'Z') return local;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!z || Number(z[2]) > 23 || Number(z[3]) > 59) throw new Error(`${flag} "${text}" has an invalid UTC offset`);
  return local - (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000;
}

interface ReportArgs {
  range: TimeRange;
  /** Undefined: every type with data. */
  marketTypes?: MarketType[];
  store: CliStoreSource;
  outDir: string;
}

function parseReportArgs(argv: string[], env: Env): ReportArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, to: { type: 'string' }, store: { type: 'string' }, out: { type: 'string' }, 'market-type': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  if (values.from === undefined) throw new Error('--from is required');
  if (values.to === undefined) throw new Error('--to is required');
  const from = parseInstant(values.from, '--from');
  const to = parseInstant(values.to, '--to');
  if (from >= to) throw new Error(`--from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()})`);
  if (values.out !== undefined && values.out.trim() === '') throw new Error('--out is empty');
  const marketTypes = values['market-type'] === undefined ? undefined : parseMarketTypes(values['market-type'], '--market-type');
  const store = cliStoreSource(values.store, env);
  return { range: { from, to }, marketTypes, store, outDir: values.out ?? 'reports' };
}

/** Write via a temporary name and rename, so a crash never leaves half a report behind. */
async function writeWhole(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, path);
}

async function writeReport(report: QualityReport, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: [string, string][] = [
    [join(outDir, `${report.fileBase}.html`), report.html],
    [join(outDir, `${report.fileBase}.csv`), report.csv],
    [join(outDir, `${report.fileBase}-gaps.csv`), report.gapsCsv],
    ...(report.auditCsv !== undefined ? ([[join(outDir, `${report.fileBase}-audit.csv`), report.auditCsv]] as [string, string][]) : []),
  ];
  for (const [path, text] of files) await writeWhole(path, text);
  return files.map(([path]) => path);
}

/** node:util's parse errors are long-winded; name the flag and stop. */
function argumentProblem(err: unknown): string {
  const e = err as Error & { code?: string };
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(e.message)?.[1];
    return `unknown option${flag ? ` "${flag}"` : ''}`;
  }
  return e.message;
}

export async function run(argv: string[], io: CliIo, deps: ReportDeps = {}): Promise<number> {
  let args: ReportArgs;
  try {
    args = parseReportArgs(argv, deps.env ?? process.env);
  } catch (err) {
    io.stderr.write(`report: ${argumentProblem(err)}\n${USAGE}`);
    return 2;
  }

  const config = await commandStoreConfig('report', args.store, io.stderr, deps.secrets);
  if (config === undefined) return 1;
  let store: KlineStore;
  try {
    store = await (deps.openStore ?? ((config) => openStore(config, { mustExist: true })))(config);
  } catch (err) {
    io.stderr.write(`report: cannot open the store: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }

  let report: QualityReport;
  try {
    // Audits (`cli audit`) of the window's days, kept beside the reports or in the store, join the report.
    const files = await readAudits(args.outDir, args.range);
    const inFiles = new Set(files.map((a) => a.day));
    const audits = [...files, ...(await store.readAudits(args.range)).filter((a) => !inFiles.has(a.day))].sort((x, y) => (x.day < y.day ? -1 : 1));
    report = await buildQualityReport(store, args.range, { generatedAt: (deps.now ?? Date.now)(), audits, marketTypes: args.marketTypes });
  } catch (err) {
    io.stderr.write(`report: reading the store failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await store.close().catch(() => undefined);
  }

  let written: string[];
  try {
    written = await writeReport(report, args.outDir);
  } catch (err) {
    io.stderr.write(`report: cannot write the report to ${args.outDir}: ${(err as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`${report.summaryLine}\n`);
  for (const line of report.auditLines ?? []) io.stdout.write(`${line}\n`);
  io.stderr.write(`report: wrote ${written.join(', ')}\n`);
  return 0;
}
