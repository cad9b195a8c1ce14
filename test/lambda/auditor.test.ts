import './quiet';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import startSesLocal from 'aws-ses-v2-local';
import type { Kline } from '../../core/kline';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { handler as auditor, readAuditorSettings, requestedDay } from '../../lambda/auditor';
import { handler as reporter } from '../../lambda/reporter';
import { setStoreForTests } from '../../lambda/shared/store';
import { startSimulator, type Simulator } from '../../sim';

const H = 3_600_000;
const M = 60_000;
const DAY_MS = 86_400_000;
const DAY = Date.UTC(2026, 0, 3);
const MAINTENANCE = { from: DAY + 10 * H, to: DAY + 11 * H };

let sim: Simulator;
let ses: Server;
let sesUrl: string;
let a: string;
let b: string;
let store: SqliteKlineStore;
const savedEnv = { ...process.env };

beforeAll(async () => {
  sim = await startSimulator({ markets: 2, seed: 11, speed: 1, historyMs: 3 * DAY_MS, unicodeSymbols: 0, maintenance: [MAINTENANCE] });
  [a, b] = sim.symbols();
  ses = await startSesLocal({ host: '127.0.0.1', port: 0 });
  sesUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => ses.close(() => resolve()));
});

beforeEach(async () => {
  process.env.BINANCE_DUMPS_URL = sim.restUrl;
  process.env.BINANCE_REST_URL = sim.restUrl;
  process.env.AUDIT_MARKET_TYPES = 'spot';
  store = new SqliteKlineStore(':memory:');
  await store.applySchema();
  setStoreForTests(store);
});
afterEach(async () => {
  setStoreForTests(undefined);
  await store.close();
  sim.dumps.setFaults([]);
  process.env = { ...savedEnv };
  jest.restoreAllMocks();
});

const truth = (s: string): Kline[] => sim.truth(s, DAY, DAY + DAY_MS - 1);

