/**
 * `wiredtiger-bytes`: bytes per stored 1m kline including its indexes, measured on real WiredTiger
 * (Debian's `wiredtiger` package: the `wt` tool and its compressor extensions) with the tables
 * configured as MongoDB configures a collection and its indexes:
 * - collection: `key_format=q` (RecordId), `value_format=u` (the BSON document, serialized by the
 *   driver's own BSON library: ObjectId `_id`, Date times, Decimal128 prices and volumes, Int32
 *   trades), 32 KB leaf pages, block compression (snappy is MongoDB's default, zstd what the
 *   schema step asks for, zlib the other option);
 * - `_id_` and the unique `symbol_1_openTime_1` index: `key_format=u`, prefix-compressed keys,
 *   no block compression (MongoDB's index defaults), 16 KB pages; keys in MongoDB's KeyString
 *   layout (type byte, value, end byte), the RecordId in the value as unique indexes keep it.
 * Klines come from the simulator (sim/kline-generator.ts): prices on each market's tick, volumes on
 * its step, 8 fraction digits as Binance prints them (so Decimal128 keeps the trailing zeros), trade
 * counts and zero-trade minutes as a day's trading spreads them: close to real data's entropy.
 * Rows are loaded in arrival order (a minute of every market, then the next), so index pages
 * split as they do under a live writer. File sizes after the load's checkpoint are what
 * MongoDB reports as storageSize and totalIndexSize.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, Decimal128, Int32, ObjectId } from 'mongodb';
import { barToKline, KlineGenerator } from '../sim/kline-generator';
import { generateMarkets, MINUTE } from '../sim/markets';
import { resolveOptions } from '../sim/options';
import { num, type Table } from './table';

const LIB_DIR = '/usr/lib/x86_64-linux-gnu';
const COMPRESSORS = ['snappy', 'zstd', 'zlib'] as const;
type Compressor = (typeof COMPRESSORS)[number];

const COLLECTION_CONFIG = 'type=file,memory_page_max=10m,split_pct=90,leaf_value_max=64MB,checksum=on,key_format=q,value_format=u,leaf_page_max=32KB,internal_page_max=4KB';
const INDEX_CONFIG = 'type=file,internal_page_max=16k,leaf_page_max=16k,checksum=on,prefix_compression=true,block_compressor=,key_format=u,value_format=u';

export interface WiredTigerRow {
  compressor: Compressor;
  /** Why it was not measured (extension missing), else undefined. */
  missing?: string;
  collectionBytes: number;
  idIndexBytes: number;
  keyIndexBytes: number;
}

export interface WiredTigerFigures {
  available: boolean;
  reason?: string;
  version?: string;
  klines: number;
  markets: number;
  bsonBytesPerKline: number;
  /** Uncompressed index bytes per kline as M0/Flex count them: keys + values, before prefix compression. */
  rawIndexBytesPerKline: number;
  rows: WiredTigerRow[];
}

