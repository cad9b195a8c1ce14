/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs this with tsx).
 * Reads and validates the context, refuses a region Binance does not serve, creates the stack and
 * runs the cdk-nag AwsSolutions checks on it (a finding that is not acknowledged fails the synth).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { binanceRegionProblem, readAppConfig } from '../lib/config';
import { KlineCaptureStack } from '../lib/kline-capture-stack';

const app = new App();
const config = readAppConfig((key) => app.node.tryGetContext(key));

// The stack is environment-agnostic (synth needs no AWS call); the deploy region is the CLI's.
const problem = binanceRegionProblem(process.env.CDK_DEFAULT_REGION, config);
if (problem !== undefined) throw new Error(problem);

new KlineCaptureStack(app, app.node.tryGetContext('stackName') ?? 'KlineCapture', {
  config,
  description: 'kline-capture: Binance spot 1m klines to MongoDB, resampled, with a daily data-quality report',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
