/**
 * Every stream over `copies` independent sets of connections (each a StreamManager with its own
 * shards, reconnects and rotations). With two copies a dropped or stalled connection loses no
 * minute: the other copy still delivers it and the sequencer drops the doubles. That matters most
 * where REST cannot repair a loss: the last minutes of a market that is delisted while its
 * stream is down (Binance answers -1121 for a delisted symbol's klines). The price is twice the
 * frames and connections; one copy is the default.
 */
import type { Connection } from './connection';
import { StreamManager, type StreamManagerOptions } from './stream-manager';

export class MirroredStreams {
  private readonly copies: StreamManager[];

  constructor(options: StreamManagerOptions, copies = 1) {
    if (!Number.isInteger(copies) || copies < 1) throw new RangeError(`stream copies must be an integer ≥ 1, got ${copies}`);
    let nextId = 1;
    const shared = { ...options, nextConnectionId: options.nextConnectionId ?? (() => nextId++) };
    this.copies = Array.from({ length: copies }, () => new StreamManager(shared));
  }

  add(symbols: readonly string[]): void {
    for (const m of this.copies) m.add(symbols);
  }

  remove(symbols: readonly string[]): void {
    for (const m of this.copies) m.remove(symbols);
  }

  /** Each manager ignores connections that are not its own. */
  noteClosing(connection: Connection, openTime: number, symbol?: string): void {
    for (const m of this.copies) m.noteClosing(connection, openTime, symbol);
  }

  checkSilence(now: number, graceMs: number): void {
    for (const m of this.copies) m.checkSilence(now, graceMs);
  }

  serverShutdown(connection: Connection): void {
    for (const m of this.copies) m.serverShutdown(connection);
  }

  acknowledge(connection: Connection, id: number): void {
    connection.acknowledge(id);
  }

  pause(): void {
    for (const m of this.copies) m.pause();
  }

  resume(): void {
    for (const m of this.copies) m.resume();
  }

  async stop(): Promise<void> {
    await Promise.all(this.copies.map((m) => m.stop()));
  }

  get openConnections(): number {
    return this.copies.reduce((n, m) => n + m.openConnections, 0);
  }

  /** Shards per copy (every copy shards alike). */
  get shardCount(): number {
    return this.copies[0].shardCount;
  }

  get stats(): StreamManager['stats'] {
    const total = { connectionsOpened: 0, reconnects: 0, rotations: 0, stalls: 0, serverShutdowns: 0, silentConnections: 0, silentStreams: 0, pathSwitches: 0 };
    for (const m of this.copies) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += m.stats[k];
    return total;
  }

  wantedStreams(): string[] {
    return this.copies[0].wantedStreams();
  }

  connections(): Connection[] {
    return this.copies.flatMap((m) => m.connections());
  }
}
