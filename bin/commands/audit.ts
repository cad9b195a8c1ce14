/**
 * `audit --date DAY [--market-type T,…] [--symbols A,B] [--store URL] [--out DIR] [--no-repair]`:
 * compare the archive's DAY with Binance's daily dumps minute by minute, repair minutes we lack
 * from the dump, list differing minutes with both values, classify every missing minute (REST,
 * BINANCE_REST_URL, is asked about minutes neither we nor the dump have; `--no-rest` skips it).
 * Writes DIR/audit-DAY.json (default ./reports; the quality report reads it) and keeps the result
 * in the store (the report in AWS reads it there), and prints the
 * headline and the differences. The store: `--store`, else the secret MONGODB_SECRET_ARN names,
 * else KLINE_STORE (store-source.ts). Exit codes: 0 done, 1 store (or its secret) failure, 2 bad arguments,
 * 3 some dump files were unusable (named on stderr).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditFileName } from '../../core/audit/files';
import { auditHeadline, runAudit, type AuditResult } from '../../core/audit/run';
import { marketsOfDay } from '../../core/audit/markets';
import type { Env, StoreConfig } from '../../core/config';
import { restHistory, venueClients } from '../../core/binance/rest/history-rest';
import { DEFAULT_DUMPS_URL } from '../../core/dumps/paths';
import { DumpSite } from '../../core/dumps/site';
import { marketKey, parseMarketTypes, type MarketType } from '../../core/market';
import { openStore } from '../../core/store/index';
import type { KlineStore } from '../../core/store/port';
import type { CliIo } from '../cli';
import { parseInstant } from './report';
import { cliStoreSource, commandStoreConfig, type CliStoreSource, type SecretsClient } from './store-source';

export const USAGE = 'usage: npm run cli -- audit --date YYYY-MM-DD [--market-type spot[,usdm,coinm]] [--symbols A,B] [--store URL] [--out DIR] [--no-repair] [--no-rest] [--dumps-url URL]\n';

export interface AuditDeps {
  env?: Env;
  openStore?: (config: StoreConfig) => Promise<KlineStore>;
  fetchImpl?: typeof fetch;
  /** Secrets Manager, for MONGODB_SECRET_ARN (default: a client for AWS_REGION). */
  secrets?: () => SecretsClient;
}

function describeDifferences(r: AuditResult, limit = 50): string[] {
  const lines: string[] = [];
  for (const m of r.markets) {
    for (const d of m.differing) {
      if (lines.length >= limit) return [...lines, `… and more in audit-${r.day}.json`];
      const fields = d.fields.map((f) => `${f} ours ${String(d.ours[f])} vs Binance ${String(d.theirs[f])}`).join('; ');
      lines.push(`differs ${marketKey(m.market)} ${new Date(d.openTime).toISOString()}: ${fields}`);
    }
  }
  return lines;
}

export async function run(argv: string[], io: CliIo, deps: AuditDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  let day: number;
  let types: MarketType[];
  let symbols: string[] | undefined;
  let storeSource: CliStoreSource;
  let outDir: string;
  let repair: boolean;
  let useRest = true;
  let site: DumpSite;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        date: { type: 'string' },
        'market-type': { type: 'string' },
        symbols: { type: 'string' },
        store: { type: 'string' },
        out: { type: 'string' },
        'no-repair': { type: 'boolean' },
        'no-rest': { type: 'boolean' },
        'dumps-url': { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
    if (values.date === undefined) throw new Error('--date is required');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.date)) throw new Error(`--date "${values.date}" is not a day (YYYY-MM-DD)`);
    day = parseInstant(values.date, '--date');
    types = parseMarketTypes(values['market-type'] ?? 'spot', '--market-type');
    symbols = values.symbols?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (symbols !== undefined && symbols.length === 0) throw new Error('--symbols is empty');
    storeSource = cliStoreSource(values.store, env);
    outDir = values.out ?? 'reports';
    repair = values['no-repair'] !== true;
    useRest = values['no-rest'] !== true;
    site = new DumpSite({ baseUrl: values['dumps-url'] ?? env.BINANCE_DUMPS_URL ?? DEFAULT_DUMPS_URL, tmpDir: join(outDir, '.audit-downloads'), fetchImpl: deps.fetchImpl });
  } catch (err) {
    io.stderr.write(`audit: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const storeConfig = await commandStoreConfig('audit', storeSource, io.stderr, deps.secrets);
  if (storeConfig === undefined) return 1;
  let store: KlineStore | undefined;
  const clients = useRest ? venueClients(env, deps.fetchImpl) : undefined;
  const rest = clients === undefined ? undefined : restHistory(clients.clientFor);
  try {
    store = await (deps.openStore ?? openStore)(storeConfig);
    const markets = symbols ? types.flatMap((marketType) => (symbols as string[]).map((symbol) => ({ marketType, symbol }))) : await marketsOfDay(store, types, day);
    const result = await runAudit({ store, site, markets, day, repair, rest });
    // Kept in the store too, where the AWS report reads it (core/audit/daily.ts).
    await store.saveAudit(result);
    await mkdir(outDir, { recursive: true });
    const path = join(outDir, auditFileName(result.day));
    await writeFile(`${path}.tmp`, JSON.stringify(result));
    await rename(`${path}.tmp`, path);
    io.stdout.write(`${auditHeadline(result)}\n`);
    for (const line of describeDifferences(result)) io.stdout.write(`${line}\n`);
    const failed = result.markets.filter((m) => m.status === 'failed');
    for (const m of failed) io.stderr.write(`audit: ${m.problem}\n`);
    const unpublished = result.markets.filter((m) => m.status === 'not-published').length;
    if (unpublished > 0) io.stderr.write(`audit: ${unpublished} market(s) have no dump for ${result.day} yet (not audited)\n`);
    return failed.length > 0 ? 3 : 0;
  } catch (err) {
    io.stderr.write(`audit: ${(err as Error).message}\n`);
    return 1;
  } finally {
    clients?.close();
    await store?.close().catch(() => undefined);
  }
}
