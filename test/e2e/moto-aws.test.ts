/**
 * End to end, the shape that runs in AWS, against real AWS APIs (Python moto's `moto_server`):
 * - the ingest built with ingest-task/Dockerfile's esbuild command, run with plain `node` as a
 *   non-root user, with the task definition's environment (SINK=sqs, the queue's URL), fed by the
 *   simulator, sending to an SQS queue in moto;
 * - the writer bundle `cdk synth` stages, loaded the way the Lambda runtime loads it, with the
 *   function's environment from the template, reading the MongoDB URI from moto's Secrets Manager,
 *   invoked with SQS events of ≤ 10 messages received from moto; what it reports in
 *   `batchItemFailures` is not deleted (a corrupt message is put in the queue to prove it);
 * - the reporter bundle sending its e-mail through moto's SES (refused before the sender identity
 *   is verified, accepted after), the message read back from moto;
 * - the store compared with the simulator's truth.
 * No MongoDB server can run here: the bundles open a SQLite file through `KLINE_STORE=sqlite:` once
 * they have read the secret (lambda/shared/store.ts); the MongoDB adapter has its own contract suite.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { VerifyEmailIdentityCommand, SESClient } from '@aws-sdk/client-ses';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MINUTE_MS } from '../../core/interval';
import { klineKey, type Kline } from '../../core/kline';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { compareKlines } from '../../bin/local/verify';
import { startSimulator, type Simulator } from '../../sim';
import { toolMissing } from '../lib/tools';
import { buildIngestBundle, functionNamed, resolveRefs, synthesize, type Synthesized } from './aws/artifacts';
import { startLambdaContainer, type LambdaContainer } from './aws/lambda-runtime';
import { MOTO_REGION, startMotoServer, type MotoServer } from './aws/moto-server';
import { waitFor } from './wait';

const skipped = toolMissing('moto_server', 'pip install "moto[server]>=5"');
const MARKETS = 12;
// One simulated minute per real second: ~20 closed minutes per market in the run.
const SPEED = 60;
const RUN_MS = 22_000;
const SENDER = 'reports@example.com';
const RECIPIENT = 'ops@example.org';
const MONGO_URI = 'mongodb+srv://capture:not-a-real-password@cluster0.example.mongodb.net/?retryWrites=true';
const CORRUPT_BODY = 'this is no kline batch';

/** Lines of a child's stdout/stderr, kept for assertions and failure messages. */
function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.trim() !== ''));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return lines;
}

/** The SQS event the Lambda service builds from received messages. */
function sqsEventOf(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'e2e',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: MOTO_REGION,
    })),
  };
}

/** The base64 body of the MIME part whose headers name `filename`, decoded. */
function attachment(raw: string, filename: string): string | undefined {
  const at = raw.indexOf(`filename=${filename}`) >= 0 ? raw.indexOf(`filename=${filename}`) : raw.indexOf(`filename="${filename}"`);
  if (at < 0) return undefined;
  const bodyStart = raw.indexOf('\r\n\r\n', at) + 4;
  const bodyEnd = raw.indexOf('\r\n--', bodyStart);
  return Buffer.from(raw.slice(bodyStart, bodyEnd).replace(/\s+/g, ''), 'base64').toString('utf8');
}

