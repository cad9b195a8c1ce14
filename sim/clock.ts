/**
 * The accelerated clock: simulated ms = startTime + real ms elapsed × speed.
 * Real time comes from `performance.now()` (monotonic), so wall-clock jumps do not move it.
 */
import { performance } from 'node:perf_hooks';

export class SimClock {
  private readonly realStart = performance.now();

  constructor(readonly startTime: number, readonly speed: number) {}

  /** Simulated ms since epoch (integer). */
  now(): number {
    return this.startTime + Math.floor((performance.now() - this.realStart) * this.speed);
  }

  /** Real ms until simulated time `t` (0 when already past). */
  realDelayUntil(t: number): number {
    return Math.max(0, (t - this.now()) / this.speed);
  }
}
