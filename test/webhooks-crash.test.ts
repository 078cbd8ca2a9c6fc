import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';
import { startReceiver, verify, type Receiver } from './helpers/webhook-receiver.js';
import { startWorkerProcess, until, type WorkerProcess } from './helpers/worker-process.js';

/**
 * The webhook dispatcher in a real worker process (`npm run worker`), killed with SIGKILL while
 * events it committed (letter.sent, in the transactions that sent the letters) and events the
 * API committed (letter.confirmed) are queued or on the wire to a receiver that has not answered
 * yet. A restarted worker on the same database delivers every one of them, each with the
 * `webhook-id` it had, signed so that the Standard Webhooks library accepts it.
 */
describe('webhook dispatcher process killed between the commit and the delivery', { timeout: 240_000 }, () => {
  let smtp: TestSmtp;
  let receiver: Receiver;
  let t: TestApp;
  const workers: WorkerProcess[] = [];
  before(async () => {
    smtp = await startSmtp();
    receiver = await startReceiver();
    t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_MINUTE: '100000' });
  });
  after(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await t.close();
    await receiver.close();
    await smtp.close();
  });

  const deliveries = () =>
    t.app.store.sql.all<{ id: string; status: string; attempts: number; event: string }>('SELECT id, status, attempts, event FROM webhook_deliveries ORDER BY id');

  it('every committed event reaches the receiver after a restart, with its webhook-id, and verifies', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    const hook = (
      await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { url: receiver.url('/hook'), events: ['letter.confirmed', 'letter.sent'], campaignId: campaign.id } })
    ).json() as { id: string; secret: string };
    // 10 supporters, 2 targets: 20 letters, each a letter.confirmed now and a letter.sent once the worker has sent it.
    for (let i = 1; i <= 10; i++) assert.equal((await submit(t.app, campaign.slug, supporter(i))).statusCode, 202);
    const letterIds = (await t.app.store.sql.all<{ id: string }>('SELECT id FROM letters WHERE campaign_id = ?', [campaign.id])).map((r) => r.id);
    assert.equal(letterIds.length, 20);
    assert.equal((await deliveries()).length, 20, 'the letter.confirmed events were committed with the letters');

    // The first 5 requests are answered; every later one is held open: sent, never answered.
    const held: ServerResponse[] = [];
    receiver.answer((_p, n, _req, res) => {
      if (n <= 5) {
        res.statusCode = 204;
        return res.end();
      }
      held.push(res);
    });
    const env = {
      ...t.dbEnv,
      MAIL_TRANSPORT: smtp.url,
      MAIL_FROM: 'Chorus <letters@example.org>',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      DELIVERY_LEASE_SECONDS: '2',
    };
    const crashing = startWorkerProcess(env);
    workers.push(crashing);
    // Killed once the answered ones are recorded and at least three more are on the wire, unanswered.
    const delivered = async () => (await deliveries()).filter((d) => d.status === 'delivered').length;
    await until(async () => held.length >= 3 && (await delivered()) === 5, 'five recorded, three on the wire', 60_000);
    assert.equal(await crashing.stop('SIGKILL'), 'SIGKILL');
    const heldIds = new Set(receiver.received.slice(5).map((r) => r.headers['webhook-id']!));
    const atCrash = await deliveries();
    const inFlight = atCrash.filter((d) => heldIds.has(d.id));
    assert.ok(inFlight.length >= 3);
    for (const d of inFlight) assert.equal(d.status, 'sending', `${d.id} was on the wire when the worker died: not recorded as delivered`);
    assert.equal(atCrash.filter((d) => d.status === 'delivered').length, 5);

    // The receiver is fine again; a new worker process on the same database takes over.
    receiver.answer((_p, _n, _req, res) => {
      res.statusCode = 204;
      res.end();
    });
    const restarted = startWorkerProcess(env);
    workers.push(restarted);
    await until(
      async () => {
        const now = await deliveries();
        return now.length === 40 && now.every((d) => d.status === 'delivered');
      },
      'all 40 events delivered after the restart',
      120_000,
      200,
    );
    assert.equal(await restarted.stop(), 0, restarted.output());

    const end = await deliveries();
    const got = receiver.received.filter((r) => r.path === '/hook');
    // Every request, the ones cut off by the crash included, carries a valid signature.
    const events = got.map((r) => ({ id: r.headers['webhook-id']!, body: r.body, event: verify(hook.secret, r) }));
    const byId = new Map<string, typeof events>();
    for (const e of events) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
    assert.deepEqual([...byId.keys()].sort(), end.map((d) => d.id), 'every delivery reached the receiver under its own webhook-id, and nothing else did');
    for (const id of heldIds) {
      const copies = byId.get(id)!;
      assert.ok(copies.length >= 2, `${id}: sent again after the restart`);
      assert.equal(new Set(copies.map((c) => c.body)).size, 1, `${id}: the same body each time`);
      assert.ok(end.find((d) => d.id === id)!.attempts >= 2, 'the attempt cut off by the crash counts');
    }
    const sentLetters = events.filter((e) => e.event.type === 'letter.sent').map((e) => e.event.data.letterId as string);
    const confirmedLetters = events.filter((e) => e.event.type === 'letter.confirmed').map((e) => e.event.data.letterId as string);
    assert.deepEqual([...new Set(sentLetters)].sort(), [...letterIds].sort(), 'a letter.sent for every letter');
    assert.deepEqual([...new Set(confirmedLetters)].sort(), [...letterIds].sort(), 'a letter.confirmed for every letter');
    // Duplicates are the requests the crash cut off, no more.
    assert.equal(got.length - byId.size, heldIds.size);
  });
});
