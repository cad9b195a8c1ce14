/**
 * `resample_log` and `resample_state` in the MongoDB store (see `resample-log.ts`).
 * - resample_log: `{_id: ObjectId, runs: [{t: marketType, s: symbol, f: Date, u: Date}]}`, one
 *   document per `upsert('1m')` batch, inserted after the bulk write; ObjectId order is the order
 *   entries are consumed in (the `_id` index serves it).
 * - resample_state: `{_id: "spot:5m", marketType, interval, watermark: Date}`.
 */
import { ObjectId, type Db } from 'mongodb';
import { MARKET_TYPES, type MarketType } from '../market';
import { assertRuns, assertWatermarks, type MinuteRun, type ResampleLogEntry, type ResampleWatermark } from './resample-log';

export const RESAMPLE_LOG_COLLECTION = 'resample_log';
export const RESAMPLE_STATE_COLLECTION = 'resample_state';

interface StoredRun {
  t: MarketType;
  s: string;
  f: Date;
  u: Date;
}

export interface ResampleLogDocument {
  _id: ObjectId;
  runs: StoredRun[];
}

export interface ResampleStateDocument {
  _id: string;
  marketType: MarketType;
  interval: string;
  watermark: Date;
}

export function logDocument(runs: readonly MinuteRun[]): Omit<ResampleLogDocument, '_id'> {
  return { runs: runs.map((r) => ({ t: r.marketType, s: r.symbol, f: new Date(r.from), u: new Date(r.to) })) };
}

export function entryFromDocument(doc: ResampleLogDocument): ResampleLogEntry {
  return { id: doc._id.toHexString(), runs: doc.runs.map((r) => ({ marketType: r.t, symbol: r.s, from: r.f.getTime(), to: r.u.getTime() })) };
}

export class MongoResampleLog {
  constructor(
    private readonly db: Db,
    private readonly maxTimeMS: number,
  ) {}

  private log() {
    return this.db.collection<ResampleLogDocument>(RESAMPLE_LOG_COLLECTION);
  }

  private stateCollection() {
    return this.db.collection<ResampleStateDocument>(RESAMPLE_STATE_COLLECTION);
  }

  /** One insert per batch; a failure rejects, so the caller's upsert fails and the batch is retried. */
  async appendRuns(runs: readonly MinuteRun[]): Promise<void> {
    if (runs.length === 0) return;
    await this.log().insertOne(logDocument(runs) as ResampleLogDocument, { maxTimeMS: this.maxTimeMS } as object);
  }

  async read(limit: number): Promise<ResampleLogEntry[]> {
    if (!Number.isInteger(limit) || limit <= 0) throw new RangeError(`resample log: limit must be a positive integer, got ${limit}`);
    const docs = await this.log().find({}).sort({ _id: 1 }).hint({ _id: 1 }).limit(limit).maxTimeMS(this.maxTimeMS).toArray();
    return docs.map(entryFromDocument);
  }

  /** Carried runs are inserted before the consumed entries are deleted: a crash between re-does work. */
  async settle(consumed: readonly string[], carried: readonly MinuteRun[]): Promise<void> {
    assertRuns(carried);
    await this.appendRuns(carried);
    if (consumed.length > 0) {
      await this.log().deleteMany({ _id: { $in: consumed.map((id) => new ObjectId(id)) } }, { maxTimeMS: this.maxTimeMS } as object);
    }
  }

  async state(): Promise<ResampleWatermark[]> {
    const docs = await this.stateCollection().find({}).hint({ _id: 1 }).maxTimeMS(this.maxTimeMS).toArray();
    return docs
      .filter((d) => (MARKET_TYPES as readonly string[]).includes(d.marketType) && d.watermark instanceof Date)
      .map((d) => ({ marketType: d.marketType, interval: d.interval, watermark: d.watermark.getTime() }));
  }

  async writeWatermarks(watermarks: readonly ResampleWatermark[]): Promise<void> {
    assertWatermarks(watermarks);
    if (watermarks.length === 0) return;
    await this.stateCollection().bulkWrite(
      watermarks.map((w) => ({
        replaceOne: {
          filter: { _id: `${w.marketType}:${w.interval}` },
          replacement: { marketType: w.marketType, interval: w.interval, watermark: new Date(w.watermark) },
          upsert: true,
        },
      })),
      { ordered: true, maxTimeMS: this.maxTimeMS } as object,
    );
  }
}
