/**
 * The region a deploy goes to as the AWS CLI and CDK CLI see it, for the synth-time Binance check:
 * AWS_REGION / AWS_DEFAULT_REGION, else the `region` of the selected profile in the shared config
 * file (`AWS_PROFILE`, else `default`; `[profile name]` sections; `AWS_CONFIG_FILE` or ~/.aws/config).
 * The profile is read by the AWS SDK's own region chain, so it resolves exactly as the tools do.
 */
import { SQSClient } from '@aws-sdk/client-sqs';

export type Env = Record<string, string | undefined>;

/** The region the user chose, or undefined when none is configured anywhere (e.g. an offline laptop). */
export async function configuredRegion(env: Env = process.env): Promise<string | undefined> {
  const named = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (named) return named;
  // No network: the SDK's node region chain reads the environment and the shared config files only.
  const client = new SQSClient({});
  try {
    return await client.config.region();
  } catch {
    return undefined; // "Region is missing"
  } finally {
    client.destroy();
  }
}
