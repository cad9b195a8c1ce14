/**
 * Fault decisions. Kept apart from the code that acts on them so a test can read the rules in
 * one place. The random source is seeded (from the simulator seed) but faults are not a pure
 * function of time: they depend on how many connections and frames there are.
 */
import type { FaultConfig } from './options';
import { createRng } from './random';

export type ConnectionFault = 'drop' | 'stall' | 'shutdown';

export class FaultController {
  private readonly random: () => number;

  constructor(public config: FaultConfig, seed: number) {
    this.random = createRng(seed ^ 0x5eed);
  }

  set(config: FaultConfig): void {
    this.config = { ...config };
  }

  private chance(p: number | undefined): boolean {
    return p !== undefined && p > 0 && this.random() < p;
  }

  /** Uniform in [0, 1) from the fault random source. */
  uniform(): number {
    return this.random();
  }

  /** Once per connection per simulated minute. */
  connectionFault(): ConnectionFault | undefined {
    const c = this.config;
    if (this.chance(c.dropPerMinute)) return 'drop';
    if (this.chance(c.stallPerMinute)) return 'stall';
    if (this.chance(c.shutdownPerMinute)) return 'shutdown';
    return undefined;
  }

  /** Whether per-frame faults are on at all (the send path skips the checks when not). */
  frameFaultsOn(): boolean {
    const c = this.config;
    return (c.duplicate ?? 0) > 0 || (c.reorder ?? 0) > 0 || (c.malformed ?? 0) > 0;
  }

  duplicate(): boolean {
    return this.chance(this.config.duplicate);
  }

  reorder(): boolean {
    return this.chance(this.config.reorder);
  }

  /** A malformed frame to send, or undefined. Derived from a real frame: truncated or garbage. */
  malformed(frame: string): string | undefined {
    if (!this.chance(this.config.malformed)) return undefined;
    const r = this.random();
    if (r < 0.5) return frame.slice(0, Math.max(1, Math.floor(frame.length * this.random())));
    if (r < 0.75) return '\u0000\u00ff garbage {{{';
    return frame.replace('"x":', '"x"').replace('"k":{', '"k":[');
  }

  /** Once per minute with closing updates: send one of them again with a bogus event time? Counts down. */
  bogusTimeFrame(): boolean {
    const left = this.config.bogusTimeFrames ?? 0;
    if (left <= 0) return false;
    this.config = { ...this.config, bogusTimeFrames: left - 1 };
    return true;
  }

  /** Per (market, minute): delay the closing update? */
  late(): boolean {
    return this.chance(this.config.late);
  }

  lateDelayMs(): number {
    return this.config.lateDelayMs ?? 5_000;
  }

  /** Per REST request: an injected error status, or undefined. */
  restError(): 500 | 503 | 429 | undefined {
    if (!this.chance(this.config.restErrors)) return undefined;
    const r = this.random();
    return r < 0.4 ? 500 : r < 0.8 ? 503 : 429;
  }
}
