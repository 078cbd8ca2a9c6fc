import assert from 'node:assert/strict';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';
import { startWorkerProcess, until, type WorkerProcess } from './helpers/worker-process.js';

const messageIds = (smtp: TestSmtp) => smtp.raw.map((r) => /^Message-ID: <([^@>]+)@/im.exec(r.toString('latin1'))![1]!);

/** A campaign needing no confirmation with 2 targets and `supporters` signers: twice as many queued letters. */
async function queue(t: TestApp, supporters: number) {
  const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
  const pending: Promise<unknown>[] = [];
  for (let i = 1; i <= supporters; i++) pending.push(submit(t.app, campaign.slug, supporter(i)));
  await Promise.all(pending);
  return campaign;
}

/** One campaign's letters by status and its counters, read through the app's store as any observer of the worker processes would. */
async function letterStates(t: TestApp, campaignId: string) {
  const { sql } = t.app.store;
  const byStatus = Object.fromEntries(
    (await sql.all<{ status: string; n: number }>('SELECT status, count(*) AS n FROM letters WHERE campaign_id = ? GROUP BY status', [campaignId])).map((r) => [r.status, r.n]),
  ) as Record<string, number>;
  const counters = Object.fromEntries(
    (await sql.all<{ name: string; value: number }>('SELECT name, value FROM counters WHERE campaign_id = ?', [campaignId])).map((r) => [r.name, r.value]),
  );
  return { byStatus, counters };
}

describe('delivery worker processes', { timeout: 240_000 }, () => {
  let smtp: TestSmtp;
  let t: TestApp;
  const workers: WorkerProcess[] = [];
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '100000' });
  });
  after(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await t.close();
    await smtp.close();
  });
  const env = (extra: Record<string, string> = {}) => ({
    ...t.dbEnv,
    MAIL_TRANSPORT: smtp.url,
    MAIL_FROM: 'Chorus <letters@example.org>',
    ...extra,
  });

  it('the SMTP server outlives a client that dies mid-transaction (as a SIGKILLed worker does)', async () => {
    const socket = connect(smtp.port, '127.0.0.1');
    let seen = '';
    socket.on('data', (c: Buffer) => (seen += c.toString()));
    socket.on('error', () => {});
    const say = async (line: string, reply: string) => {
      seen = '';
      socket.write(`${line}\r\n`);
      await until(() => new RegExp(`^${reply} `, 'm').test(seen), `${reply} after ${line}`, 10_000, 5);
    };
    await until(() => seen.startsWith('220'), 'the greeting', 10_000, 5);
    await say('EHLO killed.example.org', '250');
    await say('MAIL FROM:<letters@example.org>', '250');
    await say('RCPT TO:<minister@example.kz>', '250');
    await say('DATA', '354');
    socket.write('Subject: cut off\r\n\r\nhalf a lett');
    // Let the server read that much first: a reset then surfaces as its read ECONNRESET.
    await new Promise((r) => setTimeout(r, 50));
    socket.resetAndDestroy();
    const before = smtp.raw.length;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'letters@example.org', to: 'minister@example.kz', subject: 'after', text: 'still here' });
    transport.close();
    assert.equal(smtp.raw.length, before + 1);
    assert.deepEqual(smtp.errors, []);
  });

  it('two worker processes on one database never deliver a letter twice', async () => {
    smtp.raw.length = 0;
    smtp.reply(() => ({ delayMs: 2 }));
    const campaign = await queue(t, 150);
    const a = startWorkerProcess(env({ DELIVERY_CONCURRENCY: '8' }));
    const b = startWorkerProcess(env({ DELIVERY_CONCURRENCY: '8' }));
    workers.push(a, b);
    await smtp.waitFor(300, 90_000);
    await until(async () => ((await letterStates(t, campaign.id)).byStatus.sent ?? 0) === 300, 'all 300 recorded as sent', 30_000);
    assert.equal(await a.stop(), 0, a.output());
    assert.equal(await b.stop(), 0, b.output());
    const ids = messageIds(smtp);
    assert.equal(ids.length, 300);
    assert.equal(new Set(ids).size, 300);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('a send slower than the lease is never claimed by another live worker: its lease is renewed while it runs', async () => {
    smtp.raw.length = 0;
    // Each message takes 3 s to be accepted; leases last 2 s and are renewed every third of a second.
    smtp.reply(() => ({ delayMs: 3000 }));
    const campaign = await queue(t, 3);
    const a = startWorkerProcess(env({ DELIVERY_CONCURRENCY: '8', DELIVERY_LEASE_SECONDS: '2' }));
    const b = startWorkerProcess(env({ DELIVERY_CONCURRENCY: '8', DELIVERY_LEASE_SECONDS: '2' }));
    workers.push(a, b);
    await until(async () => ((await letterStates(t, campaign.id)).byStatus.sent ?? 0) === 6, 'all 6 recorded as sent', 60_000);
    assert.equal(await a.stop(), 0, a.output());
    assert.equal(await b.stop(), 0, b.output());
    const ids = messageIds(smtp);
    assert.equal(ids.length, 6, 'each letter arrived once');
    assert.equal(new Set(ids).size, 6);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('SIGKILL mid-delivery, restart on the same database: every letter arrives, duplicates stay within the in-flight window, counters unchanged', async (ctx) => {
    smtp.raw.length = 0;
    // A slow server: each message takes 20 ms to be accepted.
    smtp.reply(() => ({ delayMs: 20 }));
    const campaign = await queue(t, 500);
    const before = await letterStates(t, campaign.id);
    const queued = before.counters['letters.queued'];
    assert.equal(queued, 1000);
    const concurrency = 10;
    const crashing = startWorkerProcess(env({ DELIVERY_CONCURRENCY: String(concurrency), DELIVERY_LEASE_SECONDS: '2' }));
    workers.push(crashing);
    await smtp.waitFor(300, 90_000);
    assert.equal(await crashing.stop('SIGKILL'), 'SIGKILL');
    const atCrash = await letterStates(t, campaign.id);
    assert.ok((atCrash.byStatus.sent ?? 0) < 1000, 'killed before the end');
    assert.ok((atCrash.byStatus.sending ?? 0) <= concurrency);

    const restarted = startWorkerProcess(env({ DELIVERY_CONCURRENCY: String(concurrency), DELIVERY_LEASE_SECONDS: '2' }));
    workers.push(restarted);
    await until(async () => ((await letterStates(t, campaign.id)).byStatus.sent ?? 0) === 1000, 'all 1,000 letters sent after the restart', 120_000, 200);
    assert.equal(await restarted.stop(), 0, restarted.output());

    const ids = messageIds(smtp);
    const letterIds = (await t.app.store.sql.all<{ id: string }>('SELECT id FROM letters WHERE campaign_id = ?', [campaign.id])).map((r) => r.id);
    const received = new Set(ids);
    assert.ok(letterIds.every((id) => received.has(id)), 'every letter delivered at least once');
    const duplicates = ids.length - received.size;
    ctx.diagnostic(`killed with ${atCrash.byStatus.sent ?? 0} recorded sent and ${atCrash.byStatus.sending ?? 0} in flight; ${duplicates} duplicates`);
    assert.ok(duplicates <= concurrency, `${duplicates} duplicates, window ${concurrency}`);

    const end = await letterStates(t, campaign.id);
    assert.deepEqual(end.byStatus, { sent: 1000 });
    for (const name of ['supporters', 'letters', 'pending']) assert.equal(end.counters[name], before.counters[name], name);
    assert.equal((await recount(t.app.store)).drift, 0);
    assert.deepEqual(smtp.errors, []);
  });
});
