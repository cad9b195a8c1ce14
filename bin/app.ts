/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs this with tsx).
 * Reads and validates the context (unknown keys and settings given only on the command line refused), checks the region the deploy goes to
 * against Binance's US block, creates the stack and runs the cdk-nag AwsSolutions checks on it (an
 * unacknowledged finding fails the synth).
 */
import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { tierSizingWarning } from '../lib/tier-sizing';
import { AppConfig, AppConfigError, checkDeployRegion, placeholderWarnings, readAppConfig, unknownContextKeys } from '../lib/config';
import { configuredRegion } from '../lib/deploy-region';
import { KlineCaptureStack } from '../lib/kline-capture-stack';
import { commandLineOnlySettings, settingsFiles } from '../lib/settings-file';

function fail(message: string): never {
  // One line naming the bad setting, not a stack trace.
  console.error(message);
  process.exit(1);
}

async function main(): Promise<void> {
  const app = new App();
  const context = app.node.getAllContext();
  const unknown = unknownContextKeys(context);
  if (unknown.length > 0) fail(unknown.join('\n'));
  // Settings live in cdk.json, so a later deploy cannot lose them (lib/settings-file.ts).
  const onCommandLine = commandLineOnlySettings(context, settingsFiles());
  if (onCommandLine.length > 0) fail(onCommandLine.join('\n'));
  let config: AppConfig;
  try {
    config = readAppConfig((key) => app.node.tryGetContext(key));
  } catch (error) {
    if (!(error instanceof AppConfigError)) throw error;
    fail(error.message);
  }

  const region = checkDeployRegion(process.env, config, await configuredRegion(process.env));
  if (region?.severity === 'error') fail(region.message);

  // The stack is environment-agnostic, so synth needs no AWS call; it deploys to the CLI's region.
  const stack = new KlineCaptureStack(app, 'KlineCapture', {
    config,
    description: 'kline-capture: Binance 1m klines to MongoDB, resampled, with a scheduled data-quality report',
  });

  if (region?.severity === 'warning') Annotations.of(stack).addWarningV2('kline-capture:binance-region', region.message);
  for (const warning of placeholderWarnings(config)) Annotations.of(stack).addWarningV2('kline-capture:placeholder-address', warning);
  const sizing = tierSizingWarning({ tier: config.atlasTier, marketTypes: config.marketTypes, ...config.markets, klineRetentionDays: config.klineRetentionDays });
  if (sizing !== undefined) Annotations.of(stack).addWarningV2('kline-capture:tier-sizing', sizing);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
