/**
 * Reporter Lambda (EventBridge schedule, daily by default): builds the data-quality report for
 * the last REPORT_PERIOD_HOURS whole UTC hours (24 → the previous UTC day when run just after
 * midnight) and e-mails it through SES: HTML body, plain-text summary, the per-market CSV (and the
 * gaps CSV) attached. Publishes `CompletenessPercent` for the completeness alarm.
 *
 * On demand: `{"from": ISO, "to": ISO}` reports that window instead (at most 31 days).
 *
 * Env: REPORT_SENDER (one address, a verified SES identity), REPORT_RECIPIENTS (comma-separated),
 * REPORT_PERIOD_HOURS (24), SES_ENDPOINT (local SES only), AUDIT_LAG_DAYS (2: the report shows the
 * dump audits of its days shifted back by it, as the auditor keeps them), the store's
 * (lambda/shared/store.ts).
 */
import { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { readPositiveInt, readReportConfig, type Env, type ReportConfig } from '../core/config';
import { composeReportEmail, type EmailAttachment } from '../core/email';
import { ConfigError, StoreUnavailableError } from '../core/errors';
import { METRIC } from '../core/metric-names';
import { HOUR_MS, parseRangeRequest, previousHours } from '../core/range-request';
import { auditRangeOfReport, DEFAULT_AUDIT_LAG_DAYS } from '../core/audit/daily';
import { buildQualityReport, type QualityReport } from '../core/report';
import { flushMetrics, logger, metrics } from './shared/powertools';
import { discardStore, getStore } from './shared/store';

export const DEFAULT_REPORT_PERIOD_HOURS = 24;
export const MAX_ON_DEMAND_SPAN_MS = 31 * 24 * HOUR_MS;

/** Where the report goes; both settings are required to send. */
export interface ReportDelivery {
  sender: string;
  recipients: string[];
  sesEndpoint: string | undefined;
}

/** The report config, with a ConfigError naming the first missing setting. */
export function readReportDelivery(env: Env = process.env): ReportDelivery {
  const config: ReportConfig = readReportConfig(env);
  if (config.sender === undefined) throw new ConfigError('REPORT_SENDER', 'is not set: give the verified SES address the report is sent from');
  if (config.recipients.length === 0) throw new ConfigError('REPORT_RECIPIENTS', 'is not set: give one or more comma-separated addresses to send the report to');
  return { sender: config.sender, recipients: config.recipients, sesEndpoint: config.sesEndpoint };
}

const sesClients = new Map<string, SESClient>();

/** One SES client per endpoint and container. A local endpoint without AWS credentials gets dummy ones. */
function sesClient(endpoint: string | undefined, env: Env): SESClient {
  const key = endpoint ?? '';
  let client = sesClients.get(key);
  if (!client) {
    client = new SESClient(
      endpoint === undefined
        ? {}
        : {
            endpoint,
            region: env.AWS_REGION || 'us-east-1',
            credentials: env.AWS_ACCESS_KEY_ID ? undefined : { accessKeyId: 'local', secretAccessKey: 'local' },
          },
    );
    sesClients.set(key, client);
  }
  return client;
}

/**
 * SES refuses raw messages over 10 MB (after base64, +33 %). The per-market CSV is small (one row
 * per market); the gaps CSV grows with the number of gaps, so it is left out when it is large.
 */
export const MAX_GAPS_CSV_BYTES = 2 * 1024 * 1024;

/** The per-market CSV, and the gaps CSV when there are gaps and it is not too large. */
export function reportAttachments(report: QualityReport): EmailAttachment[] {
  const attachments: EmailAttachment[] = [{ filename: `${report.fileBase}.csv`, content: report.csv, contentType: 'text/csv; charset=utf-8' }];
  // The audit CSV lists differing minutes: attached when there is one (a header line and more).
  if (report.auditCsv !== undefined && report.auditCsv.split('\r\n').length > 2 && Buffer.byteLength(report.auditCsv, 'utf8') <= MAX_GAPS_CSV_BYTES) {
    attachments.push({ filename: `${report.fileBase}-audit.csv`, content: report.auditCsv, contentType: 'text/csv; charset=utf-8' });
  }
  if (report.summary.gapCount === 0) return attachments;
  const bytes = Buffer.byteLength(report.gapsCsv, 'utf8');
  if (bytes <= MAX_GAPS_CSV_BYTES) {
    attachments.push({ filename: `${report.fileBase}-gaps.csv`, content: report.gapsCsv, contentType: 'text/csv; charset=utf-8' });
  } else {
    logger.warn('gaps CSV not attached: too large for an e-mail', { bytes, gaps: report.summary.gapCount });
  }
  return attachments;
}

/** Compose the report e-mail and send it with SES SendRawEmail; returns SES's message id. */
export async function sendReportEmail(report: QualityReport, delivery: ReportDelivery, env: Env = process.env): Promise<string | undefined> {
  const raw = await composeReportEmail({
    sender: delivery.sender,
    recipients: delivery.recipients,
    subject: report.subject,
    html: report.html,
    text: report.summaryLine,
    attachments: reportAttachments(report),
  });
  const out = await sesClient(delivery.sesEndpoint, env).send(
    new SendRawEmailCommand({ RawMessage: { Data: raw }, Source: delivery.sender, Destinations: delivery.recipients }),
  );
  return out.MessageId;
}

export interface ReporterResponse {
  from: string;
  to: string;
  subject: string;
  summaryLine: string;
  /** null when nothing was expected in the window. */
  completenessPercent: number | null;
  recipients: number;
  messageId: string | undefined;
}

export const handler = async (event: unknown, context?: Context): Promise<ReporterResponse> => {
  if (context) logger.addContext(context);
  // Config first: a missing setting fails before any store or SES call, naming the setting.
  const delivery = readReportDelivery();
  const periodHours = readPositiveInt(process.env, 'REPORT_PERIOD_HOURS', DEFAULT_REPORT_PERIOD_HOURS);
  const range = parseRangeRequest(event, MAX_ON_DEMAND_SPAN_MS) ?? previousHours(Date.now(), periodHours);
  try {
    let report: QualityReport;
    let opened = false;
    try {
      const store = await getStore();
      opened = true;
      // The auditor (lambda/auditor.ts) audits a day AUDIT_LAG_DAYS later: show each audit once.
      const audits = await store.readAudits(auditRangeOfReport(range, readPositiveInt(process.env, 'AUDIT_LAG_DAYS', DEFAULT_AUDIT_LAG_DAYS)));
      report = await buildQualityReport(store, range, { audits });
    } catch (err) {
      // A store that cannot be opened (secret, DNS) or fails a read as a whole: the reporter's own record.
      if (!opened || err instanceof StoreUnavailableError) {
        logger.error('store unavailable: no report built', { error: err });
        metrics.addMetric(METRIC.storeUnavailable, MetricUnit.Count, 1);
      }
      throw err;
    }
    const { summary } = report;
    const completenessPercent = summary.availability === null ? null : summary.availability * 100;
    // Nothing expected publishes no completeness datapoint: the alarm treats that as missing data.
    if (completenessPercent !== null) metrics.addMetric(METRIC.completenessPercent, MetricUnit.Percent, completenessPercent);
    metrics.addMetric(METRIC.marketsCaptured, MetricUnit.Count, summary.marketsCaptured);
    metrics.addMetric(METRIC.missingMinutes, MetricUnit.Count, summary.missingMinutes);
    let messageId: string | undefined;
    try {
      messageId = await sendReportEmail(report, delivery);
    } catch (err) {
      logger.error('quality report not sent: SES refused it or could not be reached', { sender: delivery.sender, recipients: delivery.recipients.length, error: err });
      metrics.addMetric(METRIC.reportSendFailures, MetricUnit.Count, 1);
      throw err;
    }
    metrics.addMetric(METRIC.reportSendFailures, MetricUnit.Count, 0);
    const response: ReporterResponse = {
      from: new Date(summary.range.from).toISOString(),
      to: new Date(summary.range.to).toISOString(),
      subject: report.subject,
      summaryLine: report.summaryLine,
      completenessPercent,
      recipients: delivery.recipients.length,
      messageId,
    };
    logger.info('quality report sent', { ...response });
    return response;
  } catch (err) {
    if (err instanceof StoreUnavailableError) await discardStore();
    throw err;
  } finally {
    flushMetrics();
  }
};
