/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs this with tsx).
 * Reads and validates the context, checks the region against Binance's US block, creates the stack
 * and runs the cdk-nag AwsSolutions checks on it (an unacknowledged finding fails the synth).
 */
import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AppConfig, AppConfigError, checkDeployRegion, placeholderWarnings, readAppConfig } from '../lib/config';
import { KlineCaptureStack } from '../lib/kline-capture-stack';

const app = new App();
let config: AppConfig;
try {
  config = readAppConfig((key) => app.node.tryGetContext(key));
} catch (error) {
  // One line naming the bad key, not a stack trace.
  if (!(error instanceof AppConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const region = checkDeployRegion(process.env, config);
if (region?.severity === 'error') {
  console.error(region.message);
  process.exit(1);
}

// The stack is environment-agnostic, so synth needs no AWS call; it deploys to the CLI's region.
const stack = new KlineCaptureStack(app, 'KlineCapture', {
  config,
  description: 'kline-capture: Binance spot 1m klines to MongoDB, resampled, with a scheduled data-quality report',
});

if (region?.severity === 'warning') Annotations.of(stack).addWarningV2('kline-capture:binance-region', region.message);

for (const warning of placeholderWarnings(config)) Annotations.of(stack).addWarningV2('kline-capture:placeholder-address', warning);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
