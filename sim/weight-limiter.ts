/**
 * REST request weight per IP, in fixed REAL-time windows aligned to multiples of the window
 * length (Binance: 6000 per wall-clock minute), plus the 429 → 418 escalation:
 * a request over the limit gets 429 and a back-off until the window ends; requests that keep
 * coming during the back-off are counted, and past `ignoredBackoffsBeforeBan` the IP is banned
 * (418) for `banBaseMs`, doubling for each further ban.
 */
import type { SimLimits } from './options';

export type WeightDecision =
  | { kind: 'ok'; usedWeight: number }
  | { kind: 'limited'; status: 429 | 418; usedWeight: number; retryAfterSeconds: number };

interface IpState {
  window: number;
  used: number;
  backoffUntil: number;
  ignored: number;
  bannedUntil: number;
  bans: number;
}

export class WeightLimiter {
  private readonly ips = new Map<string, IpState>();
  /** Highest weight used in any window by any IP. */
  maxUsedInWindow = 0;
  count429 = 0;
  count418 = 0;

  constructor(private limits: SimLimits, private readonly realNow: () => number = Date.now) {}

  setLimits(limits: SimLimits): void {
    this.limits = limits;
  }

  private state(ip: string, now: number): IpState {
    const window = Math.floor(now / this.limits.weightWindowMs);
    let s = this.ips.get(ip);
    if (!s) {
      s = { window, used: 0, backoffUntil: 0, ignored: 0, bannedUntil: 0, bans: 0 };
      this.ips.set(ip, s);
    }
    if (s.window !== window) {
      s.window = window;
      s.used = 0;
    }
    return s;
  }

  /** Weight used in the current window (for the X-MBX-USED-WEIGHT-1M header). */
  used(ip: string): number {
    return this.state(ip, this.realNow()).used;
  }

  /** Decide a request of `weight` from `ip`, counting it when admitted. */
  admit(ip: string, weight: number): WeightDecision {
    const now = this.realNow();
    const s = this.state(ip, now);
    const seconds = (until: number): number => Math.max(1, Math.ceil((until - now) / 1000));
    if (now < s.bannedUntil) {
      this.count418++;
      return { kind: 'limited', status: 418, usedWeight: s.used, retryAfterSeconds: seconds(s.bannedUntil) };
    }
    if (now < s.backoffUntil) {
      s.ignored++;
      if (s.ignored > this.limits.ignoredBackoffsBeforeBan) {
        s.bannedUntil = now + Math.min(this.limits.banBaseMs * 2 ** s.bans, 3 * 86_400_000);
        s.bans++;
        s.ignored = 0;
        this.count418++;
        return { kind: 'limited', status: 418, usedWeight: s.used, retryAfterSeconds: seconds(s.bannedUntil) };
      }
      this.count429++;
      return { kind: 'limited', status: 429, usedWeight: s.used, retryAfterSeconds: seconds(s.backoffUntil) };
    }
    if (s.used + weight > this.limits.requestWeightPerWindow) {
      s.backoffUntil = (s.window + 1) * this.limits.weightWindowMs;
      s.ignored = 0;
      this.count429++;
      return { kind: 'limited', status: 429, usedWeight: s.used, retryAfterSeconds: seconds(s.backoffUntil) };
    }
    s.used += weight;
    if (s.used > this.maxUsedInWindow) this.maxUsedInWindow = s.used;
    return { kind: 'ok', usedWeight: s.used };
  }

  /** A 429 not caused by weight (fault injection) still asks the client to back off. */
  imposeBackoff(ip: string, ms: number): number {
    const now = this.realNow();
    const s = this.state(ip, now);
    s.backoffUntil = Math.max(s.backoffUntil, now + ms);
    s.ignored = 0;
    this.count429++;
    return Math.max(1, Math.ceil((s.backoffUntil - now) / 1000));
  }
}
