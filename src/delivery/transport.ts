import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer, { type DKIMOptions, type SendMailOptions } from 'nodemailer';
import { privateFileMode } from '../private-file.js';

/** What the worker needs from a transport: send one message, close when done. */
export interface Mailer {
  readonly kind: 'smtp' | 'file' | 'log';
  send(message: SendMailOptions): Promise<void>;
  close(): void;
}

export interface TransportOptions {
  /** MAIL_TRANSPORT: smtp(s)://user:pass@host:port[?maxConnections=…], file:<dir>, or log. */
  url: string;
  dkim?: { domain: string; selector: string; keyFile: string };
  /** Where `log` prints (defaults to stdout). */
  print?: (text: string) => void;
}

/**
 * DKIM signs these headers. nodemailer's default list leaves out List-Unsubscribe-Post, and
 * mailbox providers only honour one-click unsubscribe when that header is signed.
 */
const signedHeaders = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type',
  'Content-Transfer-Encoding', 'List-Id', 'List-Unsubscribe', 'List-Unsubscribe-Post',
].join(':');

function dkimOptions(dkim: TransportOptions['dkim']): DKIMOptions | undefined {
  if (!dkim) return undefined;
  return { domainName: dkim.domain, keySelector: dkim.selector, privateKey: readFileSync(dkim.keyFile, 'utf8'), headerFieldNames: signedHeaders };
}

/** nodemailer's pool for SMTP: a handful of connections, each replaced after this many messages (the benchmark's baseline uses it too). */
export const smtpPool = { maxConnections: 5, maxMessages: 500 };

/** Builds the transport named by MAIL_TRANSPORT. Every kind composes the same MIME message. */
export function createMailer(opts: TransportOptions): Mailer {
  const dkim = dkimOptions(opts.dkim);
  if (/^smtps?:\/\//i.test(opts.url)) {
    // Pooled: a handful of connections kept open and reused, each sending many messages.
    // Timeouts well below nodemailer's defaults (2 min connect, 10 min idle) so a hung server
    // fails an attempt in time to retry it rather than holding a lease for minutes.
    const transport = nodemailer.createTransport({
      url: opts.url,
      pool: true,
      ...smtpPool,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      dkim,
    });
    return {
      kind: 'smtp',
      async send(message) {
        await transport.sendMail(message);
      },
      close: () => transport.close(),
    };
  }
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix', dkim });
  const compose = async (message: SendMailOptions) => {
    const info = await composer.sendMail(message);
    return { messageId: info.messageId, raw: info.message as Buffer };
  };
  if (opts.url === 'log') {
    const print = opts.print ?? ((text: string) => process.stdout.write(text));
    return {
      kind: 'log',
      async send(message) {
        const { messageId, raw } = await compose(message);
        print(`----- mail ${messageId} -----\n${raw.toString('utf8')}\n`);
      },
      close: () => composer.close(),
    };
  }
  if (opts.url.startsWith('file:')) {
    const dir = resolve(opts.url.slice('file:'.length) || './data/outbox');
    mkdirSync(dir, { recursive: true });
    return {
      kind: 'file',
      async send(message) {
        const { messageId, raw } = await compose(message);
        // Temp file then rename: a reader (or a crash) never sees half a message.
        const name = `${Date.now()}-${messageId.replace(/[^\w.@-]/g, '')}`;
        const temp = join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
        await writeFile(temp, raw, { flag: 'wx', mode: privateFileMode });
        await rename(temp, join(dir, `${name}.eml`));
      },
      close: () => composer.close(),
    };
  }
  throw new Error(`MAIL_TRANSPORT must be smtp://, smtps://, file:<dir> or log (got ${opts.url.split(':')[0]})`);
}
