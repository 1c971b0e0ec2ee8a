import type { AddressInfo } from 'node:net';
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/**
 * A real SMTP server in-process on 127.0.0.1: it receives what nodemailer sends and parses it.
 * `down = true` makes it refuse every message with a temporary error (451), like a mail server
 * that is having a bad day.
 */
export async function startSmtp(): Promise<{ url: string; mails: ReceivedMail[]; setDown(down: boolean): void; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  let down = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (down) {
          callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
          return;
        }
        void PostalMime.parse(Buffer.concat(chunks)).then((m) => {
          mails.push({
            from: m.from?.address ?? '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: m.subject ?? '',
            text: m.text ?? '',
            html: m.html ?? '',
            headers: Object.fromEntries(m.headers.map((h) => [h.key, h.value])),
          });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    setDown: (d) => (down = d),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
