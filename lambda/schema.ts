/**
 * The deploy-time schema step: a CloudFormation custom resource (no provider framework) that runs
 * `applySchema` on the store with the admin credential, on create and whenever its properties
 * (database, 1m retention, schema version) change, then answers CloudFormation on the pre-signed
 * ResponseURL. A failure fails the deploy, which rolls back: the functions never run against a
 * store whose schema the deploy could not apply. Delete changes nothing (data is never dropped).
 *
 * Env: MONGODB_ADMIN_SECRET_ARN (the secret of a user with dbAdmin + readWrite on the database),
 * MONGODB_DATABASE. Properties: RetentionDays (number of days, or "none" to remove the TTL).
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { openStore } from '../core/store';
import { logger } from './shared/powertools';
import { resolveStoreConfig } from './shared/store';

export const PHYSICAL_ID = 'kline-capture-schema';

/** The retention the custom resource asks for: "none" removes the TTL, a whole number keeps that many days. */
export function retentionOf(value: unknown): number | null {
  if (value === 'none' || value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`RetentionDays: expected a whole number of days or "none", got ${JSON.stringify(value)}`);
  return n;
}

/** Runs the schema step; the lines it reports (one per change made). */
export async function applySchemaStep(event: CloudFormationCustomResourceEvent, env: NodeJS.ProcessEnv = process.env, open: typeof openStore = openStore): Promise<string[]> {
  if (event.RequestType === 'Delete') return [];
  const secretArn = env.MONGODB_ADMIN_SECRET_ARN;
  if (!secretArn) throw new Error('MONGODB_ADMIN_SECRET_ARN is not set: the schema step needs the admin credential secret');
  const config = await resolveStoreConfig({ ...env, MONGODB_SECRET_ARN: secretArn });
  const store = await open(config, { schema: 'check', warn: () => undefined });
  try {
    return await store.applySchema({ retentionDays: retentionOf(event.ResourceProperties.RetentionDays) });
  } finally {
    await store.close();
  }
}

/** The cfn-response protocol: PUT the outcome to the pre-signed URL; CloudFormation waits for it. */
async function respond(event: CloudFormationCustomResourceEvent, context: Context | undefined, status: 'SUCCESS' | 'FAILED', reason: string, data: Record<string, string>): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    // CloudFormation shows only the first 4 KB of the reason.
    Reason: reason.slice(0, 3_500),
    PhysicalResourceId: PHYSICAL_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  });
  const response = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) } });
  if (!response.ok) throw new Error(`CloudFormation refused the custom resource response: HTTP ${response.status}${context ? ` (log stream ${context.logStreamName})` : ''}`);
}

/** The handler, with the store opener replaceable (tests). */
export const schemaHandler = (open: typeof openStore = openStore) => async (event: CloudFormationCustomResourceEvent, context?: Context): Promise<void> => {
  if (context) logger.addContext(context);
  try {
    const steps = await applySchemaStep(event, process.env, open);
    logger.info('schema step done', { requestType: event.RequestType, steps });
    await respond(event, context, 'SUCCESS', `schema applied: ${steps.length} change(s)`, { Changes: String(steps.length) });
  } catch (err) {
    logger.error('schema step failed', { requestType: event.RequestType, error: err });
    await respond(event, context, 'FAILED', `schema step failed: ${(err as Error).message}`, {});
  }
};

export const handler = schemaHandler();
