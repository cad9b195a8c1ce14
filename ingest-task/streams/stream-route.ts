/**
 * Which routed path a venue's streams use, shared by every connection of the venue. Binance's
 * USDⓈ-M host routes streams by path and accepts a subscription on the wrong path without ever
 * delivering it, so a path is proven by frames, not by the handshake: when the silence detector
 * finds a connection silent, the route moves on to the venue's first path not yet found silent
 * (its preferred one first), and starts over once every path was.
 */
import type { Venue } from '../../core/binance/venues/venue';
import { splitStreamUrl } from '../../core/binance/venues/venue';

export class StreamRoute {
  private index: number;
  private readonly base: string;
  /** How many times the path was abandoned for the next one. */
  switches = 0;
  private readonly silent = new Set<number>();

  constructor(private readonly venue: Pick<Venue, 'streamPaths'>, url: string) {
    const { base, pathIndex } = splitStreamUrl(venue, url);
    this.base = base;
    this.index = pathIndex;
  }

  /** The URL connections open now (the connection appends `/stream?streams=…`). */
  get url(): string {
    return this.base + this.venue.streamPaths[this.index];
  }

  get path(): string {
    return this.venue.streamPaths[this.index];
  }

  get alternatives(): number {
    return this.venue.streamPaths.length - 1;
  }

  /**
   * A connection opened on `url` was silent: move to the next path unless another connection
   * already did. Returns true when the route changed.
   */
  abandon(url: string): boolean {
    const n = this.venue.streamPaths.length;
    if (url !== this.url || n < 2) return false;
    this.silent.add(this.index);
    let next = [...Array(n).keys()].find((i) => !this.silent.has(i));
    if (next === undefined) {
      this.silent.clear();
      this.silent.add(this.index);
      next = (this.index + 1) % n;
    }
    this.index = next;
    this.switches++;
    return true;
  }
}
