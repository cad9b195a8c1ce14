/**
 * The README's pymongo → pandas recipe, run verbatim by Python against documents as the adapter
 * writes them: BSON serialized by the Node driver from `klineDocument`, decoded by pymongo's own
 * `bson` package. Only `MongoClient` is a stand-in (no server runs here): it answers `find` from
 * that BSON and records what the recipe asked for. Proves the recipe's decimals come out exact.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BSON, ObjectId } from 'mongodb';
import type { Kline } from '../../../core/kline';
import { klineDocument } from '../../../core/store/mongo-documents';
import { makeKline } from './fixtures';

const README = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
const DECIMALS = ['open', 'high', 'low', 'close', 'volume', 'quoteVolume', 'takerBuyBaseVolume', 'takerBuyQuoteVolume'] as const;

/** The python block of the README section "Reading the data". */
function readmePandasRecipe(): string {
  const section = README.slice(README.indexOf('### Reading the data'));
  const block = /```python\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: no python block under "Reading the data"');
  return block[1];
}

// A stand-in pymongo: MongoClient(URI)[db].<collection>.find(...) answers the documents in RECIPE_BSON.
const FAKE_PYMONGO = `
import json, os, bson
CALLS = []
class _Collection:
    def __init__(self, name): self.name = name
    def find(self, filter, projection=None, sort=None, hint=None, **kw):
        CALLS.append({"collection": self.name, "symbol": filter.get("symbol"), "openTime": sorted(filter.get("openTime", {}).keys()),
                      "projection": projection, "sort": sort, "hint": hint})
        with open(os.environ["RECIPE_BSON"], "rb") as f:
            docs = [d for d in bson.decode_all(f.read()) if d["symbol"] == filter["symbol"]]
        docs.sort(key=lambda d: d["openTime"])
        return [{k: v for k, v in d.items() if not (projection and projection.get(k) == 0)} for d in docs]
class _Database:
    def __getattr__(self, name): return _Collection(name)
    def __getitem__(self, name): return _Collection(name)
class MongoClient:
    def __init__(self, uri, **kw): pass
    def __getitem__(self, name): return _Database()
`;

const RUN_RECIPE = `
import json, sys
ns = {"URI": "mongodb://stand-in"}
exec(open(sys.argv[1]).read(), ns)
df = ns["df"]
import pymongo
cols = ${JSON.stringify(DECIMALS)}
print(json.dumps({
    "calls": pymongo.CALLS,
    "columns": sorted(df.columns),
    "types": sorted({type(v).__name__ for c in cols for v in df[c]}),
    "rows": [dict({c: format(r[c], "f") for c in cols}, openTime=r["openTime"].isoformat(), complete=bool(r["complete"])) for _, r in df.iterrows()],
}))
`;

const python = spawnSync('python3', ['-c', 'import pandas, bson.decimal128'], { encoding: 'utf8' });
const havePython = python.status === 0;
if (!havePython) {
  // eslint-disable-next-line no-console
  console.warn(`README pymongo → pandas recipe SKIPPED: ${python.error?.message ?? python.stderr.trim().split('\n').pop()} (pip install pandas pymongo)`);
}

describe('README: pymongo → pandas with exact decimals', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-recipe-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  (havePython ? it : it.skip)('gives every decimal of a 5m bar back exactly as stored, as decimal.Decimal, and flags partial bars', () => {
    const t = Date.UTC(2026, 0, 5);
    // Values a double cannot hold: 19 significant digits, the smallest step, trailing zeros.
    const bars: Kline[] = [0, 1, 2].map((i) => makeKline('BTCUSDT', t + i * 300_000, '5m'));
    bars[0] = { ...bars[0], high: '90000000000.12345678', low: '0.00000001', quoteVolume: '1234567890123.45678901' };
    bars[2] = { ...bars[2], sourceCount: 4 };
    const other = makeKline('ETHUSDT', t, '5m');
    const bytes = Buffer.concat([...bars, other].map((k) => BSON.serialize({ _id: new ObjectId(), ...klineDocument(k, '5m') })));
    fs.writeFileSync(path.join(dir, 'klines_5m.bson'), bytes);
    fs.writeFileSync(path.join(dir, 'pymongo.py'), FAKE_PYMONGO);
    fs.writeFileSync(path.join(dir, 'recipe.py'), readmePandasRecipe());

    const r = spawnSync('python3', ['-c', RUN_RECIPE, path.join(dir, 'recipe.py')], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: dir, RECIPE_BSON: path.join(dir, 'klines_5m.bson') },
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { calls: unknown[]; columns: string[]; types: string[]; rows: Record<string, unknown>[] };

    expect(out.calls).toStrictEqual([
      { collection: 'klines_5m', symbol: 'BTCUSDT', openTime: ['$gte'], projection: { _id: 0 }, sort: [['openTime', 1]], hint: 'symbol_1_openTime_1' },
    ]);
    expect(out.types).toStrictEqual(['Decimal']);
    expect(out.columns).not.toContain('_id');
    expect(out.rows).toStrictEqual(
      bars.map((k) => ({
        ...Object.fromEntries(DECIMALS.map((f) => [f, k[f]])),
        openTime: new Date(k.openTime).toISOString().replace(/\.000Z$/, ''),
        complete: k.sourceCount === 5,
      })),
    );
  });
});
