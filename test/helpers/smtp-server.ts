import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** What the test server answers to the n-th message it receives (1-based). */
export type Reply = 'accept' | { code: number; message: string } | { delayMs: number } | { until: Promise<unknown>; then?: Reply };

export interface TestSmtp {
  url: string;
  port: number;
  /** Raw messages accepted, in order. */
  raw: Buffer[];
  /** Server errors other than a client's connection dying (which a killed worker causes by design). */
  errors: Error[];
  /** How many DATA commands arrived (accepted or not). */
  attempts(): number;
  /** How many of them were answered (accepted or refused). */
  replied(): number;
  parsed(): Promise<ParsedMail[]>;
  /** Resolves when at least n messages were accepted. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  reply(fn: (n: number, raw: Buffer) => Reply): void;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 (any free port, or `port`; no TLS, no auth) that can refuse or stall on demand. */
export async function startSmtp(plan: (n: number, raw: Buffer) => Reply = () => 'accept', port = 0): Promise<TestSmtp> {
  const raw: Buffer[] = [];
  let count = 0;
  let answered = 0;
  let answer = plan;
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 50 * 1024 * 1024,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const message = Buffer.concat(chunks);
        const respond = (r: Reply): void => {
          if (r === 'accept') {
            raw.push(message);
            answered += 1;
            waiters.splice(0).forEach((w) => w());
            return callback(null);
          }
          if ('delayMs' in r) return void setTimeout(() => respond('accept'), r.delayMs);
          if ('until' in r) return void r.until.then(() => respond(r.then ?? 'accept'));
          answered += 1;
          callback(Object.assign(new Error(r.message), { responseCode: r.code }));
        };
        respond(answer(++count, message));
      });
    },
  });
  // A client killed mid-transaction (the crash test SIGKILLs workers) resets its socket; smtp-server
  // reports that as an 'error' event, which without a listener would take the test process down.
  const errors: Error[] = [];
  const dying = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
  server.on('error', (err: Error & { code?: string }) => {
    if (!dying.has(err.code ?? '')) errors.push(err);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${bound}`,
    port: bound,
    raw,
    errors,
    attempts: () => count,
    replied: () => answered,
    parsed: () => Promise.all(raw.map((r) => simpleParser(r))),
    async waitFor(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (raw.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} messages, got ${raw.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    reply(fn) {
      answer = fn;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
