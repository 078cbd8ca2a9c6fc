import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { letterList, queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';

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
    assert.equal(recount(t.app.db).drift, 0);
  });
});
