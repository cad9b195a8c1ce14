/**
 * Every metric an alarm or a dashboard widget of the synthesized template reads in our namespace is
 * one the code really emits, with the same namespace, name and dimensions: the ingest task runs
 * briefly against the simulator and each Lambda handler runs once (and once failing), and their
 * EMF lines are collected as CloudWatch would receive them.
 */
delete process.env.POWERTOOLS_METRICS_DISABLED;
delete process.env.POWERTOOLS_DEV;
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

import { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { encodeBatch } from '../../core/codec';
import { StoreUnavailableError } from '../../core/errors';
import { INGEST_SERVICE, METRICS_NAMESPACE } from '../../core/metric-names';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { readIngestConfig } from '../../ingest-task/config';
import { startIngest } from '../../ingest-task/capture/ingest';
import { EmfPublisher } from '../../ingest-task/metrics';
import { InProcessSink } from '../../ingest-task/sinks/in-process';
import { handler as reporter } from '../../lambda/reporter';
import { handler as resampler } from '../../lambda/resampler';
import { setStoreForTests } from '../../lambda/shared/store';
import { handler as writer } from '../../lambda/writer';
import { MARKET_TYPES, type MarketType } from '../../core/market';
import { VENUES } from '../../core/binance/venues';
import { startSimulator } from '../../sim/index';
import { makeSeries, MINUTE, T0 } from '../core/store/fixtures';
import { lambdaContext, sqsEvent } from '../lambda/helpers';
import { buildStack } from './helpers';

interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  where: string;
}

type Json = Record<string, unknown>;

/** What the alarms read: single-metric alarms and metric-math alarms' MetricStat entries. */
function alarmMetrics(template: Json): MetricRef[] {
  const refs: MetricRef[] = [];
  for (const [id, r] of Object.entries(template.Resources as Record<string, Json>)) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = r.Properties as Json;
    const dims = (d: unknown) => Object.fromEntries(((d as Array<{ Name: string; Value: unknown }>) ?? []).map((x) => [x.Name, typeof x.Value === 'string' ? x.Value : 'TOKEN']));
    if (typeof p.MetricName === 'string') refs.push({ namespace: p.Namespace as string, name: p.MetricName, dimensions: dims(p.Dimensions), where: `alarm ${id}` });
    for (const q of (p.Metrics as Json[] | undefined) ?? []) {
      if (typeof q.Expression === 'string') refs.push({ namespace: 'EXPRESSION', name: q.Expression, dimensions: {}, where: `alarm ${id}` });
      const stat = (q.MetricStat as Json | undefined)?.Metric as Json | undefined;
      if (stat) refs.push({ namespace: stat.Namespace as string, name: stat.MetricName as string, dimensions: dims(stat.Dimensions), where: `alarm ${id}` });
    }
  }
  return refs;
}

/** What the dashboard widgets read: each `[namespace, name, dimName, dimValue, …, {options}]` row. */
function dashboardMetrics(template: Json): MetricRef[] {
  const refs: MetricRef[] = [];
  for (const [id, r] of Object.entries(template.Resources as Record<string, Json>)) {
    if (r.Type !== 'AWS::CloudWatch::Dashboard') continue;
    const body = (r.Properties as Json).DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
    const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
    for (const widget of (JSON.parse(text) as { widgets: Array<{ properties: Json }> }).widgets) {
      for (const row of (widget.properties.metrics as unknown[][] | undefined) ?? []) {
        const plain = row.filter((x): x is string => typeof x === 'string');
        if (row.some((x) => typeof x === 'object' && x !== null && 'expression' in x)) {
          refs.push({ namespace: 'EXPRESSION', name: JSON.stringify(row), dimensions: {}, where: `dashboard ${id}` });
          continue;
        }
        const [namespace, name, ...pairs] = plain;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
        refs.push({ namespace, name, dimensions, where: `dashboard ${id} "${String(widget.properties.title)}"` });
      }
    }
  }
  return refs;
}

interface Emitted {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

/** The metrics one EMF line defines (CloudWatch's reading of `_aws.CloudWatchMetrics`). */
function emittedBy(line: string): Emitted[] {
  let doc: Json;
  try {
    doc = JSON.parse(line) as Json;
  } catch {
    return [];
  }
  const aws = doc._aws as { CloudWatchMetrics?: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } | undefined;
  return (aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
    directive.Dimensions.flatMap((set) =>
      directive.Metrics.map((m) => ({ namespace: directive.Namespace, name: m.Name, dimensions: Object.fromEntries(set.map((d) => [d, String(doc[d])])) })),
    ),
  );
}

const key = (m: { namespace: string; name: string; dimensions: Record<string, string> }) =>
  `${m.namespace} ${m.name} ${JSON.stringify(Object.entries(m.dimensions).sort())}`;

/** Runs `fn` with stdout captured line by line (Powertools writes its EMF lines there). */
async function captureStdout(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((l) => l.trim() !== ''));
    return true;
  });
  try {
    await fn().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return lines;
}

