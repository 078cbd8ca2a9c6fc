import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { letterList, manualClock, minute, queuedLetters, stats } from './helpers/delivery.js';
import { dsn, mailFrom, sendReport } from './helpers/dsn.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { submit, supporter } from './helpers/supporters.js';

/**
 * After a target's letters bounced and the organizer fixed its address: an explicit action sends
 * them again, through a real SMTP server. And bounces of mail to supporters (a confirmation
 * mail returned) touch no letter.
 */
describe('bounced letters sent again to the corrected address', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  let port: number;
  const clock = manualClock();
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ INBOUND_SMTP_PORT: '0', MAIL_FROM: mailFrom, MAIL_TRANSPORT: smtp.url, RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
    port = t.app.inboundSmtp!.address()!.port;
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  /** Each mail the SMTP server took: its Message-ID and To address. */
  const mails = async () => (await smtp.parsed()).map((m) => ({ messageId: m.messageId!, to: (Array.isArray(m.to) ? m.to[0] : m.to)!.value[0]!.address! }));
  const resend = (campaignId: string, targetId: string, headers: Record<string, string> = auth, payload?: object) =>
    t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/targets/${targetId}/resend-bounced`, headers, ...(payload ? { payload } : {}) });
  const count = async (slug: string) => {
    clock.advance(2 * minute);
    return (await t.app.inject({ url: `/api/v1/actions/${slug}/count` })).json() as { delivered: number };
  };

  it('queues the bounced letters again, sends them to the address as fixed with their Message-IDs, and counts them delivered again', async () => {
    const { campaign, target } = await queuedLetters(t.app, 3);
    await t.app.delivery.worker.drain();
    const sent = await mails();
    assert.equal(sent.length, 3);
    assert.ok(sent.every((m) => m.to === 'prosecutor-general@example.kz'));
    const letters = await letterList(t.app, campaign.id);
    const [first, second] = letters;
    for (const l of [first!, second!]) assert.equal((await sendReport(port, dsn({ messageId: `<${l.id}@chorus.example>` }))).code, 250);
    assert.deepEqual(
      (await letterList(t.app, campaign.id)).map((l) => l.status),
      ['bounced', 'bounced', 'sent'],
    );
    assert.equal((await count(campaign.slug)).delivered, 1);

    // Bad input and keys without the letters scope change nothing.
    const { key } = (await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'c', scopes: ['campaigns'] } })).json();
    const other = await createCampaign(t.app);
    const before = await stats(t.app, campaign.id);
    for (const [res, code] of [
      [await resend(campaign.id, target.id, { authorization: `Bearer ${key}` }), 403],
      [await resend(campaign.id, target.id, {}), 401],
      [await resend(other.id, target.id), 404],
      [await resend(campaign.id, 'tgt_0000000000000000000000'), 404],
      [await resend(campaign.id, target.id, auth, { to: 'someone@example.org' }), 422],
    ] as const) {
      assert.equal(res.statusCode, code, res.body);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
    assert.deepEqual(await stats(t.app, campaign.id), before);

    // The organizer fixes the address (that needs the letters scope too), then sends the bounced letters again.
    const fix = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, headers: auth, payload: { email: 'pg-office@example.kz' } });
    assert.equal(fix.statusCode, 200, fix.body);
    const res = await resend(campaign.id, target.id);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { requeued: 2, left: 0 });
    const queued = await letterList(t.app, campaign.id);
    assert.deepEqual(queued.map((l) => [l.status, l.lastError]), [['queued', null], ['queued', null], ['sent', null]]);
    let s = await stats(t.app, campaign.id);
    assert.equal(s.letters.queued, 2);
    assert.equal(s.letters.bounced, 0);
    assert.equal(s.letters.sent, 1);

    await t.app.delivery.worker.drain();
    const again = (await mails()).slice(3);
    assert.deepEqual(
      again.map((m) => m.messageId).sort(),
      [`<${first!.id}@chorus.example>`, `<${second!.id}@chorus.example>`].sort(),
      'the bounced letters, under their own Message-IDs',
    );
    assert.ok(again.every((m) => m.to === 'pg-office@example.kz'), 'to the corrected address');
    s = await stats(t.app, campaign.id);
    assert.equal(s.letters.sent, 3);
    assert.equal(s.letters.bounced, 0);
    const byTarget = (s.byTarget as unknown as { targetId: string; bounced: number; sent: number }[]).find((b) => b.targetId === target.id)!;
    assert.equal(byTarget.bounced, 0);
    assert.equal(byTarget.sent, 3);
    assert.equal((await count(campaign.slug)).delivered, 3);

    // Again: nothing is left to send, nothing is sent twice.
    assert.deepEqual((await resend(campaign.id, target.id)).json(), { requeued: 0, left: 0 });
    await t.app.delivery.worker.drain();
    assert.equal((await mails()).length, 5);

    // A letter sent again can bounce again, at the new address: it is matched like the first time.
    assert.equal((await sendReport(port, dsn({ messageId: `<${first!.id}@chorus.example>` }))).code, 250);
    assert.equal((await letterList(t.app, campaign.id))[0]!.status, 'bounced');
    assert.equal((await count(campaign.slug)).delivered, 2);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('leaves a bounced letter whose text retention has scrubbed, and says so; a target without an email address is a 409', async () => {
    const { campaign, target } = await queuedLetters(t.app, 1);
    await t.app.delivery.worker.drain();
    const [letter] = await letterList(t.app, campaign.id);
    assert.equal((await sendReport(port, dsn({ messageId: `<${letter!.id}@chorus.example>` }))).code, 250);
    clock.advance(29 * 24 * 60 * minute);
    await t.app.services.supporters.applyRetention();
    const before = await stats(t.app, campaign.id);
    assert.deepEqual((await resend(campaign.id, target.id)).json(), { requeued: 0, left: 1 });
    assert.deepEqual(await stats(t.app, campaign.id), before);
    assert.equal((await letterList(t.app, campaign.id))[0]!.status, 'bounced');

    const postal = await createCampaign(t.app, { delivery: { mode: 'postal' } });
    const desk = await createTarget(t.app, postal.id, { email: undefined, postalAddress: { lines: ['Mangilik El 14'], city: 'Astana', country: 'KZ' } });
    const res = await resend(postal.id, desk.id);
    assert.equal(res.statusCode, 409, res.body);
    assert.match(res.json().detail, /no email address/);
  });
});

describe('bounces of mail to supporters', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  let port: number;
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ INBOUND_SMTP_PORT: '0', MAIL_FROM: mailFrom, MAIL_TRANSPORT: smtp.url, RATE_LIMIT_PER_MINUTE: '1000' });
    port = t.app.inboundSmtp!.address()!.port;
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('a hard bounce of a confirmation mail is accepted and changes nothing about the letters or the counts', async () => {
    const campaign = await createCampaign(t.app, { confirmation: 'email' });
    await createTarget(t.app, campaign.id);
    await createTemplate(t.app, campaign.id);
    assert.equal((await submit(t.app, campaign.slug, supporter('typo'))).statusCode, 202);
    await t.app.delivery.worker.drain();
    const [confirmation] = await smtp.parsed();
    assert.ok(confirmation, 'the confirmation mail went out');
    assert.match(confirmation.messageId!, /^<out_[^@]+@chorus\.example>$/);
    const moved: unknown[] = [];
    const unsubscribe = t.app.services.lifecycle.onMoved((e) => moved.push(e));
    const before = await stats(t.app, campaign.id);
    const count = (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` })).json();
    try {
      const reply = await sendReport(port, dsn({ messageId: confirmation.messageId!, status: '5.1.1', diagnostic: '550 5.1.1 <supportertypo@example.org>: no such user' }));
      assert.equal(reply.code, 250, reply.response);
    } finally {
      unsubscribe();
    }
    assert.deepEqual(moved, [], 'no letter moved');
    assert.deepEqual(await stats(t.app, campaign.id), before);
    assert.deepEqual((await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` })).json(), count);
    const [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'pending_confirmation');
    assert.equal(letter!.lastError, null);
  });
});