describe('auditor handler against the simulator’s dump site', () => {
  test('audits the asked day: repairs our losses from the dump, keeps the differing minute, keeps the result for the report', async () => {
    // Prepare: a lacks two minutes; b has one minute Binance later corrected.
    const lost = new Set([DAY + 3 * H, DAY + 15 * H + 7 * M]);
    const corrected = DAY + 12 * H + 7 * M;
    sim.dumps.setFaults([{ kind: 'corrected-row', symbol: b, date: '2026-01-03', openTime: corrected }]);
    const fromRest = new Set([DAY + 5 * H, DAY + 5 * H + M]);
    await store.upsert('1m', [...truth(a).filter((k) => !lost.has(k.openTime)).map((k) => (fromRest.has(k.openTime) ? { ...k, source: 'rest' as const } : k)), ...truth(b)]);
    await store.recordMarketStatus(sim.marketHistory());

    // Act
    const response = await auditor({ date: '2026-01-03' });

    // Assess: 23 hours of each market (one hour of maintenance), two repaired, one differing.
    expect(response).toMatchObject({ day: '2026-01-03', failed: [], notPublished: 0 });
    expect(response.totals).toMatchObject({ markets: 2, audited: 2, exchangeMinutes: 2 * 1380, equal: 2 * 1380 - 3, differing: 1, missingOurs: 2, repaired: 2, missingTheirs: 0 });
    expect(response.totals.gapMinutes['no-kline-at-exchange']).toBe(2 * 60);
    // The maintenance hour was asked of REST too (one request per market): the exchange's gap, confirmed.
    expect(response.totals.rest).toStrictEqual({ askedMinutes: 2 * 60, requests: 2, notAsked: 0, failedMinutes: 0 });
    expect(response.rest).toBe('REST asked about 120 minutes in 2 requests; 0 not asked (cap)');
    // Our minutes before repair, by provenance: a had two of its stream minutes restored from REST earlier.
    expect(response.totals.bySource).toStrictEqual({ stream: 2 * 1380 - 2 - 2, rest: 2, dump: 0 });
    const repaired = await store.read({ marketType: 'spot', interval: '1m', symbols: [a], from: DAY, to: DAY + DAY_MS });
    expect(repaired.filter((k) => lost.has(k.openTime))).toStrictEqual(truth(a).filter((k) => lost.has(k.openTime)).map((k) => ({ ...k, source: 'dump' })));
    const [kept] = await store.read({ marketType: 'spot', interval: '1m', symbols: [b], from: corrected, to: corrected + M });
    expect(kept).toStrictEqual(truth(b).find((k) => k.openTime === corrected));
    const [saved] = await store.readAudits({ from: DAY, to: DAY + DAY_MS });
    expect(saved.totals).toStrictEqual(response.totals);

    // The daily report two days later shows it (the reporter Lambda, through the real SES API).
    process.env.REPORT_SENDER = 'reports@example.com';
    process.env.REPORT_RECIPIENTS = 'ops@example.com';
    process.env.SES_ENDPOINT = sesUrl;
    process.env.AWS_REGION = 'eu-west-1';
    await fetch(`${sesUrl}/clear-store`, { method: 'POST' });
    await reporter({ from: new Date(DAY + 2 * DAY_MS).toISOString(), to: new Date(DAY + 3 * DAY_MS).toISOString() });
    const { emails } = (await (await fetch(`${sesUrl}/store`)).json()) as { emails: { body: { html: string }; attachments: { filename?: string; content: string }[] }[] };
    expect(emails).toHaveLength(1);
    expect(emails[0].body.html).toContain('Audit against Binance’s dump');
    expect(emails[0].body.html).toMatch(/Our minutes by source \(before repair\): stream, REST backfill, dump<\/td><td[^>]*>2,756 · 2 · 0</);
    expect(emails[0].body.html).toMatch(/REST asked about 120 minutes in 2 requests; 0 not asked \(cap\); exchange gaps not confirmed by REST<\/td><td[^>]*>0 min</);
    expect(emails[0].body.html).toContain(`verified against Binance’s dump: <b>${(2 * 1380 - 3).toLocaleString('en')} of ${(2 * 1380).toLocaleString('en')}</b>`);
    const csv = emails[0].attachments.find((f) => f.filename?.endsWith('-audit.csv'));
    expect(Buffer.from(csv!.content, 'base64').toString('utf8')).toContain(`2026-01-03,spot,${b},2026-01-03T12:07:00.000Z,trades,`);
  }, 60_000);

  test('on schedule, audits the day before yesterday; a corrupt dump is reported by name and never imported', async () => {
    const now = DAY + 2 * DAY_MS + 3 * H;
    jest.spyOn(Date, 'now').mockReturnValue(now);
    sim.dumps.setFaults([{ kind: 'corrupt-zip', symbol: a, date: '2026-01-03' }]);
    await store.upsert('1m', truth(b).slice(0, 600));
    await store.recordMarketStatus(sim.marketHistory());

    const response = await auditor({ 'detail-type': 'Scheduled Event' });

    expect(response.day).toBe('2026-01-03');
    expect(response.failed).toStrictEqual([expect.stringContaining(`${a}-1m-2026-01-03.zip`)]);
    expect(response.totals).toMatchObject({ audited: 1, repaired: 1380 - 600 });
    expect(await store.read({ marketType: 'spot', interval: '1m', symbols: [a], from: DAY, to: DAY + DAY_MS })).toStrictEqual([]);
  }, 60_000);

  test('REST is asked at most AUDIT_REST_MAX_REQUESTS times a run; the minutes left are counted and their gaps unverified', async () => {
    process.env.AUDIT_REST_MAX_REQUESTS = '1';
    // a lost the maintenance hour's neighbour too: the dump has it, so it is repaired, not asked of REST.
    const lost = MAINTENANCE.to;
    await store.upsert('1m', [...truth(a).filter((k) => k.openTime !== lost), ...truth(b)]);
    await store.recordMarketStatus(sim.marketHistory());

    const response = await auditor({ date: '2026-01-03' });

    expect(response.totals).toMatchObject({ repaired: 1, restRecovered: 0, rest: { askedMinutes: 60, requests: 1, notAsked: 60, failedMinutes: 0 } });
    expect(response.rest).toBe('REST asked about 60 minutes in 1 requests; 60 not asked (cap)');
    expect(response.headline).toContain('REST asked about 60 minutes in 1 requests; 60 not asked (cap)');
    // Both hours are the exchange's gap by the dump; one was confirmed by REST, the other is the dump's word alone.
    const exchangeGaps = response.totals.gapMinutes['no-kline-at-exchange'];
    expect(exchangeGaps).toBe(120);
    const [saved] = await store.readAudits({ from: DAY, to: DAY + DAY_MS });
    const gapsOf = (s: string) => saved.markets.find((m) => m.market.symbol === s)!.gaps.filter((g) => g.class === 'no-kline-at-exchange');
    expect([gapsOf(a), gapsOf(b)].map((g) => g.map((x) => x.unverified ?? false)).sort()).toStrictEqual([[false], [true]]);
  }, 60_000);

  test('AUDIT_REST_MAX_REQUESTS=0 asks REST nothing: no REST line, every exchange gap unverified', async () => {
    process.env.AUDIT_REST_MAX_REQUESTS = '0';
    process.env.BINANCE_REST_URL = 'http://127.0.0.1:9'; // would fail if asked
    await store.upsert('1m', truth(a));
    await store.recordMarketStatus(sim.marketHistory());

    const response = await auditor({ date: '2026-01-03' });

    expect(response.rest).toBeUndefined();
    expect(response.totals.rest).toBeUndefined();
    const [saved] = await store.readAudits({ from: DAY, to: DAY + DAY_MS });
    expect(saved.markets.flatMap((m) => m.gaps).filter((g) => g.class === 'no-kline-at-exchange').every((g) => g.unverified === true)).toBe(true);
  }, 60_000);

  test('a day not yet published is listed as such, nothing repaired', async () => {
    const today = Math.floor(sim.now() / DAY_MS) * DAY_MS;
    await store.upsert('1m', sim.truth(a, today - DAY_MS, today - DAY_MS + 10 * M - 1).map((k) => ({ ...k, openTime: k.openTime + DAY_MS, closeTime: k.closeTime + DAY_MS })));

    const response = await auditor({ date: new Date(today).toISOString().slice(0, 10) });

    expect(response).toMatchObject({ notPublished: 1, failed: [] });
    expect(response.totals).toMatchObject({ audited: 0, repaired: 0 });
  }, 60_000);
});