/** One venue's ingest, briefly, against a simulator of that venue, as ingest-task/main.ts wires it. */
async function ingestLines(marketType: MarketType): Promise<string[]> {
  const sim = await startSimulator({ marketType, markets: 10, speed: 300, seed: 9, limits: { weightWindowMs: 1_000 } });
  const lines: string[] = [];
  try {
    // As ingest-task/main.ts builds its publisher: the configured namespace, INGEST_SERVICE, the venue's type.
    const config = readIngestConfig({ SINK: 'in-process' });
    const metrics = new EmfPublisher({ namespace: config.metricsNamespace, service: INGEST_SERVICE, marketType, write: (l) => lines.push(l) });
    const ingest = await startIngest({
      venue: VENUES[marketType],
      restUrl: sim.restUrl,
      streamUrl: sim.streamUrl,
      sink: new InProcessSink({ onBatch: async () => undefined }),
      flushIntervalMs: 50,
      metrics,
      metricsIntervalMs: 300,
    });
    await new Promise((r) => setTimeout(r, 1_500));
    await ingest.stop();
  } finally {
    await sim.close();
  }
  return lines;
}

async function lambdaLines(): Promise<string[]> {
  const store = new SqliteKlineStore(':memory:');
  await store.applySchema();
  const ses = mockClient(SESClient);
  const saved = { ...process.env };
  Object.assign(process.env, { REPORT_SENDER: 'reports@example.com', REPORT_RECIPIENTS: 'ops@example.com', AWS_REGION: 'eu-west-1' });
  const lines: string[] = [];
  try {
    setStoreForTests(store);
    await store.recordMarketStatus([{ marketType: 'spot', symbol: 'AAAUSDT', status: 'TRADING', at: T0 - MINUTE }]);
    const [body] = encodeBatch({ klines: makeSeries(['AAAUSDT'], T0, 60), marketEvents: [] });
    lines.push(...(await captureStdout(() => writer(sqsEvent([{ id: 'm1', body }]), lambdaContext))));
    lines.push(...(await captureStdout(() => resampler({ from: new Date(T0).toISOString(), to: new Date(T0 + 60 * MINUTE).toISOString() }))));
    ses.on(SendRawEmailCommand).resolves({ MessageId: 'ok' });
    const window = { from: new Date(T0).toISOString(), to: new Date(T0 + 60 * MINUTE).toISOString() };
    lines.push(...(await captureStdout(() => reporter(window))));
    // The failure paths publish their own metrics.
    ses.on(SendRawEmailCommand).rejects(new Error('MessageRejected: Email address is not verified'));
    lines.push(...(await captureStdout(() => reporter(window))));
    jest.spyOn(store, 'upsert').mockRejectedValue(new StoreUnavailableError('MongoDB is unavailable: querySrv ENOTFOUND'));
    lines.push(...(await captureStdout(() => writer(sqsEvent([{ id: 'm2', body }]), lambdaContext))));
  } finally {
    jest.restoreAllMocks();
    ses.restore();
    setStoreForTests(undefined);
    await store.close();
    process.env = saved;
  }
  return lines;
}

describe('metrics: what the alarms and the dashboard read is what the code emits', () => {
  let read: MetricRef[];
  let emitted: Set<string>;

  beforeAll(async () => {
    // Every market type selected: one "no klines forwarded" alarm and widget each.
    const template = buildStack({ alarmEmail: 'oncall@example.com', marketTypes: [...MARKET_TYPES] }).template.toJSON() as Json;
    read = [...alarmMetrics(template), ...dashboardMetrics(template)];
    const lines: string[] = [];
    for (const type of MARKET_TYPES) lines.push(...(await ingestLines(type)));
    lines.push(...(await lambdaLines()));
    emitted = new Set(lines.flatMap(emittedBy).map(key));
  }, 240_000);

  it('reads no metric through a search or math expression that could match nothing', () => {
    expect(read.filter((r) => r.namespace === 'EXPRESSION')).toEqual([]);
  });

  it('reads the ingest, writer, reporter and store metrics in our namespace', () => {
    const ours = read.filter((r) => r.namespace === METRICS_NAMESPACE).map((r) => r.name);
    expect(new Set(ours)).toEqual(new Set(['KlinesForwarded', 'CompletenessPercent', 'StoreUnavailable', 'ReportSendFailures']));
  });

  it('finds every metric it reads in our namespace among the EMF lines, with the same dimensions', () => {
    const missing = read.filter((r) => r.namespace === METRICS_NAMESPACE && !emitted.has(key(r)));
    expect(missing).toEqual([]);
  });

  it('reads KlinesForwarded per market type, one alarm each, as each venue\'s ingest emits it', () => {
    const perType = read.filter((r) => r.name === 'KlinesForwarded' && r.where.startsWith('alarm')).map((r) => r.dimensions.MarketType);
    expect(perType.sort()).toEqual([...MARKET_TYPES].sort());
    for (const type of MARKET_TYPES) expect(emitted.has(key({ namespace: METRICS_NAMESPACE, name: 'KlinesForwarded', dimensions: { Service: INGEST_SERVICE, MarketType: type } }))).toBe(true);
  });

  it('would catch a renamed or re-dimensioned metric (the check is not vacuous)', () => {
    const forwarded = read.find((r) => r.name === 'KlinesForwarded')!;
    expect(emitted.has(key(forwarded))).toBe(true);
    expect(emitted.has(key({ ...forwarded, name: 'KlinesForwardedPerMinute' }))).toBe(false);
    expect(emitted.has(key({ ...forwarded, dimensions: { service: 'ingest-task' } }))).toBe(false);
  });
});
