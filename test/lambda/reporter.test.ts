import './quiet';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import startSesLocal from 'aws-ses-v2-local';
import { METRIC } from '../../core/metric-names';
import { SqliteKlineStore } from '../../core/store/sqlite';
import { buildQualityReport } from '../../core/report';
import { handler, MAX_GAPS_CSV_BYTES, reportAttachments } from '../../lambda/reporter';
import { metrics } from '../../lambda/shared/powertools';
import { setStoreForTests } from '../../lambda/shared/store';
import { makeSeries, MINUTE, T0 } from '../core/store/fixtures';

const DAY = 1440 * MINUTE;
const RECIPIENTS = ['ops@example.com', 'data@example.org'];
const SENDER = 'reports@example.com';

/** What aws-ses-v2-local keeps of each message it received (GET /store). */
interface ReceivedEmail {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  attachments: { filename?: string; contentType: string; content: string }[];
}

let ses: Server;
let sesUrl: string;

async function receivedEmails(): Promise<ReceivedEmail[]> {
  const response = await fetch(`${sesUrl}/store`);
  return ((await response.json()) as { emails: ReceivedEmail[] }).emails;
}

function csvRows(base64: string): string[][] {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  return text
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.split(','));
}

beforeAll(async () => {
  ses = await startSesLocal({ host: '127.0.0.1', port: 0 });
  sesUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => ses.close(() => resolve()));
});

