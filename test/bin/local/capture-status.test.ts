import { combinedIngestStatus, typeFigures } from '../../../bin/local/capture-status';
import type { VenueStatus } from '../../../ingest-task/capture/capture';
import type { IngestStatus } from '../../../ingest-task/capture/ingest';

function ingest(over: Partial<IngestStatus>): IngestStatus {
  return {
    markets: 10, connections: 2, klinesForwarded: 100, klinesFromStream: 90, klinesFromBackfill: 10, marketEvents: 10, gapsFound: 1, gapsFilled: 1,
    exchangeTime: 1_000_000, caughtUpTo: 600_000, lagMs: 340_000, restWeightUsed: 5, restWeightPeak: 9, restWeightLimit: 6000, pendingKlines: 0,
    framesReceived: 500, framesParsed: 499, framesRejected: 1, framesRefusedForTime: 0, reconnects: 0, rotations: 0, stalls: 0, serverShutdowns: 0,
    silentConnections: 0, silentStreams: 0, pathSwitches: 0, streamPath: '', statusKnownTo: 900_000,
    ...over,
  };
}

describe('capture figures per market type', () => {
  const spot: VenueStatus = { marketType: 'spot', state: 'running', failures: 0, ingest: ingest({ caughtUpTo: 600_000, lagMs: 1_000 }) };
  const usdm: VenueStatus = { marketType: 'usdm', state: 'running', failures: 0, ingest: ingest({ markets: 4, caughtUpTo: 300_000, lagMs: 90_000, streamPath: '/market' }) };
  const coinm: VenueStatus = { marketType: 'coinm', state: 'failed', failures: 2, error: 'HTTP 451', ingest: undefined };

  it('adds the running venues up: caught up to the earliest, lag the largest; a failed venue is left out', () => {
    const s = combinedIngestStatus([spot, usdm, coinm]);
    expect(s).toMatchObject({ markets: 14, connections: 4, klinesForwarded: 200, gapsFound: 2, caughtUpTo: 300_000, lagMs: 90_000, streamPath: '/market', statusKnownTo: 900_000 });
    expect(combinedIngestStatus([spot, { ...usdm, ingest: ingest({ statusKnownTo: 700_000 }) }]).statusKnownTo).toBe(700_000);
  });

  it('has no caughtUpTo while any running venue has none yet, and none at all without a running venue', () => {
    const fresh: VenueStatus = { ...usdm, ingest: ingest({ caughtUpTo: undefined, lagMs: undefined }) };
    expect(combinedIngestStatus([spot, fresh])).toMatchObject({ caughtUpTo: undefined, lagMs: undefined });
    expect(combinedIngestStatus([coinm])).toMatchObject({ markets: 0, caughtUpTo: undefined, lagMs: undefined });
  });

  it("keeps a stopped venue's last figures and a failed venue's reason", () => {
    expect(typeFigures({ ...usdm, state: 'stopped' })).toMatchObject({ marketType: 'usdm', state: 'stopped', markets: 4, caughtUpTo: 300_000, lagMs: 90_000 });
    expect(typeFigures(coinm)).toEqual({ marketType: 'coinm', state: 'failed', markets: 0, connections: 0, caughtUpTo: undefined, lagMs: undefined, error: 'HTTP 451', failures: 2 });
    // A venue running again after a failure shows no stale reason.
    expect(typeFigures({ ...spot, error: 'old' }).error).toBeUndefined();
  });
});
