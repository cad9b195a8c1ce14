/**
 * Drives simulated time: at each point of the per-minute grid it publishes kline updates for
 * every TRADING market that has subscribers, and at minute boundaries the closing updates and
 * the per-minute connection faults.
 *
 * Grid of a minute M (offsets in simulated ms from M's open time):
 *   0                       closing (x:true) update of minute M-1 (or later, when "late")
 *   60000·(j+1)/(K+1)       j-th intermediate (x:false) update of minute M, j = 0..K-1
 */
import type { FaultController } from './faults';
import { barToStreamData } from './kline-generator';
import { isTradingAt, MINUTE } from './markets';
import { BOGUS_EVENT_TIME, type ScheduledFault } from './options';
import type { StreamServer } from './stream-server';
import type { World } from './world';

interface PendingFault {
  at: number;
  kind: ScheduledFault['kind'];
  conn: Conn;
}

type Conn = StreamServer['connections'] extends Set<infer C> ? C : never;

interface LateClose {
  at: number;
  marketIndex: number;
  minute: number;
}

export class KlinePublisher {
  /** The last grid time processed (construction time before the first). */
  private lastGrid: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly offsets: number[];
  private late: LateClose[] = [];
  private schedule: ScheduledFault[] = [];
  /** Per-minute random connection faults, each at a random time within its minute. */
  private pending: PendingFault[] = [];
  private stopped = false;
  closingUpdatesPublished = 0;

  constructor(private readonly world: World, private readonly streams: StreamServer, private readonly faults: FaultController) {
    const k = world.options.updatesPerMinute;
    this.offsets = Array.from({ length: k }, (_, j) => Math.round((MINUTE * (j + 1)) / (k + 1)));
    this.lastGrid = world.now();
    this.setSchedule(faults.config.schedule ?? []);
  }

  setSchedule(schedule: readonly ScheduledFault[]): void {
    this.schedule = [...schedule].sort((a, b) => a.at - b.at);
  }

  start(): void {
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The first grid time strictly after t. */
  private nextGridTime(t: number): number {
    const minuteStart = Math.floor(t / MINUTE) * MINUTE;
    const offset = t - minuteStart;
    for (const o of this.offsets) if (o > offset) return minuteStart + o;
    return minuteStart + MINUTE;
  }

  /** The earliest thing due: the next grid time, a late closing update or a connection fault. */
  private nextEventTime(): number {
    let next = this.nextGridTime(this.lastGrid);
    if (this.late.length > 0 && this.late[0].at < next) next = this.late[0].at;
    if (this.schedule.length > 0 && this.schedule[0].at < next) next = this.schedule[0].at;
    if (this.pending.length > 0 && this.pending[0].at < next) next = this.pending[0].at;
    return next;
  }

  private wake(): void {
    if (this.stopped) return;
    const now = this.world.now();
    for (let t = this.nextEventTime(); t <= now; t = this.nextEventTime()) this.fire(t, now);
    const delay = this.world.clock.realDelayUntil(this.nextEventTime());
    this.timer = setTimeout(() => this.wake(), Math.min(1000, Math.max(1, Math.ceil(delay))));
  }

  private fire(t: number, now: number): void {
    while (this.schedule.length > 0 && this.schedule[0].at <= t) this.applyConnectionFaults(this.schedule.shift()!, t);
    while (this.pending.length > 0 && this.pending[0].at <= t) {
      const p = this.pending.shift()!;
      if (p.conn.open) this.applyConnectionFault(p.kind, p.conn, t);
    }
    while (this.late.length > 0 && this.late[0].at <= t) {
      const l = this.late.shift()!;
      this.publishClosing(this.world.markets[l.marketIndex], l.minute, t);
    }
    if (t !== this.nextGridTime(this.lastGrid)) return;
    this.lastGrid = t;
    const minuteStart = Math.floor(t / MINUTE) * MINUTE;
    const offset = t - minuteStart;
    if (offset === 0) {
      this.closeMinute(minuteStart / MINUTE - 1, t);
      for (const conn of this.streams.connections) {
        const kind = this.faults.connectionFault();
        if (kind) this.pending.push({ at: t + 1 + Math.floor(this.faults.uniform() * (MINUTE - 1)), kind, conn });
      }
      this.pending.sort((a, b) => a.at - b.at);
    } else if (now - t < MINUTE / (this.offsets.length + 1)) {
      // Intermediate updates that fell behind real time are skipped; closing updates never are.
      this.publishIntermediate(minuteStart / MINUTE, offset / MINUTE, t);
    }
  }

  private closeMinute(minute: number, t: number): void {
    const openTime = minute * MINUTE;
    const lateAt = t + Math.max(this.faults.lateDelayMs(), (this.offsets[0] ?? 0) + 1);
    let bogusSent = false;
    for (const m of this.world.markets) {
      if (!isTradingAt(m, openTime)) continue;
      const name = `${m.streamSymbol}@kline_1m`;
      if (!this.streams.hasSubscribers(name)) continue;
      if (this.faults.late()) this.late.push({ at: lateAt, marketIndex: m.index, minute });
      else this.publishClosing(m, minute, t);
      if (!bogusSent && this.faults.bogusTimeFrame()) {
        // A true closed kline whose event time claims the year 2100.
        bogusSent = true;
        this.streams.broadcast(name, barToStreamData(m, '1m', this.world.generator.closedBar(m, minute), BOGUS_EVENT_TIME, true));
      }
    }
    // The delay may have been changed at run time: keep the queue in time order.
    if (this.late.length > 1 && this.late[this.late.length - 1].at < this.late[this.late.length - 2].at) this.late.sort((a, b) => a.at - b.at);
  }

  private publishClosing(m: World['markets'][number], minute: number, t: number): void {
    const bar = this.world.generator.closedBar(m, minute);
    this.streams.broadcast(`${m.streamSymbol}@kline_1m`, barToStreamData(m, '1m', bar, t, true));
    this.closingUpdatesPublished++;
  }

  private publishIntermediate(minute: number, fraction: number, t: number): void {
    const openTime = minute * MINUTE;
    for (const m of this.world.markets) {
      const name = `${m.streamSymbol}@kline_1m`;
      if (!this.streams.hasSubscribers(name) || !isTradingAt(m, openTime)) continue;
      const bar = this.world.generator.partialBar(m, minute, fraction);
      this.streams.broadcast(name, barToStreamData(m, '1m', bar, t, false));
    }
  }

  private applyConnectionFaults(f: ScheduledFault, t: number): void {
    const conns = [...this.streams.connections].slice(0, f.count ?? Infinity);
    for (const conn of conns) this.applyConnectionFault(f.kind, conn, t);
  }

  private applyConnectionFault(kind: ScheduledFault['kind'], conn: Conn, t: number): void {
    if (kind === 'drop') conn.terminate('drop-fault');
    else if (kind === 'stall') conn.stall();
    else this.streams.shutdown(conn, t);
  }
}
