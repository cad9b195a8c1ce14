/**
 * Which routed path a venue's streams use, shared by every connection of the venue. Binance's
 * USDⓈ-M host routes streams by path and accepts a subscription on the wrong path without ever
 * delivering it, so a path is proven by frames, not by the handshake: when the silence detector
 * finds a connection silent, the route moves on to the venue's next path (wrapping around).
 */
import type { Venue } from '../venues/venue';
import { splitStreamUrl } from '../venues/venue';

export class StreamRoute {
  private index: number;
  private readonly base: string;
  /** How many times the path was abandoned for the next one. */
  switches = 0;

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
    if (url !== this.url || this.venue.streamPaths.length < 2) return false;
    this.index = (this.index + 1) % this.venue.streamPaths.length;
    this.switches++;
    return true;
  }
}
