/**
 * The hot path: one raw websocket frame in, zero or more klines out.
 *
 *   classifyFrame (bytes only) → skip ~97 % of frames
 *   parseClosingFrame: a closing update in Binance's exact layout, read without JSON.parse
 *   JSON.parse + parseStreamKline for everything else (other layouts, control frames)
 *   Sequencer.offer → exactly once, in order per market
 *
 * Everything around it (clock, rotation bookkeeping, control replies) arrives through hooks so
 * the benchmark can run exactly this code.
 */
import type { Kline } from '../../core/kline';
import type { MarketType } from '../../core/market';
import { parseStreamKline } from '../../core/parse';
import { classifyFrame } from './closed-frame-filter';
import { parseClosingFrame } from './closing-frame-parser';
import type { Sequencer } from '../capture/sequencer';

export interface FrameHooks<C> {
  /** The venue the frames come from: a frame does not say it, the connection does. */
  marketType: MarketType;
  sequencer: Sequencer;
  /** Klines released by the sequencer, in order per market. */
  forward(klines: Kline[]): void;
  /**
   * Every valid closing 1m kline (before dedup), with the event time `E` of its frame. Returning
   * false refuses the frame (e.g. an implausible time): its kline is dropped and counted rejected.
   */
  onClosing?(connection: C, kline: Kline, eventTime: unknown): boolean | void;
  /** `{"result":…,"id":N}`: a reply to SUBSCRIBE/UNSUBSCRIBE. */
  onControlReply?(connection: C, id: number): void;
  /** `{"error":{code,msg},"id":N}`: the server refused a control message. */
  onControlError?(connection: C, id: number, error: unknown): void;
  onServerShutdown?(connection: C): void;
  onRejected?(reason: string): void;
}

export interface FrameCounters {
  frames: number;
  parsed: number;
  rejected: number;
}

export function createFrameHandler<C>(hooks: FrameHooks<C>): { handle: (frame: Buffer, connection: C) => void; counters: FrameCounters } {
  const counters: FrameCounters = { frames: 0, parsed: 0, rejected: 0 };
  const { marketType } = hooks;
  const released: Kline[] = [];
  const closing = (connection: C, k: Kline, eventTime: unknown): void => {
    if (hooks.onClosing?.(connection, k, eventTime) === false) {
      counters.rejected++;
      return;
    }
    hooks.sequencer.offer(k, released);
    if (released.length > 0) hooks.forward(released.splice(0));
  };
  const handle = (frame: Buffer, connection: C): void => {
    counters.frames++;
    const kind = classifyFrame(frame);
    if (kind === 'skip') return;
    const fast = kind === 'candidate' ? parseClosingFrame(frame, marketType) : undefined;
    if (fast !== undefined) {
      counters.parsed++;
      if (fast.kline.interval === '1m') closing(connection, fast.kline, fast.eventTime);
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(frame.toString('utf8'));
    } catch {
      counters.rejected++;
      hooks.onRejected?.('frame is not JSON');
      return;
    }
    counters.parsed++;
    if (typeof message !== 'object' || message === null) return;
    const m = message as { id?: unknown; result?: unknown; error?: unknown; data?: { e?: unknown; E?: unknown; k?: { x?: unknown } } };
    if (typeof m.id === 'number' && 'result' in m) {
      hooks.onControlReply?.(connection, m.id);
      return;
    }
    if ('error' in m && m.data === undefined) {
      hooks.onControlError?.(connection, typeof m.id === 'number' ? m.id : -1, m.error);
      return;
    }
    const data = m.data;
    if (!data || typeof data !== 'object') return;
    if (data.e === 'serverShutdown') {
      hooks.onServerShutdown?.(connection);
      return;
    }
    if (data.e !== 'kline' || data.k?.x !== true) return;
    const parsed = parseStreamKline(data, marketType);
    if (!parsed.ok) {
      counters.rejected++;
      hooks.onRejected?.(parsed.reason);
      return;
    }
    const k = parsed.kline;
    if (k.interval !== '1m') return;
    closing(connection, k, data.E);
  };
  return { handle, counters };
}
