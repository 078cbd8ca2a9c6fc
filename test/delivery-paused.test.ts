import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { letterList, queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';

describe('pausing a campaign pauses its deliveries', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  const setStatus = (id: string, status: string) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${id}`, headers: auth, payload: { status } });

  it('queued letters wait while paused, other campaigns keep going, and all go once it resumes', async () => {
    const paused = await queuedLetters(t.app, 5, { supporter: (i) => ({ email: `paused${i}@example.org` }) });
    const other = await queuedLetters(t.app, 2, { target: { email: 'ambassador@example.kz' }, supporter: (i) => ({ email: `other${i}@example.org` }) });
    assert.equal((await setStatus(paused.campaign.id, 'paused')).statusCode, 200);

    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 2, 'only the active campaign delivered');
    assert.deepEqual((await letterList(t.app, other.campaign.id)).map((l) => l.status), ['sent', 'sent']);
    assert.deepEqual((await letterList(t.app, paused.campaign.id)).map((l) => [l.status, l.attempts]), Array(5).fill(['queued', 0]));

    assert.equal((await setStatus(paused.campaign.id, 'active')).statusCode, 200);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 7);
    assert.deepEqual((await letterList(t.app, paused.campaign.id)).map((l) => l.status), Array(5).fill('sent'));
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('supporter mail of a paused campaign still goes', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'email' });
    const jane = supporter('paused-jane');
    assert.equal((await submit(t.app, campaign.slug, jane)).statusCode, 202);
    assert.equal((await setStatus(campaign.id, 'paused')).statusCode, 200);

    const before = smtp.raw.length;
    await t.app.delivery.worker.drain();
    const mails = (await smtp.parsed()).slice(before);
    assert.deepEqual(mails.map((m) => (Array.isArray(m.to) ? m.to[0] : m.to)?.value[0]?.address), [jane.email]);
    assert.match(mails[0]!.text ?? '', /\/confirm\//);
  });

  it('won and closed campaigns still deliver the letters they had accepted', async () => {
    const won = await queuedLetters(t.app, 2, { supporter: (i) => ({ email: `won${i}@example.org` }) });
    const closed = await queuedLetters(t.app, 3, { supporter: (i) => ({ email: `closed${i}@example.org` }) });
    assert.equal((await setStatus(won.campaign.id, 'won')).statusCode, 200);
    assert.equal((await setStatus(closed.campaign.id, 'closed')).statusCode, 200);

    const before = smtp.raw.length;
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length - before, 5);
    assert.deepEqual((await letterList(t.app, won.campaign.id)).map((l) => l.status), ['sent', 'sent']);
    assert.deepEqual((await letterList(t.app, closed.campaign.id)).map((l) => l.status), ['sent', 'sent', 'sent']);
    assert.equal((await recount(t.app.store)).drift, 0);
  });
});
