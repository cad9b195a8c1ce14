/**
 * Resampler Lambda (EventBridge schedule, every 5 minutes, a minute or two past the boundary):
 * one incremental run (see `core/resample-job.ts`): late minutes from the change log, then the
 * windows that closed since each level's watermark, bounded per run so an outage drains over runs.
 *
 * On demand, `{"from": ISO, "to": ISO}` rebuilds every closed window in that range (≤ 24 h per
 * invocation); add `"allowFewer": true` to replace bars by bars built from fewer 1m klines.
 *
 * Env: the store's (see lambda/shared/store.ts), RESAMPLE_GRACE_SECONDS (30),
 * RESAMPLE_INITIAL_LOOKBACK_MINUTES (120), RESAMPLE_MAX_SWEEP_HOURS (6),
 * RESAMPLE_MARKETS_PER_CHUNK (200), RESAMPLE_MAX_LATE_WINDOWS (50000).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRIC } from '../core/metric-names';
import { parseRangeRequest } from '../core/range-request';
import { readResampleOptions, rebuildRange, runResampleCycle, HOUR_MS, type ResampleRunResult } from '../core/resample-job';
import { flushMetrics, logger, metrics } from './shared/powertools';
import { StoreUnavailableError } from '../core/errors';
import { discardStore, getStore } from './shared/store';

export interface ResamplerResponse extends Omit<ResampleRunResult, 'watermarks'> {
  mode: 'scheduled' | 'rebuild';
  /** The on-demand range, widened to whole windows and clipped to what has closed. */
  range?: { from: string; to: string };
  watermarks: { marketType: string; interval: string; watermark: string }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function allowFewerOf(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { allowFewer?: unknown }).allowFewer === true;
}

export const handler = async (event: unknown, context?: Context): Promise<ResamplerResponse> => {
  if (context) logger.addContext(context);
  const options = readResampleOptions();
  // rebuildRange enforces the span limit after widening the range to whole hours.
  const requested = parseRangeRequest(event);
  const store = await getStore();
  const now = Date.now();
  try {
    const rebuilt = requested ? await rebuildRange(store, requested, now, options, { allowFewer: allowFewerOf(event) }) : undefined;
    const result = rebuilt ?? (await runResampleCycle(store, now, options));
    metrics.addMetric(METRIC.barsComputed, MetricUnit.Count, result.barsComputed);
    metrics.addMetric(METRIC.barsWritten, MetricUnit.Count, result.barsWritten);
    metrics.addMetric(METRIC.resampleFailures, MetricUnit.Count, result.barsFailed);
    metrics.addMetric(METRIC.catchUpHours, MetricUnit.Count, Math.ceil(result.behindMs / HOUR_MS));
    const { range: _range, ...figures } = rebuilt ?? { ...result, range: undefined };
    const response: ResamplerResponse = {
      ...figures,
      mode: rebuilt ? 'rebuild' : 'scheduled',
      ...(rebuilt ? { range: { from: iso(rebuilt.range.from), to: iso(rebuilt.range.to) } } : {}),
      watermarks: result.watermarks.map((w) => ({ marketType: w.marketType, interval: w.interval, watermark: iso(w.watermark) })),
    };
    if (result.barsFailed > 0) logger.error('resampled bars refused by the store', { ...response });
    else logger.info('resample run done', { ...response });
    return response;
  } catch (err) {
    if (err instanceof StoreUnavailableError) await discardStore();
    throw err;
  } finally {
    flushMetrics();
  }
};
