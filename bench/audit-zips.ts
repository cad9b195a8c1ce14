/**
 * Bench row `audit-zips`: the daily audit (core/audit/daily.ts, what lambda/auditor.ts runs) of
 * one day of N spot markets against the simulator's data.binance.vision, into SQLite holding
 * that day less a few minutes per market (repaired from the dump). Measures per zip: compressed
 * bytes, wall time and CPU-seconds of this process, and extrapolates to the ≈ 2,600 zips of all
 * three market types. Two passes: over HTTP from the simulator (its zip building shares this
 * process's CPU, an upper bound), then from a file:// copy of the same zips (the audit's own CPU).
 *
 *   npx tsx bench/audit-zips.ts [markets]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runDailyAudit } from '../core/audit/daily';
import { dayString, dumpUrlPath, type DumpFile } from '../core/dumps/paths';
import { DumpSite } from '../core/dumps/site';
import { DAY_MS } from '../core/interval';
import { openStore } from '../core/store/index';
import { startSimulator } from '../sim';
import { num, type Table } from './table';

/** Daily 1m zips a day for every market of the three types (≈ 2,000 spot incl. recently delisted, ≈ 550 USDⓈ-M, ≈ 60 COIN-M). */
export const ZIPS_PER_DAY_ALL_MARKETS = 2_600;

export interface AuditZipsResult {
  markets: number;
  source: string;
  zips: number;
  bytes: number;
  wallSeconds: number;
  cpuSeconds: number;
  repaired: number;
  equal: number;
  load: string;
}

async function measure(label: string, markets: number, run: () => Promise<{ zips: number; bytes: number; repaired: number; equal: number }>): Promise<AuditZipsResult> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await run();
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { markets, source: label, ...r, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, load: loadavg().map((x) => x.toFixed(1)).join(' ') };
}

/** A DumpSite that counts the compressed bytes it fetched. */
function countingSite(baseUrl: string, tmpDir: string): { site: DumpSite; totals: { zips: number; bytes: number } } {
  const site = new DumpSite({ baseUrl, tmpDir, concurrency: 8 });
  const totals = { zips: 0, bytes: 0 };
  const get = site.get.bind(site);
  site.get = async (file: DumpFile) => {
    const got = await get(file);
    totals.zips++;
    totals.bytes += got.bytes;
    return got;
  };
  return { site, totals };
}

export async function benchAuditZips(markets = 100): Promise<AuditZipsResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  const sim = await startSimulator({ markets, seed: 5, speed: 1, historyMs: 3 * DAY_MS, unicodeSymbols: 0 });
  try {
    const day = Math.floor(sim.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;
    const symbols = sim.symbols();
    const out: AuditZipsResult[] = [];
    for (const [i, source] of (['simulator', 'mirror'] as const).entries()) {
      const store = await openStore({ kind: 'sqlite', path: join(dir, `k${i}.db`) });
      await store.applySchema();
      for (const s of symbols) await store.upsert('1m', sim.truth(s, day, day + DAY_MS - 1).filter((_, m) => m % 500 !== 7));
      await store.recordMarketStatus(sim.marketHistory());
      let mirrorBytes = 0;
      if (source === 'mirror') {
        // The same files, laid out as data.binance.vision, read through file://.
        for (const symbol of symbols) {
          const file: DumpFile = { marketType: 'spot', symbol, period: 'daily', date: dayString(day) };
          for (const suffix of ['', '.CHECKSUM']) {
            const path = dumpUrlPath(file) + suffix;
            const body = Buffer.from(await (await fetch(`${sim.restUrl}${path}`)).arrayBuffer());
            mkdirSync(dirname(join(dir, 'mirror', path)), { recursive: true });
            writeFileSync(join(dir, 'mirror', path), body);
            if (suffix === '') mirrorBytes += body.length;
          }
        }
      }
      const baseUrl = source === 'simulator' ? sim.restUrl : pathToFileURL(join(dir, 'mirror')).href;
      const { site, totals } = countingSite(baseUrl, join(dir, `tmp${i}`));
      out.push(
        await measure(source, markets, async () => {
          const result = await runDailyAudit({ store, site, marketTypes: ['spot'], day, concurrency: 8 });
          // A file:// site transfers nothing: count the mirror's zip sizes instead.
          return { ...totals, bytes: source === 'mirror' ? mirrorBytes : totals.bytes, repaired: result.totals.repaired, equal: result.totals.equal };
        }),
      );
      await store.close();
    }
    return out;
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function auditZipsTable(rows: AuditZipsResult[]): Table {
  const per = (x: number, n: number) => (n === 0 ? '–' : x / n);
  return {
    title: `Daily audit per zip (one day, ${rows[0]?.markets ?? 0} spot markets, 8 at once; extrapolated to ${num(ZIPS_PER_DAY_ALL_MARKETS)} zips of all market types)`,
    headers: ['files from', 'zips', 'KiB/zip', 'ms wall/zip', 'ms CPU/zip', `all markets: MiB`, 'all markets: CPU s', 'all markets: wall s (at this rate)', 'repaired', 'load 1/5/15'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    rows: rows.map((r) => [
      r.source,
      num(r.zips),
      (per(r.bytes, r.zips) as number / 1024).toFixed(1),
      ((per(r.wallSeconds, r.zips) as number) * 1000).toFixed(1),
      ((per(r.cpuSeconds, r.zips) as number) * 1000).toFixed(1),
      ((r.bytes / r.zips) * ZIPS_PER_DAY_ALL_MARKETS / 2 ** 20).toFixed(0),
      ((r.cpuSeconds / r.zips) * ZIPS_PER_DAY_ALL_MARKETS).toFixed(0),
      ((r.wallSeconds / r.zips) * ZIPS_PER_DAY_ALL_MARKETS).toFixed(0),
      num(r.repaired),
      r.load,
    ]),
  };
}

if (require.main === module) {
  void (async () => {
    const { formatText } = await import('./table');
    console.log(formatText(auditZipsTable(await benchAuditZips(Number(process.argv[2] ?? 100)))));
  })();
}
