import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutgoingEmail } from './port.ts';

/**
 * The raw MIME message (RFC 5322) of an email: multipart/alternative with the plain-text part
 * first and the HTML part last (clients show the last one they can), the charts as inline
 * images of a multipart/related, and the extra headers. The same bytes go to SES, to an SMTP
 * server, or into the outbox as an `.eml` file, so what a developer opens locally is what the
 * team receives. Composed by nodemailer, which folds and encodes headers (RFC 2047) and bodies
 * (quoted-printable / base64) so no line exceeds 998 characters.
 */
export async function composeMime(email: OutgoingEmail): Promise<Buffer> {
  const composer = new MailComposer({
    from: email.from,
    to: email.to,
    subject: email.content.subject,
    // RFC 5322 lines end in CRLF: the parts are written with \n, so they are converted here, in
    // the one place every message passes through (nodemailer leaves a 7bit body as given).
    text: crlf(email.content.text),
    html: crlf(email.content.html),
    date: email.date,
    messageId: email.messageId,
    headers: email.headers,
    newline: 'windows',
    textEncoding: 'quoted-printable',
    attachments: email.content.images.map((image) => ({
      cid: image.cid,
      filename: image.filename,
      content: image.content,
      contentType: image.contentType,
      contentDisposition: 'inline' as const,
    })),
  });
  return composer.compile().build();
}

/** Every line break as CRLF (a lone CR or LF becomes CRLF too). */
export const crlf = (text: string) => text.replace(/\r\n|\r|\n/g, '\r\n');