describe('deployed artifacts against moto_server (SQS, Secrets Manager, SES)', () => {
  if (skipped) {
    it.todo(`skipped: ${skipped}`);
    return;
  }
  let work: string;
  let synth: Synthesized;
  let ingestFile: string;
  let moto: MotoServer;
  let sim: Simulator;
  const containers: LambdaContainer[] = [];
  let storeFile: string;
  let secretArn: string;
  let window: { from: number; to: number };

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'kline-moto-e2e-'));
    // The stack's own bundles, once: NodejsFunction's local esbuild for each function.
    // The daily S3 export is left out: it is not on this path, and test/e2e/moto-exporter.test.ts runs its bundle against moto's S3.
    synth = synthesize(path.join(work, 'cdk.out'), { reportSender: SENDER, reportRecipients: [RECIPIENT], s3Export: false });
    const ingestDir = path.join(work, 'ingest');
    fs.mkdirSync(ingestDir);
    ingestFile = buildIngestBundle(ingestDir);
    // Readable by the unprivileged user the ingest runs as (the image's `USER node`).
    fs.chmodSync(work, 0o755);
    fs.chmodSync(ingestDir, 0o755);
    fs.chmodSync(ingestFile, 0o644);
    moto = await startMotoServer();
    storeFile = path.join(work, 'store', 'klines.db');
  }, 300_000);

  afterAll(async () => {
    for (const c of containers) await c.close();
    await sim?.close();
    await moto?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('moves every closed kline from the simulator through SQS into the store exactly once', async () => {
    // Prepare: the AWS side, as the stack declares it (the queue's redrive from the template).
    const clientConfig = { endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const sqs = new SQSClient(clientConfig);
    const secrets = new SecretsManagerClient(clientConfig);
    const queueProps = Object.values<any>(synth.template.Resources).find((r) => r.Type === 'AWS::SQS::Queue' && r.Properties.RedrivePolicy).Properties;
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'kline-dead-letters' }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'kline-batches',
        Attributes: {
          VisibilityTimeout: String(queueProps.VisibilityTimeout),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: queueProps.RedrivePolicy.maxReceiveCount }),
        },
      }),
    );
    // How the Lambda service polls for the writer: batch size, batching window, partial responses.
    const mapping = Object.values<any>(synth.template.Resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping').Properties;
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const batchSize: number = mapping.BatchSize;
    const batchingWindowMs: number = (mapping.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    const queueUrl = queue.QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    secretArn = (await secrets.send(new CreateSecretCommand({ Name: 'kline-capture/mongodb', SecretString: MONGO_URI }))).ARN!;
    const corruptId = (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: CORRUPT_BODY }))).MessageId!;

    sim = await startSimulator({ markets: MARKETS, speed: SPEED, seed: 10 });
    const queueRef = Object.entries<any>(synth.template.Resources).find(([, r]) => r.Properties === queueProps)![0];
    const { MONGODB_SECRET_ARN: _resumeSecret, ...taskEnv } = synth.ingestEnvironment;
    const ingestEnv = {
      // The task's environment from the template, minus MONGODB_SECRET_ARN: the task resumes from
      // MongoDB, which cannot run here, so this run starts without resume points.
      ...resolveRefs(taskEnv, { [queueRef]: queueUrl, 'AWS::Region': MOTO_REGION }),
      BINANCE_REST_URL: sim.restUrl,
      BINANCE_STREAM_URL: sim.streamUrl,
      ...moto.awsEnv,
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
    };
    expect(ingestEnv).toMatchObject({ SINK: 'sqs', SQS_QUEUE_URL: queueUrl, MARKET_TYPES: 'spot' });

    const writerFn = functionNamed(synth, 'WriterFunction');
    const storeEnv = { ...moto.awsEnv, KLINE_STORE: `sqlite:${storeFile}`, POWERTOOLS_LOG_LEVEL: 'WARN' };
    const writer = await startLambdaContainer(writerFn.file, writerFn.exportName, 'writer', {
      ...resolveRefs(writerFn.environment, { [Object.keys(synth.template.Resources).find((id) => id.startsWith('MongoSecret'))!]: secretArn }),
      ...storeEnv,
    });
    containers.push(writer);

    // Act: the ingest as the container runs it (non-root when we are root).
    const asRoot = process.getuid?.() === 0;
    const ingest = spawn(process.execPath, ['--enable-source-maps', path.basename(ingestFile)], {
      cwd: path.dirname(ingestFile),
      env: ingestEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    const ingestLines = collectLines(ingest);
    const ingestExit = new Promise<number | null>((resolve) => ingest.once('exit', (code) => resolve(code)));
    let ingestDone = false;
    void ingestExit.then(() => (ingestDone = true));

    // The Lambda service's side: gather up to the batch size within the batching window, invoke,
    // delete what was not reported failed (nothing when the handler throws).
    const failedIds = new Set<string>();
    let invocations = 0;
    let largestBatch = 0;
    const receive = async (max: number) =>
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, max), WaitTimeSeconds: 1, AttributeNames: ['All'] }))).Messages ?? [];
    const drain = (async () => {
      let idleAfterStop = 0;
      while (idleAfterStop < 2) {
        const messages = await receive(batchSize);
        const windowEnds = Date.now() + batchingWindowMs;
        while (messages.length > 0 && messages.length < batchSize && Date.now() < windowEnds && !ingestDone) messages.push(...(await receive(batchSize - messages.length)));
        if (ingestDone && messages.length === 0) idleAfterStop++;
        else idleAfterStop = 0;
        if (messages.length === 0) continue;
        invocations++;
        largestBatch = Math.max(largestBatch, messages.length);
        const { result, error } = await writer.invoke<SQSBatchResponse>(sqsEventOf(messages, queueArn));
        if (error) {
          // A thrown handler (e.g. every record failed): the whole batch comes back, nothing is deleted.
          for (const m of messages) failedIds.add(m.MessageId!);
          continue;
        }
        const failures = new Set(result!.batchItemFailures.map((f) => f.itemIdentifier));
        for (const id of failures) failedIds.add(id);
        const done = messages.filter((m) => !failures.has(m.MessageId!));
        if (done.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    })();

    await waitFor(() => ingestLines.some((l) => l.includes('ingest started')) || ingestDone, 60_000, () => ingestLines.join('\n'), 100);
    expect(ingestDone).toBe(false);
    const startedAt = sim.now();
    await new Promise((r) => setTimeout(r, RUN_MS));
    const stoppedAt = sim.now();
    ingest.kill('SIGTERM');
    const code = await ingestExit;
    await drain;

    // Assess: the ingest stopped cleanly after flushing.
    expect({ code, tail: code === 0 ? [] : ingestLines.slice(-10) }).toEqual({ code: 0, tail: [] });
    expect(ingestLines.some((l) => l.includes('stopped cleanly'))).toBe(true);
    // The writer saw batches of at most 10 and reported the corrupt message, which was never deleted.
    expect(largestBatch).toBeLessThanOrEqual(10);
    expect(largestBatch).toBeGreaterThan(1);
    expect(invocations).toBeGreaterThan(1);
    expect([...failedIds]).toEqual([corruptId]);
    const left = await Promise.all(
      [queueUrl, dlq.QueueUrl!].map(async (url) => {
        const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
        return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
      }),
    );
    // Only the corrupt message is left, waiting out its visibility timeout (the DLQ after maxReceiveCount).
    expect(left[0] + left[1]).toBe(1);
    expect(writer.lines().some((l) => l.includes('corrupt message'))).toBe(true);

    // The store against the truth: every minute that opened after the ingest started and closed
    // before the stop (less the one closing as the stop came), exactly once and exactly equal.
    window = { from: Math.floor(startedAt / MINUTE_MS) * MINUTE_MS + MINUTE_MS, to: Math.floor(stoppedAt / MINUTE_MS) * MINUTE_MS - MINUTE_MS };
    const store = new SqliteKlineStore({ path: storeFile });
    try {
      const truth: Kline[] = [];
      const truthByKey = new Map<string, Kline>();
      for (const m of sim.markets()) for (const k of sim.truth(m.symbol, window.from - 60 * MINUTE_MS, stoppedAt)) truthByKey.set(klineKey(k), k);
      for (const m of sim.expectedMinutes(window.from, window.to - 1)) truth.push(truthByKey.get(klineKey({ marketType: 'spot', ...m }))!);
      const inWindow = await store.read({ marketType: 'spot', interval: '1m', from: window.from, to: window.to });
      const check = compareKlines(truth, inWindow);
      expect(check.examples).toEqual([]);
      expect(check).toMatchObject({ missing: 0, duplicated: 0, differing: 0, unexpected: 0 });
      expect(check.expected).toBeGreaterThanOrEqual(MARKETS * 10);
      // Whatever else was stored (the edges of the run) is exactly what the exchange published.
      const all = await store.read({ marketType: 'spot', interval: '1m', from: 0, to: stoppedAt + MINUTE_MS });
      const rest = compareKlines(all.map((k) => truthByKey.get(klineKey(k))).filter((k): k is Kline => k !== undefined), all);
      expect(rest).toMatchObject({ missing: 0, duplicated: 0, differing: 0, unexpected: 0 });
    } finally {
      await store.close();
    }
  }, 240_000);

  it('sends the quality report through SES once the sender is verified, with the store’s figures', async () => {
    expect(window).toBeDefined();
    const reporterFn = functionNamed(synth, 'ScheduledReporter');
    const reporter = await startLambdaContainer(reporterFn.file, reporterFn.exportName, 'reporter', {
      ...resolveRefs(reporterFn.environment, { [Object.keys(synth.template.Resources).find((id) => id.startsWith('MongoSecret'))!]: secretArn }),
      ...moto.awsEnv,
      KLINE_STORE: `sqlite:${storeFile}`,
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    containers.push(reporter);
    const event = { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() };

    // Act: before the identity is verified SES refuses; after, it sends.
    const refused = await reporter.invoke(event);
    await new SESClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }).send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));
    const sent = await reporter.invoke<{ completenessPercent: number | null; messageId: string; subject: string; recipients: number }>(event);

    // Assess
    expect(refused.error).toBeDefined();
    expect(reporter.lines().some((l) => l.includes('quality report not sent'))).toBe(true);
    expect(sent.error).toBeUndefined();
    expect(sent.result).toMatchObject({ completenessPercent: 100, recipients: 1 });
    const raw = ((await moto.data()).ses.RawMessage as Array<{ id: string; source: string; destinations: string[]; raw_data: string }>).filter((m) => m.id === sent.result!.messageId);
    expect(raw).toHaveLength(1);
    expect(raw[0].source).toBe(SENDER);
    expect(raw[0].destinations).toContain(RECIPIENT);
    const csvName = /filename="?([^"\r\n]+\.csv)"?/.exec(raw[0].raw_data)?.[1];
    expect(csvName).toBeDefined();
    const csv = attachment(raw[0].raw_data, csvName!)!;
    const rows = csv.trim().split(/\r?\n/).slice(1);
    // One row per market the simulator lists, each in the CSV.
    expect(rows).toHaveLength(sim.markets().length);
    for (const m of sim.markets()) expect(csv).toContain(m.symbol);
  }, 120_000);
});
