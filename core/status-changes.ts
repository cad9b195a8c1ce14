/**
 * A market's status history records changes only. A restarted ingest sees every market again at
 * its first look and sends its status; recording that again would add a row per market per
 * restart at an unaligned time. Pure: the recorded history and new events in, the events that
 * really change a market's status out.
 */
import { marketKey, type MarketStatusEvent } from './market';

/** The events that change their market's status at their time (given the history and the events before them), in the order given. */
export function statusChangesOnly(history: readonly MarketStatusEvent[], events: readonly MarketStatusEvent[]): MarketStatusEvent[] {
  const byMarket = new Map<string, { at: number; status: string }[]>();
  const timeline = (e: MarketStatusEvent): { at: number; status: string }[] => {
    const key = marketKey(e);
    let list = byMarket.get(key);
    if (!list) byMarket.set(key, (list = []));
    return list;
  };
  for (const h of history) timeline(h).push({ at: h.at, status: h.status });
  for (const list of byMarket.values()) list.sort((a, b) => a.at - b.at);
  const kept: number[] = [];
  // In time order, so an event compares with the one just before it, recorded or new.
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i);
  for (const { e, i } of ordered) {
    const list = timeline(e);
    let before = -1;
    while (before + 1 < list.length && list[before + 1].at <= e.at) before++;
    if (before >= 0 && list[before].status === e.status) continue;
    list.splice(before + 1, 0, { at: e.at, status: e.status });
    kept.push(i);
  }
  // In the order given.
  return kept.sort((a, b) => a - b).map((i) => events[i]);
}