describe('auditor settings', () => {
  test('defaults: data.binance.vision, spot, two days of lag, 8 at once', () => {
    expect(readAuditorSettings({})).toStrictEqual({ dumpsUrl: 'https://data.binance.vision', marketTypes: ['spot'], lagDays: 2, concurrency: 8, restMaxRequests: 500 });
    expect(readAuditorSettings({ AUDIT_REST_MAX_REQUESTS: '0' }).restMaxRequests).toBe(0);
  });

  test('bad settings fail naming the setting', () => {
    expect(() => readAuditorSettings({ AUDIT_MARKET_TYPES: 'spot,margin' })).toThrow(/AUDIT_MARKET_TYPES.*margin/);
    expect(() => readAuditorSettings({ BINANCE_DUMPS_URL: 'data.binance.vision' })).toThrow(/BINANCE_DUMPS_URL/);
    expect(() => readAuditorSettings({ AUDIT_CONCURRENCY: '0' })).toThrow(/AUDIT_CONCURRENCY/);
    expect(() => readAuditorSettings({ AUDIT_REST_MAX_REQUESTS: '-1' })).toThrow(/AUDIT_REST_MAX_REQUESTS/);
    expect(() => readAuditorSettings({ AUDIT_REST_MAX_REQUESTS: 'lots' })).toThrow(/AUDIT_REST_MAX_REQUESTS/);
  });

  test('an on-demand date must be a day', () => {
    expect(requestedDay({ date: '2026-01-03' })).toBe(DAY);
    expect(requestedDay({})).toBeUndefined();
    expect(() => requestedDay({ date: '2026-13-40' })).toThrow(/date/);
    expect(() => requestedDay({ date: 20260103 })).toThrow(/date/);
  });
});
