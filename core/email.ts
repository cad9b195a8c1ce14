/**
 * The quality-report e-mail as raw MIME bytes, ready for SES `SendRawEmail` (or a file).
 * MIME is built by nodemailer's MailComposer, never by hand: headers with non-ASCII text,
 * line lengths, boundaries and transfer encodings are its job.
 */
import MailComposer from 'nodemailer/lib/mail-composer';

export interface EmailAttachment {
  filename: string;
  content: string;
  /** e.g. `text/csv; charset=utf-8`. */
  contentType: string;
}

export interface ReportEmail {
  sender: string;
  recipients: readonly string[];
  subject: string;
  html: string;
  /** Plain-text alternative for clients that do not render HTML. */
  text?: string;
  attachments?: readonly EmailAttachment[];
  /** Date header; defaults to now. */
  date?: Date;
}

/** Compose the message; throws RangeError when there is no sender or recipient. */
export async function composeReportEmail(email: ReportEmail): Promise<Buffer> {
  if (!email.sender) throw new RangeError('an e-mail needs a sender');
  if (email.recipients.length === 0) throw new RangeError('an e-mail needs at least one recipient');
  const composer = new MailComposer({
    from: email.sender,
    to: [...email.recipients],
    subject: email.subject,
    html: email.html,
    text: email.text,
    date: email.date ?? new Date(),
    attachments: (email.attachments ?? []).map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      // Base64 keeps CSV line endings and long lines byte-exact through any relay.
      contentTransferEncoding: 'base64' as const,
    })),
  });
  return composer.compile().build();
}
