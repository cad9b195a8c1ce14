/**
 * Exporter Lambda (EventBridge schedule, daily): the previous UTC day's klines (and any of the two
 * days before it still missing) as Parquet in the stack's bucket, one object per market type, interval and day under the hive keys the Glue
 * table projects (see core/export/to-bucket.ts). Objects that exist are skipped, so a retry or a
 * re-run finishes what is missing; `"overwrite": true` replaces them.
 *
 * On demand: `{"date": "2026-12-01"}` or `{"from": "2026-11-01", "to": "2026-11-30"}`. A run that
 * nears its timeout starts no new file and answers `complete: false`: invoke it again.
 *
 * Env: the store's (see lambda/shared/store.ts) and core/export/bucket-request.ts's.
 */
import { tmpdir } from 'node:os';
import type { Context } from 'aws-lambda';
import { parseExportRequest, readBucketExportConfig } from '../core/export/bucket-request';
import { storeSource } from '../core/export/store-source';
import { exportToBucket, type BucketExportResult } from '../core/export/to-bucket';
import { StoreUnavailableError } from '../core/errors';
import { logger } from './shared/powertools';
import { s3Bucket } from './shared/s3-bucket';
import { discardStore, getStore } from './shared/store';

export interface ExporterResponse extends Omit<BucketExportResult, 'skipped' | 'empty'> {
  mode: 'scheduled' | 'on-demand';
  bucket: string;
  days: string[];
  skipped: number;
  empty: number;
}

export const handler = async (event: unknown, context?: Context): Promise<ExporterResponse> => {
  if (context) logger.addContext(context);
  const config = readBucketExportConfig(process.env);
  const request = parseExportRequest(event, Date.now(), config.catchUpDays);
  const store = await getStore();
  try {
    const result = await exportToBucket(storeSource(store), s3Bucket(config.bucket), {
      days: request.days,
      marketTypes: config.marketTypes,
      intervals: config.intervals,
      prefix: config.prefix,
      workDir: tmpdir(),
      overwrite: request.overwrite,
      marketsPerBatch: config.marketsPerBatch,
      shouldStop: context ? () => context.getRemainingTimeInMillis() < config.stopMarginMs : undefined,
    });
    const response: ExporterResponse = { ...result, mode: request.mode, bucket: config.bucket, days: request.days, skipped: result.skipped.length, empty: result.empty.length };
    if (result.complete) logger.info('export done', { ...response });
    else logger.warn('export stopped before its timeout: invoke again to finish', { ...response });
    return response;
  } catch (err) {
    if (err instanceof StoreUnavailableError) await discardStore();
    throw err;
  }
};
