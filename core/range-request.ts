/**
 * Time ranges of the scheduled and on-demand runs of the reporter and resampler.
 *
 * On demand, a Lambda is invoked with `{"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}`
 * (ISO 8601 with a time zone, or epoch milliseconds). A scheduled EventBridge event carries
 * neither field and gets the default range.
 */
import type { TimeRange } from './store/port';

export const HOUR_MS = 3_600_000;

/** A bad on-demand request; the message says what to send instead. */
export class RangeRequestError extends Error {
  override readonly name = 'RangeRequestError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && ISO_WITH_ZONE.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new RangeRequestError(`"${field}" must be an ISO 8601 time with a zone (e.g. 2026-01-01T00:00:00Z) or epoch ms, got ${JSON.stringify(value)}`);
}

/**
 * The range an event asks for, or undefined when it asks for none (a scheduled event).
 * Throws RangeRequestError for half a range, an unreadable time, `to` ≤ `from`, or a span over
 * `maxSpanMs`.
 */
export function parseRangeRequest(event: unknown, maxSpanMs = Number.POSITIVE_INFINITY): TimeRange | undefined {
  if (!isRecord(event) || (event.from === undefined && event.to === undefined)) return undefined;
  if (event.from === undefined || event.to === undefined) throw new RangeRequestError('give both "from" and "to", or neither');
  const range = { from: instant(event.from, 'from'), to: instant(event.to, 'to') };
  if (range.to <= range.from) throw new RangeRequestError(`"to" (${new Date(range.to).toISOString()}) must be after "from" (${new Date(range.from).toISOString()})`);
  if (range.to - range.from > maxSpanMs) throw new RangeRequestError(`the range spans more than ${Math.round(maxSpanMs / HOUR_MS)} h; ask for less`);
  return range;
}

/**
 * The `hours` whole UTC hours that ended at or before `nowMs`: run daily shortly after midnight
 * with 24 h, that is the previous UTC day.
 */
export function previousHours(nowMs: number, hours: number): TimeRange {
  const to = nowMs - (nowMs % HOUR_MS);
  return { from: to - hours * HOUR_MS, to };
}