const PRINTED = Array.from({ length: 256 }, (_, b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(16).padStart(2, '0')}`));

/** `wt load` print format: printable ASCII as is, everything else (and backslash) as \hh. */
function printable(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = PRINTED[bytes[i]];
  return parts.join('');
}

/** Appends lines to a file through a small buffer, so a large dump never sits in memory. */
class LineWriter {
  private readonly fd: number;
  private pending: string[] = [];
  private size = 0;
  constructor(path: string, header: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, header);
  }
  line(text: string): void {
    this.pending.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, this.pending.join('\n') + '\n');
    this.pending = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** MongoDB KeyString of a RecordId: a length-tagged big-endian integer (1 + bytes needed). */
function recordIdKeyString(rid: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = rid; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from([bytes.length, ...bytes]);
}

/** KeyString of {symbol, openTime}: string type 0x3c, UTF-8, 0x00; date type 0x78, 8 bytes; end 0x04. */
function symbolTimeKey(symbol: string, openTime: number): Uint8Array {
  const s = Buffer.from(symbol, 'utf8');
  const key = Buffer.alloc(1 + s.length + 1 + 1 + 8 + 1);
  let at = 0;
  key[at++] = 0x3c;
  s.copy(key, at);
  at += s.length;
  key[at++] = 0x00;
  key[at++] = 0x78;
  key.writeBigUInt64BE(BigInt(openTime) ^ (1n << 63n), at);
  at += 8;
  key[at] = 0x04;
  return key;
}

/** KeyString of an ObjectId: type 0x64, 12 bytes, end 0x04. */
function objectIdKey(id: ObjectId): Uint8Array {
  return Uint8Array.from([0x64, ...id.id, 0x04]);
}

function wtVersion(): string | undefined {
  const r = spawnSync('wt', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** zstd is not in Debian's package: bench/wiredtiger-zstd.sh builds it into bench/.build (or WIREDTIGER_ZSTD_SO). */
const BUILT_ZSTD = join(__dirname, '.build', 'libwiredtiger_zstd.so');

export function extensionPath(c: Compressor, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [join(LIB_DIR, `libwiredtiger_${c}.so`)];
  if (c === 'zstd') candidates.push(env.WIREDTIGER_ZSTD_SO ?? BUILT_ZSTD);
  return candidates.find((path) => existsSync(path));
}

function missingReason(c: Compressor, version: string): string {
  return c === 'zstd' ? 'zstd: extension not built (see bench/wiredtiger-zstd.sh)' : `libwiredtiger_${c}.so is not in Debian's wiredtiger package (${version})`;
}

function dirBytes(dir: string, file: string): number {
  return statSync(join(dir, file)).size;
}

