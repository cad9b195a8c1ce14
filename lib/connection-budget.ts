/**
 * How many MongoDB connections the deployed system can open on one Atlas node, checked at synth
 * against the tier's limit, so a burst of writer containers cannot lock users' own clients out.
 *
 * Sources: Atlas Service Limits, "Connection Limits and Cluster Tier" (limits apply per node; Atlas
 * keeps 10 per node for itself); the MongoDB driver's SDAM/CMAP specifications (each MongoClient
 * holds, per node, up to maxPoolSize operation connections plus its monitoring connections: one
 * monitor, and one more round-trip-time connection in the streaming protocol).
 */
export const ATLAS_TIER_CONNECTIONS = {
  M0: 500,
  Flex: 500,
  M10: 1500,
  M20: 3000,
  M30: 3000,
  M40: 6000,
  M50: 16000,
  M60: 32000,
  M80: 96000,
  M140: 96000,
  M200: 128000,
  M300: 128000,
} as const;

export type AtlasTier = keyof typeof ATLAS_TIER_CONNECTIONS;
export const ATLAS_TIERS = Object.keys(ATLAS_TIER_CONNECTIONS) as AtlasTier[];

/** Connections Atlas keeps on each node for its own agents. */
export const ATLAS_RESERVED_PER_NODE = 10;
/** Monitoring connections a MongoClient holds to each node (streaming monitor + RTT pinger). */
export const MONITORING_CONNECTIONS_PER_NODE = 2;
/** MONGODB_MAX_POOL_SIZE the stack gives every function and the task (a Lambda container runs one invocation at a time). */
export const FUNCTION_MAX_POOL_SIZE = 3;

import { AuditFunction } from './audit-function';

export interface ConnectionUse {
  /** Who opens them, e.g. "writer (5 concurrent containers)". */
  readonly who: string;
  /** Containers (or tasks) that may hold a client at once. */
  readonly clients: number;
}

export interface ConnectionBudget {
  readonly tier: AtlasTier;
  readonly limit: number;
  /** Worst case on the busiest node (the primary): every client's full pool plus its monitors. */
  readonly perNode: number;
  readonly uses: ReadonlyArray<ConnectionUse & { readonly connections: number }>;
  /** Connections left on the primary for the users' own clients (pymongo, Grafana, Charts). */
  readonly leftForUsers: number;
}

export function connectionBudget(tier: AtlasTier, uses: readonly ConnectionUse[], maxPoolSize: number = FUNCTION_MAX_POOL_SIZE): ConnectionBudget {
  const perClient = maxPoolSize + MONITORING_CONNECTIONS_PER_NODE;
  const counted = uses.map((u) => ({ ...u, connections: u.clients * perClient }));
  const perNode = counted.reduce((sum, u) => sum + u.connections, 0);
  const limit = ATLAS_TIER_CONNECTIONS[tier];
  return { tier, limit, perNode, uses: counted, leftForUsers: limit - ATLAS_RESERVED_PER_NODE - perNode };
}

/**
 * What the stack runs: the writer's SQS concurrency bound, the scheduled functions (a run plus a
 * retry or an on-demand call), the task (twice during a deployment). The auditor's in-run
 * concurrency (AuditFunction.CONCURRENCY) shares one client, so only its concurrent runs count.
 */
export function stackConnectionUses(writerMaxConcurrency: number, s3Export = false): ConnectionUse[] {
  return [
    { who: `writer (${writerMaxConcurrency} concurrent containers, the SQS event source maximum concurrency)`, clients: writerMaxConcurrency },
    { who: 'resampler (a scheduled run and an overlapping retry or on-demand run)', clients: 2 },
    { who: 'reporter (a scheduled run and an on-demand run)', clients: 2 },
    { who: 'ingest task (old and new task during a deployment)', clients: 2 },
    { who: 'auditor (a scheduled run and an on-demand run)', clients: AuditFunction.MAX_CONCURRENT_RUNS },
    ...(s3Export ? [{ who: 'exporter (a scheduled run and an on-demand run)', clients: 2 }] : []),
  ];
}
