import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { BounceOutcome, DeliveryReport } from '../domain/bounces.js';
import { parseDeliveryReport } from './dsn.js';

/**
 * The SMTP listener that takes delivery status notifications (INBOUND_SMTP_PORT). It stores no
 * mail: a message is read into memory, taken apart, acted on and dropped. What is not an RFC 3464
 * report is refused with 550 once its data has arrived; nothing about a message (addresses,
 * subjects, text) is logged.
 */

/** The listener's limits. A DSN returning one letter is a few KB; these leave room and no more. */
export const inboundLimits = {
  /** Bytes of one message (the SIZE extension advertises it; a larger one is answered 552). */
  maxMessageBytes: 512 * 1024,
  /** RCPT TO per message (a bounce goes to one return address; 452 past it). */
  maxRecipients: 5,
  /** Connections open at once (421 past it). */
  maxConnections: 20,
  /** Idle time before a connection is dropped. */
  socketTimeoutMs: 60_000,
} as const;

export interface InboundSmtpOptions {
  host: string;
  port: number;
  /** Records what a report says (the bounce service). */
  record(report: DeliveryReport): Promise<BounceOutcome>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export function createInboundSmtp(opts: InboundSmtpOptions) {
  const { log } = opts;
  const server = new SMTPServer({
    name: 'chorus-bounces',
    banner: 'Chorus: delivery status notifications only',
    // Plain SMTP on a private address (a relay hands bounces over); no accounts to log in to.
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    // smtp-server's own log would carry envelopes: addresses are personal data.
    logger: false,
    disableReverseLookup: true,
    size: inboundLimits.maxMessageBytes,
    rejectOversized: true,
    maxRecipients: inboundLimits.maxRecipients,
    maxClients: inboundLimits.maxConnections,
    socketTimeout: inboundLimits.socketTimeoutMs,
    closeTimeout: 5_000,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        // Past the limit the rest is read and dropped; smtp-server answers 552 (rejectOversized).
        bytes += chunk.length;
        if (bytes <= inboundLimits.maxMessageBytes) chunks.push(chunk);
      });
      stream.on('error', (err: Error) => callback(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(552, 'Message exceeds fixed maximum message size'));
        void handle(Buffer.concat(chunks)).then(
          () => callback(null),
          (err: unknown) => callback(err instanceof Error ? err : smtpError(451, 'Temporary failure, try again later')),
        );
      });
    },
  });
  // A client that drops its connection is no concern of ours; anything else is logged by its code
  // alone (smtp-server's messages may name the client's address).
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') log.warn({ code: err.code ?? err.name }, 'inbound smtp error');
  });

  async function handle(raw: Buffer): Promise<void> {
    let report: DeliveryReport | null;
    try {
      report = await parseDeliveryReport(raw);
    } catch {
      report = null;
    }
    if (!report) {
      log.info({ bytes: raw.length }, 'inbound mail refused: not a delivery status notification');
      throw smtpError(550, 'Only delivery status notifications (RFC 3464) are accepted here');
    }
    let outcome: BounceOutcome;
    try {
      outcome = await opts.record(report);
    } catch (err) {
      // The relay keeps the report and tries again later; the error's text stays out of the log (it may hold the statement).
      log.error({ err: { name: (err as Error).name } }, 'inbound report could not be recorded');
      throw smtpError(451, 'Temporary failure, try again later');
    }
    if (outcome.kind === 'bounced') log.info({ letters: outcome.letters }, 'delivery status notification: permanent failure');
  }

  let listening = false;
  return {
    /** Starts listening; resolves once bound. */
    async start(): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject);
          listening = true;
          resolve();
        });
      });
    },
    /** Where it listens (the port, when started on port 0), or null before start. */
    address(): { host: string; port: number } | null {
      if (!listening) return null;
      const a = server.server.address() as AddressInfo;
      return { host: a.address, port: a.port };
    },
    /** Stops taking connections; open ones finish or are closed after closeTimeout. */
    async close(): Promise<void> {
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type InboundSmtp = ReturnType<typeof createInboundSmtp>;
