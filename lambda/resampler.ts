/**
 * Resampler Lambda (EventBridge schedule, every 5 minutes, a minute or two past the boundary):
 * rebuilds the recently closed 5m/15m/30m/1h windows and catches up, within bounds, on hours
 * left behind by an outage (see `core/resample-job.ts`).
 *
 * On demand, `{"from": ISO, "to": ISO}` rebuilds every closed window in that range (≤ 24 h per
 * invocation), e.g. after an outage longer than the catch-up horizon.
 *
 * Env: the store's (see lambda/shared/store.ts), RESAMPLE_GRACE_SECONDS (30),
 * RESAMPLE_LOOKBACK_MINUTES (120), RESAMPLE_CATCHUP_HORIZON_HOURS (12),
 * RESAMPLE_CATCHUP_HOURS_PER_RUN (6), RESAMPLE_MARKETS_PER_CHUNK (200).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRIC } from '../core/metric-names';
import { parseRangeRequest } from '../core/range-request';
import { readResampleOptions, rebuildRange, runResampleCycle, type ResampleRunResult } from '../core/resample-job';
import { flushMetrics, logger, metrics } from './shared/powertools';
import { StoreUnavailableError } from '../core/errors';
import { discardStore, getStore } from './shared/store';

export interface ResamplerResponse extends Omit<ResampleRunResult, 'range' | 'catchUp'> {
  mode: 'scheduled' | 'rebuild';
  range: { from: string; to: string };
  catchUp: { from: string; to: string; markets: number }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export const handler = async (event: unknown, context?: Context): Promise<ResamplerResponse> => {
  if (context) logger.addContext(context);
  const options = readResampleOptions();
  // rebuildRange enforces the span limit after widening the range to whole hours.
  const requested = parseRangeRequest(event);
  const store = await getStore();
  const now = Date.now();
  try {
    const result = requested ? await rebuildRange(store, requested, now, options) : await runResampleCycle(store, now, options);
    metrics.addMetric(METRIC.barsComputed, MetricUnit.Count, result.barsComputed);
    metrics.addMetric(METRIC.barsWritten, MetricUnit.Count, result.barsWritten);
    metrics.addMetric(METRIC.resampleFailures, MetricUnit.Count, result.barsFailed);
    metrics.addMetric(METRIC.catchUpHours, MetricUnit.Count, result.catchUp.length);
    const response: ResamplerResponse = {
      ...result,
      mode: requested ? 'rebuild' : 'scheduled',
      range: { from: iso(result.range.from), to: iso(result.range.to) },
      catchUp: result.catchUp.map((c) => ({ from: iso(c.range.from), to: iso(c.range.to), markets: c.markets })),
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