describe('reporter handler (real SES API served by aws-ses-v2-local)', () => {
  const savedEnv = { ...process.env };
  let store: SqliteKlineStore;

  beforeEach(async () => {
    await fetch(`${sesUrl}/clear-store`, { method: 'POST' });
    process.env.REPORT_SENDER = SENDER;
    process.env.REPORT_RECIPIENTS = RECIPIENTS.join(', ');
    process.env.SES_ENDPOINT = sesUrl;
    process.env.AWS_REGION = 'eu-west-1';
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.REPORT_PERIOD_HOURS;
    store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    setStoreForTests(store);
  });

  afterEach(async () => {
    setStoreForTests(undefined);
    await store.close();
    process.env = { ...savedEnv };
    jest.restoreAllMocks();
  });

  /** Two markets trading all day; BBBUSDT misses 10:00–10:59 (60 of 1440 minutes). */
  async function storeOneDay(day: number): Promise<void> {
    await store.recordMarketStatus([
      { marketType: 'spot', symbol: 'AAAUSDT', status: 'TRADING', at: day - MINUTE },
      { marketType: 'spot', symbol: 'BBBUSDT', status: 'TRADING', at: day - MINUTE },
    ]);
    const gapFrom = day + 10 * 60 * MINUTE;
    const bbb = makeSeries(['BBBUSDT'], day, 1440).filter((k) => k.openTime < gapFrom || k.openTime >= gapFrom + 60 * MINUTE);
    await store.upsert('1m', [...makeSeries(['AAAUSDT'], day, 1440), ...bbb]);
  }

  it("e-mails the previous UTC day's report to every recipient with its figures and the per-market CSV", async () => {
    // Prepare: the daily run at 00:15 the next day.
    await storeOneDay(T0);
    jest.spyOn(Date, 'now').mockReturnValue(T0 + DAY + 15 * MINUTE);
    const recorded = jest.spyOn(metrics, 'addMetric');

    // Act
    const response = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' });

    // Assess
    const emails = await receivedEmails();
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email.from).toBe(SENDER);
    expect(email.destination.to.join(', ').split(/,\s*/).sort()).toStrictEqual([...RECIPIENTS].sort());
    // 2,820 of 2,880 expected minutes = 97.916… %, shown rounded down.
    expect(email.subject).toContain('2024-03-01');
    expect(email.subject).toContain('97.91 %');
    expect(email.body.html).toContain('2,820');
    expect(email.body.html).toContain('2,880');
    expect(email.body.text).toBe(response.summaryLine);

    const markets = email.attachments.find((a) => a.filename?.endsWith('.csv') && !a.filename.includes('gaps'));
    expect(markets?.contentType).toMatch(/^text\/csv/);
    const [header, ...rows] = csvRows(markets!.content);
    const row = (symbol: string) => Object.fromEntries(header.map((h, i) => [h, rows.find((r) => r[1] === symbol)?.[i]]));
    expect(rows).toHaveLength(2);
    expect(row('BBBUSDT')).toMatchObject({ market_type: 'spot', expected_minutes: '1440', captured: '1380', missing_minutes: '60', available_pct: '95.83', gap_count: '1' });
    expect(row('AAAUSDT')).toMatchObject({ expected_minutes: '1440', captured: '1440', missing_minutes: '0', available_pct: '100.00' });

    const gaps = email.attachments.find((a) => a.filename?.includes('gaps'));
    expect(csvRows(gaps!.content).slice(1)).toStrictEqual([['spot', 'BBBUSDT', '2024-03-01T10:00:00Z', '2024-03-01T11:00:00Z', '60']]);

    expect(response.from).toBe('2024-03-01T00:00:00.000Z');
    expect(response.to).toBe('2024-03-02T00:00:00.000Z');
    expect(response.completenessPercent).toBeCloseTo((2820 / 2880) * 100, 10);
    expect(recorded).toHaveBeenCalledWith(METRIC.completenessPercent, 'Percent', response.completenessPercent);
  });

  it('reports the window an on-demand request names', async () => {
    // Prepare
    await storeOneDay(T0);

    // Act: 09:00–12:00 holds BBBUSDT's whole gap: 300 of 360 minutes.
    const response = await handler({ from: '2024-03-01T09:00:00Z', to: '2024-03-01T12:00:00Z' });

    // Assess
    const [email] = await receivedEmails();
    expect(response.from).toBe('2024-03-01T09:00:00.000Z');
    expect(response.completenessPercent).toBeCloseTo((300 / 360) * 100, 10);
    expect(email.subject).toContain('83.33 %');
  });

  it('sends a report that says nothing was expected for an empty window, and publishes no completeness', async () => {
    // Prepare
    const recorded = jest.spyOn(metrics, 'addMetric');

    // Act
    const response = await handler({ from: '2024-03-01T00:00:00Z', to: '2024-03-02T00:00:00Z' });

    // Assess
    const [email] = await receivedEmails();
    expect(email.subject).toContain('nothing expected');
    expect(email.attachments).toHaveLength(1);
    expect(csvRows(email.attachments[0].content)).toHaveLength(1); // the header only
    expect(response.completenessPercent).toBeNull();
    expect(recorded.mock.calls.map(([name]) => name)).not.toContain(METRIC.completenessPercent);
  });

  it.each([
    ['REPORT_SENDER', /REPORT_SENDER: is not set/],
    ['REPORT_RECIPIENTS', /REPORT_RECIPIENTS: is not set/],
  ])('fails with an error naming %s when it is missing, and sends nothing', async (setting, message) => {
    // Prepare
    delete process.env[setting];

    // Act
    const outcome = handler({});

    // Assess
    await expect(outcome).rejects.toThrow(message);
    expect(await receivedEmails()).toStrictEqual([]);
  });

  it('fails with an error naming REPORT_RECIPIENTS when an address is malformed', async () => {
    process.env.REPORT_RECIPIENTS = 'ops@example.com, not-an-address';
    await expect(handler({})).rejects.toThrow(/REPORT_RECIPIENTS: "not-an-address" is not an e-mail address/);
  });
});

describe('reportAttachments', () => {
  it('leaves out a gaps CSV too large for SES and keeps the per-market CSV', async () => {
    // Prepare
    const store = new SqliteKlineStore(':memory:');
    await store.applySchema();
    const report = await buildQualityReport(store, { from: T0, to: T0 + DAY });
    const withGaps = { ...report, summary: { ...report.summary, gapCount: 1 } };
    const huge = { ...withGaps, gapsCsv: 'x'.repeat(MAX_GAPS_CSV_BYTES + 1) };

    // Act
    const normal = reportAttachments({ ...withGaps, gapsCsv: 'symbol,from,until,minutes\r\n' });
    const trimmed = reportAttachments(huge);

    // Assess
    expect(normal.map((a) => a.filename)).toStrictEqual([`${report.fileBase}.csv`, `${report.fileBase}-gaps.csv`]);
    expect(trimmed.map((a) => a.filename)).toStrictEqual([`${report.fileBase}.csv`]);
    await store.close();
  });
});
