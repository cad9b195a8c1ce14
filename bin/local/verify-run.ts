/**
 * The end of a `--sim` run: everything the store holds for the simulated world, per market type,
 * against the simulators' truth, from the first stored minute (an earlier run's included) to
 * where this run's capture caught up; how far behind the exchange capture was; and a verdict
 * that is VERIFIED only when every selected type was checked whole and found exact.
 */
import { MINUTE_MS } from '../../core/interval';
import type { MarketType } from '../../core/market';
import type { KlineStore } from '../../core/store/port';
import type { Simulator } from '../../sim';
import type { TypeFigures } from './capture-status';
import { checkAgainstSimulator, formatSimCheck, storedSpan, type SimCheck } from './sim-check';
import { formatDuration } from './status-line';

export interface RunVerificationInput {
  /** The simulator of each selected market type. */
  sims: ReadonlyMap<MarketType, Simulator>;
  store: KlineStore;
  /** The capture's figures per type at the stop (caughtUpTo, state, error). */
  types: readonly Pick<TypeFigures, 'marketType' | 'state' | 'caughtUpTo' | 'error'>[];
  /** Exchange time when the stop was asked for. */
  exchangeAtStop: number;
  /** How far behind capture may be at the stop and still count as caught up (exchange ms). */
  allowedBehindMs: number;
}

export interface RunVerification {
  ok: boolean;
  /** What to print, in order; the verdict line starts with VERIFIED, MISMATCH, INCOMPLETE or "Nothing to verify". */
  lines: string[];
  checks: SimCheck[];
  /** Examples of what was wrong (keys), when a check failed. */
  examples: string[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** How far behind the exchange the capture is: exchange time minus the end of the last caught-up minute. */
export function behindMs(caughtUpTo: number | undefined, exchangeAt: number, since: number): number {
  return caughtUpTo === undefined ? Math.max(0, exchangeAt - since) : Math.max(0, exchangeAt - (caughtUpTo + MINUTE_MS));
}

export async function verifySimulatedRun(input: RunVerificationInput, startedAt: number): Promise<RunVerification> {
  const lines: string[] = [];
  const problems: string[] = [];
  const checks: SimCheck[] = [];
  const behind: string[] = [];
  for (const t of input.types) {
    const sim = input.sims.get(t.marketType);
    if (!sim) continue;
    const lag = behindMs(t.caughtUpTo, input.exchangeAtStop, startedAt);
    behind.push(`${t.marketType} ${t.caughtUpTo === undefined ? 'nothing captured' : formatDuration(lag)}`);
    if (t.caughtUpTo === undefined) {
      problems.push(`${t.marketType} captured no full minute${t.error ? ` (venue ${t.state}: ${t.error})` : ''}`);
      continue;
    }
    if (lag > input.allowedBehindMs) {
      problems.push(`${t.marketType} was ${formatDuration(lag)} behind the exchange (more than ${formatDuration(input.allowedBehindMs)}): its minutes after ${iso(t.caughtUpTo + MINUTE_MS)} are not verified`);
    }
    const span = await storedSpan(input.store, t.marketType);
    const to = t.caughtUpTo + MINUTE_MS;
    if (span === undefined || span.from >= to) {
      problems.push(`${t.marketType} has no stored minute up to ${iso(to)}`);
      continue;
    }
    checks.push(await checkAgainstSimulator(sim, input.store, { from: span.from, to }, span.to + MINUTE_MS));
  }
  lines.push(`Capture behind the exchange at the stop (exchange time ${iso(input.exchangeAtStop)}): ${behind.join(', ')}.`);
  if (checks.length === 0) {
    lines.push(`Nothing to verify yet: no full minute was captured${problems.length > 0 ? ` (${problems.join('; ')})` : ''}.`);
    return { ok: false, lines, checks, examples: [] };
  }
  const complete = problems.length === 0;
  lines.push(formatSimCheck(checks, !complete));
  for (const p of problems) lines.push(`INCOMPLETE: ${p}.`);
  const examples = checks.flatMap((c) => [...c.oneMinute.examples, ...c.resampled.flatMap((r) => r.comparison.examples)]).slice(0, 10);
  if (examples.length > 0) lines.push(`examples: ${examples.join(', ')}`);
  return { ok: complete && checks.every((c) => c.ok), lines, checks, examples };
}
