/**
 * `audit --date DAY [--market-type T,…] [--symbols A,B] [--store URL] [--out DIR] [--no-repair]`:
 * compare the archive's DAY with Binance's daily dumps minute by minute, repair minutes we lack
 * from the dump, list differing minutes with both values, classify every missing minute (REST,
 * BINANCE_REST_URL, is asked about minutes neither we nor the dump have; `--no-rest` skips it).
 * Writes DIR/audit-DAY.json (default ./reports; the quality report reads it) and prints the
 * headline and the differences. Exit codes: 0 done, 1 store failure, 2 bad arguments,
 * 3 some dump files were unusable (named on stderr).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditFileName } from '../../core/audit/files';
import { auditHeadline, runAudit, type AuditResult } from '../../core/audit/run';
import { lifePeriods } from '../../core/audit/gaps';
import { parseStoreUrl, readBinanceConfig, readStoreConfig, type Env, type StoreConfig } from '../../core/config';
import { BinanceRestClient } from '../../ingest-task/rest/rest-client';
import { restHistory } from './history-rest';
import { DEFAULT_DUMPS_URL } from '../../core/dumps/paths';
import { DumpSite } from '../../core/dumps/site';
import { DAY_MS } from '../../core/interval';
import { marketKey, parseMarketKey, parseMarketTypes, type MarketRef, type MarketType } from '../../core/market';
import { openStore } from '../../core/store/index';
import type { KlineStore } from '../../core/store/port';
import type { CliIo } from '../cli';
import { parseInstant } from './report';

const USAGE = 'usage: npm run cli -- audit --date YYYY-MM-DD [--market-type spot[,usdm,coinm]] [--symbols A,B] [--store URL] [--out DIR] [--no-repair] [--no-rest] [--dumps-url URL]\n';

export interface AuditDeps {
  env?: Env;
  openStore?: (config: StoreConfig) => Promise<KlineStore>;
  fetchImpl?: typeof fetch;
}

/** Markets to audit on a day: those with klines that day and those listed during it. */
async function marketsOfDay(store: KlineStore, types: readonly MarketType[], day: number): Promise<MarketRef[]> {
  const keys = new Set<string>();
  if (types.includes('spot')) for (const symbol of (await store.countByMarket('spot', '1m', { from: day, to: day + DAY_MS })).keys()) keys.add(marketKey({ marketType: 'spot', symbol }));
  const bySymbol = new Map<string, { marketType: MarketType; symbol: string; events: Awaited<ReturnType<KlineStore['marketHistory']>> }>();
  for (const e of await store.marketHistory()) {
    const marketType = (e as { marketType?: MarketType }).marketType ?? 'spot';
    if (!types.includes(marketType)) continue;
    const key = marketKey({ marketType, symbol: e.symbol });
    const entry = bySymbol.get(key) ?? { marketType, symbol: e.symbol, events: [] };
    entry.events.push(e);
    bySymbol.set(key, entry);
  }
  for (const [key, m] of bySymbol) if (lifePeriods(m.events).some((p) => p.from < day + DAY_MS && p.to > day)) keys.add(key);
  return [...keys].sort().map(parseMarketKey);
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
  let storeConfig: StoreConfig;
  let outDir: string;
  let repair: boolean;
  let restUrl: string | undefined;
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
    storeConfig = values.store !== undefined ? parseStoreUrl(values.store, '--store') : readStoreConfig(env);
    outDir = values.out ?? 'reports';
    repair = values['no-repair'] !== true;
    restUrl = values['no-rest'] === true ? undefined : readBinanceConfig(env).restUrl;
    site = new DumpSite({ baseUrl: values['dumps-url'] ?? env.BINANCE_DUMPS_URL ?? DEFAULT_DUMPS_URL, tmpDir: join(outDir, '.audit-downloads'), fetchImpl: deps.fetchImpl });
  } catch (err) {
    io.stderr.write(`audit: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  let store: KlineStore | undefined;
  const client = restUrl === undefined ? undefined : new BinanceRestClient({ baseUrl: restUrl, fetchImpl: deps.fetchImpl });
  const rest = client === undefined ? undefined : restHistory(() => client);
  try {
    store = await (deps.openStore ?? openStore)(storeConfig);
    const markets = symbols ? types.flatMap((marketType) => (symbols as string[]).map((symbol) => ({ marketType, symbol }))) : await marketsOfDay(store, types, day);
    const result = await runAudit({ store, site, markets, day, repair, rest });
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
    client?.close();
    await store?.close().catch(() => undefined);
  }
}
