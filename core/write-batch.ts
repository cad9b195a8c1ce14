/**
 * Store the decoded ingest messages of one delivery (an SQS batch, or the local in-process
 * queue's batch) and say which messages failed, so only those are retried.
 *
 * All klines of all messages go to the store in ONE upsert (one bulk write on MongoDB: fewer
 * round trips and connections than one per message); each refused kline is mapped back to every
 * message that carried it. A message counts as stored only when all its klines and market
 * events are stored: a store outage fails every message that had something to store, so nothing
 * is acknowledged that was not written. Writes are upserts on (symbol, openTime), so a retried
 * or redelivered message changes nothing that is already stored.
 */
import type { RejectedItem } from './codec';
import { klineKey, type Kline } from './kline';
import { marketKey, type MarketStatusEvent } from './market';
import { statusChangesOnly } from './status-changes';
import { marketEventProblem } from './store/batch';
import type { KlineStore } from './store/port';

/** A message's content, as `decodeBatch` gives it. */
export interface DecodedBatch {
  klines: readonly Kline[];
  marketEvents: readonly MarketStatusEvent[];
  /** What the decoder already rejected alone. */
  rejected?: readonly RejectedItem[];
}

export interface DecodedMessage {
  id: string;
  batch: DecodedBatch;
}

export interface MessageFailure {
  id: string;
  /** `invalid`: the message can never be stored (retrying is pointless); `store`: the store failed, retry. Items that cannot be stored are `rejected`, not failures. */
  kind: 'invalid' | 'store';
  reason: string;
}

export interface WriteBatchResult {
  /** One entry per failed message; every other message is fully stored. */
  failures: MessageFailure[];
  /** Klines in the messages (duplicates across messages counted once). */
  klinesReceived: number;
  /** Klines inserted or changed. */
  klinesWritten: number;
  /** Market status events recorded: those that change their market's status (0 when recording failed). */
  marketEventsRecorded: number;
  /** A store call failed as a whole (outage): the caller may want a fresh connection. */
  storeUnavailable: boolean;
  /**
   * Klines and events that can never be stored (bad symbol, refused by the store's rules…),
   * each rejected alone with its reason: they do not fail their message, so the rest of it is
   * acknowledged and nothing else waits on them. Callers log and count them.
   */
  rejected: (RejectedItem & { messageId: string })[];
}

/** The captured interval: the writer stores 1m klines only. */
const CAPTURED_INTERVAL = '1m';

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export async function writeDecodedBatches(store: KlineStore, messages: readonly DecodedMessage[]): Promise<WriteBatchResult> {
  const failed = new Map<string, Omit<MessageFailure, 'id'>>();
  const rejected: WriteBatchResult['rejected'] = [];
  for (const { id, batch } of messages) for (const r of batch.rejected ?? []) rejected.push({ ...r, messageId: id });
  const fail = (id: string, kind: MessageFailure['kind'], reason: string) => {
    if (!failed.has(id)) failed.set(id, { kind, reason });
  };

  // One kline per key; a later message's copy of the same key wins (it is as new or newer).
  const slotByKey = new Map<string, number>();
  const combined: Kline[] = [];
  const carriers: string[][] = [];
  for (const { id, batch } of messages) {
    for (const k of batch.klines) {
      if (k.interval !== CAPTURED_INTERVAL) {
        rejected.push({ messageId: id, kind: 'kline', symbol: k.symbol, openTime: k.openTime, reason: `kline ${k.symbol} at ${k.openTime} has interval ${k.interval}; the writer stores ${CAPTURED_INTERVAL} klines only` });
        continue;
      }
      const key = klineKey(k);
      const slot = slotByKey.get(key);
      if (slot === undefined) {
        slotByKey.set(key, combined.length);
        combined.push(k);
        carriers.push([id]);
      } else {
        combined[slot] = k;
        if (!carriers[slot].includes(id)) carriers[slot].push(id);
      }
    }
  }

  let klinesWritten = 0;
  let storeUnavailable = false;
  if (combined.length > 0) {
    try {
      const result = await store.upsert(CAPTURED_INTERVAL, combined);
      klinesWritten = result.written;
      for (const f of result.failures) {
        const k = combined[f.index];
        // A refusal of one kline is the store's rule, not an outage: retrying cannot help.
        const ids = carriers[f.index] ?? [];
        for (const id of ids) rejected.push({ messageId: id, kind: 'kline', symbol: k?.symbol, openTime: k?.openTime, reason: `kline ${k?.symbol} at ${k?.openTime} refused by the store: ${f.reason}` });
      }
    } catch (err) {
      storeUnavailable = true;
      const reason = `store write failed: ${errorText(err)}`;
      for (const ids of carriers) for (const id of ids) fail(id, 'store', reason);
    }
  }

  const events: MarketStatusEvent[] = [];
  const eventCarriers = new Set<string>();
  for (const { id, batch } of messages) {
    for (const e of batch.marketEvents) {
      const problem = marketEventProblem(e);
      if (problem !== undefined) {
        rejected.push({ messageId: id, kind: 'event', symbol: typeof e?.symbol === 'string' ? e.symbol : undefined, reason: `market event: ${problem}` });
        continue;
      }
      events.push(e);
      eventCarriers.add(id);
    }
  }
  let marketEventsRecorded = 0;
  if (events.length > 0) {
    try {
      // Only real changes: a restarted ingest reports every market's unchanged status again.
      // Only the history of the batch's markets: the rest cannot change the comparison.
      const markets = [...new Map(events.map((e) => [marketKey(e), { marketType: e.marketType, symbol: e.symbol }])).values()];
      const changes = statusChangesOnly(await store.marketHistory(markets), events);
      if (changes.length > 0) await store.recordMarketStatus(changes);
      marketEventsRecorded = changes.length;
    } catch (err) {
      storeUnavailable = true;
      const reason = `recording market status failed: ${errorText(err)}`;
      for (const id of eventCarriers) fail(id, 'store', reason);
    }
  }

  const failures: MessageFailure[] = [];
  for (const [id, failure] of failed) failures.push({ id, ...failure });
  return { failures, klinesReceived: combined.length, klinesWritten, marketEventsRecorded, storeUnavailable, rejected };
}
