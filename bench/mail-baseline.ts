import { createTransport } from 'nodemailer';
import { performance } from 'node:perf_hooks';
import { serveRpc } from './procs.js';

/**
 * The delivery baseline, in its own process on the server's core: raw nodemailer, pooled, sending
 * letters of the same shape and size as the service's to the same local SMTP sink, as fast as
 * the pool allows. No database, no outbox, no retries: what delivery adds on top of this is
 * what the ratio measures.
 */
interface MailBaselineJob {
  port: number;
  count: number;
  /** nodemailer pool options, the same as the service's transport uses. */
  pool: { maxConnections: number; maxMessages: number };
  /** One rendered letter; each message gets its own signer, Reply-To and Message-ID. */
  letter: { from: string; to: { name: string; address: string }; subject: string; text: string };
}

async function send(job: MailBaselineJob) {
  const transport = createTransport({
    host: '127.0.0.1',
    port: job.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: job.pool.maxConnections,
    maxMessages: job.pool.maxMessages,
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let n = 0; n < job.count; n++) {
    sends.push(
      transport.sendMail({
        from: { name: `Supporter ${n} via Chorus`, address: job.letter.from },
        to: job.letter.to,
        replyTo: { name: `Supporter ${n}`, address: `baseline-${n}@example.org` },
        subject: job.letter.subject,
        text: job.letter.text.replace('Supporter 0', `Supporter ${n}`),
        messageId: `<baseline-${n}.${Date.now()}@chorus.bench>`,
      }),
    );
  }
  const results = await Promise.allSettled(sends);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  transport.close();
  return {
    sent: results.filter((r) => r.status === 'fulfilled').length,
    errors: results.filter((r) => r.status === 'rejected').length,
    wallMs,
    cpuUsPerMessage: (used.user + used.system) / job.count,
  };
}

serveRpc({ send: (job: MailBaselineJob) => send(job) });
