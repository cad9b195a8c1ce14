/**
 * How many days of all-market history fit in each MongoDB Atlas tier, from the measured bytes
 * per stored 1m kline. Pure arithmetic; the assumptions travel with the figures.
 */

export interface AtlasTier {
  name: string;
  /** Storage included in the tier, bytes. */
  bytes: number;
}

const MIB = 2 ** 20;
const GIB = 2 ** 30;

export const ATLAS_TIERS: readonly AtlasTier[] = [
  { name: 'M0 (free)', bytes: 512 * MIB },
  { name: 'Flex', bytes: 5 * GIB },
  { name: 'M10', bytes: 10 * GIB },
  { name: 'M20', bytes: 20 * GIB },
  { name: 'M30', bytes: 40 * GIB },
];

/** 5m + 15m + 30m + 1h bars per 1m kline. */
export const RESAMPLED_PER_MINUTE = 1 / 5 + 1 / 15 + 1 / 30 + 1 / 60;
/** BSON of the `sourceCount` int32 field resampled documents carry: type byte + "sourceCount\0" + 4 bytes. */
export const SOURCE_COUNT_BSON_BYTES = 1 + 'sourceCount'.length + 1 + 4;
/** Per index entry beyond the key itself (record id and page overhead), an assumption. */
export const INDEX_ENTRY_OVERHEAD_BYTES = 8;

export interface SizingInput {
  markets: number;
  /** BSON bytes of one 1m document as written (`_id` included). */
  bsonBytes: number;
  /** The same, block-compressed (zstd/zlib estimate). */
  compressedBytes: number;
  /** Average `_id` key length in bytes (the `_id` index holds one key per document). */
  idKeyBytes: number;
}

export interface SizingRow {
  tier: string;
  bytes: number;
  /** Days of 1m klines only, documents uncompressed. */
  daysOneMinuteBson: number;
  /** Days of 1m + 5m/15m/30m/1h, documents uncompressed. */
  daysAllBson: number;
  /** Days of 1m + 5m/15m/30m/1h, documents block-compressed. */
  daysAllCompressed: number;
}

export interface Sizing {
  klinesPerDay: number;
  indexBytesPerDocument: number;
  /** Bytes per day (documents + `_id` index), per assumption. */
  bytesPerDay: { oneMinuteBson: number; allBson: number; allCompressed: number };
  rows: SizingRow[];
}

export function atlasSizing(input: SizingInput, tiers: readonly AtlasTier[] = ATLAS_TIERS): Sizing {
  const klinesPerDay = input.markets * 1440;
  const index = input.idKeyBytes + INDEX_ENTRY_OVERHEAD_BYTES;
  const compressionRatio = input.compressedBytes / input.bsonBytes;
  const resampledBson = input.bsonBytes + SOURCE_COUNT_BSON_BYTES;
  const oneMinuteBson = klinesPerDay * (input.bsonBytes + index);
  const allBson = oneMinuteBson + klinesPerDay * RESAMPLED_PER_MINUTE * (resampledBson + index);
  const allCompressed = klinesPerDay * (input.compressedBytes + index) + klinesPerDay * RESAMPLED_PER_MINUTE * (resampledBson * compressionRatio + index);
  return {
    klinesPerDay,
    indexBytesPerDocument: index,
    bytesPerDay: { oneMinuteBson, allBson, allCompressed },
    rows: tiers.map((t) => ({
      tier: t.name,
      bytes: t.bytes,
      daysOneMinuteBson: t.bytes / oneMinuteBson,
      daysAllBson: t.bytes / allBson,
      daysAllCompressed: t.bytes / allCompressed,
    })),
  };
}

/** "512 MiB", "5 GiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= GIB) return `${+(bytes / GIB).toFixed(1)} GiB`;
  if (bytes >= MIB) return `${+(bytes / MIB).toFixed(1)} MiB`;
  return `${Math.round(bytes)} B`;
}

/** Days with a sensible precision: "0.6", "12", "3.4 y" past a year. */
export function formatDays(days: number): string {
  if (days >= 365) return `${Math.round(days).toLocaleString('en-US')} (${(days / 365).toFixed(1)} y)`;
  if (days >= 10) return String(Math.round(days));
  return days.toFixed(1);
}