export async function benchWiredTigerBytes(options: { klines: number; markets: number }): Promise<WiredTigerFigures> {
  const version = wtVersion();
  const minutes = Math.ceil(options.klines / options.markets);
  const base: WiredTigerFigures = { available: false, klines: minutes * options.markets, markets: options.markets, bsonBytesPerKline: 0, rawIndexBytesPerKline: 0, rows: [] };
  if (!version) return { ...base, reason: 'the `wt` tool is not installed (apt-get install -y wiredtiger)' };

  // Documents as the MongoDB adapter writes them, in arrival order; one dump per table and compressor.
  const usable = COMPRESSORS.filter((c) => extensionPath(c) !== undefined);
  const rows: WiredTigerRow[] = COMPRESSORS.filter((c) => !usable.includes(c)).map((compressor) => ({
    compressor,
    missing: missingReason(compressor, version),
    collectionBytes: 0,
    idIndexBytes: 0,
    keyIndexBytes: 0,
  }));
  const dumpHeader = (name: string, config: string) => `WiredTiger Dump (WiredTiger Version 3.2.1)\nFormat=print\nHeader\ntable:${name}\n${config}\nData\n`;
  const work = mkdtempSync(join(tmpdir(), 'bench-wt-'));
  let bson = 0;
  let rawIndex = 0;
  let rid = 0;
  try {
    const collections = usable.map((c) => new LineWriter(join(work, `collection-${c}.dump`), dumpHeader('collection', `${COLLECTION_CONFIG},block_compressor=${c}`)));
    const idIndex = new LineWriter(join(work, 'id_index.dump'), dumpHeader('id_index', INDEX_CONFIG));
    const keyIndex = new LineWriter(join(work, 'key_index.dump'), dumpHeader('key_index', INDEX_CONFIG));
    const markets = generateMarkets(resolveOptions({ markets: options.markets, seed: 1 }));
    const generator = new KlineGenerator();
    // A week after the simulated world's listings, so every market has traded for a while.
    const startMinute = Math.floor(Math.max(...markets.map((m) => m.history[0].at)) / MINUTE) + 7 * 1440;
    for (let i = 0; i < minutes; i++) {
      for (const market of markets) {
        const k = barToKline(market, '1m', generator.closedBar(market, startMinute + i));
        const _id = new ObjectId();
        const doc = BSON.serialize({
          _id,
          symbol: k.symbol,
          openTime: new Date(k.openTime),
          closeTime: new Date(k.closeTime),
          open: Decimal128.fromString(k.open),
          high: Decimal128.fromString(k.high),
          low: Decimal128.fromString(k.low),
          close: Decimal128.fromString(k.close),
          volume: Decimal128.fromString(k.volume),
          quoteVolume: Decimal128.fromString(k.quoteVolume),
          trades: new Int32(k.trades),
          takerBuyBaseVolume: Decimal128.fromString(k.takerBuyBaseVolume),
          takerBuyQuoteVolume: Decimal128.fromString(k.takerBuyQuoteVolume),
        });
        rid++;
        bson += doc.length;
        const docText = `${rid}\n${printable(doc)}`;
        for (const w of collections) w.line(docText);
        const ridKey = recordIdKeyString(rid);
        const idKey = objectIdKey(_id);
        const natural = symbolTimeKey(k.symbol, k.openTime);
        rawIndex += idKey.length + ridKey.length + natural.length + ridKey.length;
        idIndex.line(`${printable(idKey)}\n${printable(ridKey)}`);
        keyIndex.line(`${printable(natural)}\n${printable(ridKey)}`);
      }
    }
    for (const w of [...collections, idIndex, keyIndex]) w.close();
    for (const compressor of usable) {
      const home = join(work, `db-${compressor}`);
      execFileSync('mkdir', ['-p', home]);
      for (const dump of [`collection-${compressor}.dump`, 'id_index.dump', 'key_index.dump']) {
        execFileSync('wt', ['-C', `extensions=[${extensionPath(compressor)!}]`, '-h', home, 'load', '-f', join(work, dump)], { stdio: 'pipe' });
      }
      const listed = readdirSync(home);
      if (!listed.includes('collection.wt')) throw new Error(`wt load left no collection.wt in ${home}: ${listed.join(', ')}`);
      rows.push({ compressor, collectionBytes: dirBytes(home, 'collection.wt'), idIndexBytes: dirBytes(home, 'id_index.wt'), keyIndexBytes: dirBytes(home, 'key_index.wt') });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  rows.sort((a, b) => COMPRESSORS.indexOf(a.compressor) - COMPRESSORS.indexOf(b.compressor));
  const n = rid;
  return { ...base, available: true, version, klines: n, bsonBytesPerKline: bson / n, rawIndexBytesPerKline: rawIndex / n, rows };
}

export function wiredTigerTable(f: WiredTigerFigures): Table {
  if (!f.available) {
    return { title: 'wiredtiger-bytes: bytes per kline on WiredTiger', headers: ['measure', 'measured'], rows: [['not measured', f.reason ?? 'unknown']] };
  }
  const per = (b: number) => (b / f.klines).toFixed(1);
  return {
    title: `wiredtiger-bytes: bytes per 1m kline with indexes on real WiredTiger (${f.version}; ${num(f.klines)} klines of ${num(f.markets)} markets)`,
    headers: ['block compressor', 'collection B/kline', '_id index', '{symbol, openTime} index', 'total B/kline'],
    rows: f.rows.map((r) =>
      r.missing
        ? [r.compressor, 'not measured', '', '', r.missing]
        : [r.compressor, per(r.collectionBytes), per(r.idIndexBytes), per(r.keyIndexBytes), per(r.collectionBytes + r.idIndexBytes + r.keyIndexBytes)],
    ),
    notes: [
      `Uncompressed, as M0 and Flex count: BSON ${f.bsonBytesPerKline.toFixed(1)} B per document + index keys and RecordIds ${f.rawIndexBytesPerKline.toFixed(1)} B = ${(f.bsonBytesPerKline + f.rawIndexBytesPerKline).toFixed(1)} B per kline.`,
      f.rows.some((r) => r.compressor === 'zstd' && !r.missing)
        ? 'zstd at level 6, the extension\'s default and MongoDB\'s (zstdDefaultCompressionLevel); extension built by bench/wiredtiger-zstd.sh from WiredTiger 3.2.1.'
        : 'zstd (what the schema step asks for) needs the extension Debian does not ship: bench/wiredtiger-zstd.sh builds it.',
      'Collections as MongoDB creates them (key_format=q, 32 KB leaves, block compression); indexes with prefix compression and no block compression (MongoDB defaults).',
    ],
  };
}
