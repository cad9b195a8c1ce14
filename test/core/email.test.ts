import { composeReportEmail } from '../../core/email';

/** Header block and MIME parts of a raw message, split by the boundaries it declares. */
function parseMime(raw: Buffer): { headers: string; parts: { headers: string; body: string }[] } {
  const text = raw.toString('utf8');
  const [headers] = text.split('\r\n\r\n', 1);
  const boundaries = [...text.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1]);
  const parts: { headers: string; body: string }[] = [];
  for (const boundary of boundaries) {
    for (const chunk of text.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) continue;
      const split = chunk.indexOf('\r\n\r\n');
      const partHeaders = chunk.slice(0, split).trim();
      if (/multipart\//.test(partHeaders)) continue;
      parts.push({ headers: partHeaders, body: chunk.slice(split + 4).replace(/\r\n$/, '') });
    }
  }
  return { headers, parts };
}

const email = {
  sender: 'reports@example.com',
  recipients: ['ops@example.com', 'data@example.org'],
  subject: 'Kline data quality 2024-03-01: 99.50 % available — 1 gap',
  html: '<p>2,820 of 2,880</p>',
  text: '2,820 of 2,880',
  attachments: [{ filename: 'quality.csv', content: 'symbol,captured\r\nBTCUSDT,1440\r\n', contentType: 'text/csv; charset=utf-8' }],
  date: new Date(Date.UTC(2024, 2, 2, 0, 15)),
};

describe('composeReportEmail', () => {
  it('addresses the message from the sender to every recipient with an encoded non-ASCII subject', async () => {
    const { headers } = parseMime(await composeReportEmail(email));
    expect(headers).toMatch(/^From: reports@example\.com$/m);
    expect(headers).toMatch(/^To: ops@example\.com, data@example\.org$/m);
    expect(headers).toMatch(/^Subject: =\?UTF-8\?/m);
    expect(headers).toMatch(/^Date: Sat, 02 Mar 2024 00:15:00 \+0000$/m);
    expect(headers).toMatch(/^MIME-Version: 1\.0$/m);
  });

  it('carries the HTML body, the text alternative and the CSV attachment byte for byte', async () => {
    // Act
    const { parts } = parseMime(await composeReportEmail(email));

    // Assess
    const html = parts.find((p) => /text\/html/.test(p.headers));
    const text = parts.find((p) => /text\/plain/.test(p.headers));
    const csv = parts.find((p) => /Content-Disposition: attachment; filename=quality\.csv/.test(p.headers));
    expect(html?.body).toBe(email.html);
    expect(text?.body).toBe(email.text);
    expect(csv?.headers).toMatch(/Content-Type: text\/csv; charset=utf-8/);
    expect(Buffer.from(csv!.body.replace(/\s+/g, ''), 'base64').toString('utf8')).toBe(email.attachments[0].content);
  });

  it('refuses a message without sender or recipients', async () => {
    await expect(composeReportEmail({ ...email, recipients: [] })).rejects.toThrow(/at least one recipient/);
    await expect(composeReportEmail({ ...email, sender: '' })).rejects.toThrow(/sender/);
  });
});
