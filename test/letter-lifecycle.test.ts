import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { IllegalMoveError, type LettersMoved } from '../src/domain/letter-lifecycle.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { manualClock, queuedLetters, stats } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

describe('the letter lifecycle', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  const clock = manualClock();
  const heard: LettersMoved[] = [];
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
    t.app.services.lifecycle.onMoved((e) => heard.push(e));
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });
  const moves = () => heard.flatMap((e) => e.moves.map((m) => `${m.from ?? 'new'}>${m.to}`));

  it('announces every move of a letter once it has committed, from submission through confirmation to delivery', async () => {
    heard.length = 0;
    const { campaign } = await readyCampaign(t.app);
    assert.equal((await submit(t.app, campaign.slug, supporter(1))).statusCode, 202);
    assert.deepEqual(moves(), ['new>pending_confirmation', 'new>pending_confirmation']);
    const token = (await confirmationTokens(t.app)).get('supporter1@example.org')!;
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).statusCode, 200);
    await t.app.delivery.worker.drain();
    assert.deepEqual(moves().slice(2), ['pending_confirmation>queued', 'pending_confirmation>queued', 'queued>sending', 'queued>sending', 'sending>sent', 'sending>sent']);
    assert.ok(heard.every((e) => e.campaignId === campaign.id && e.moves.every((m) => m.campaignId === campaign.id)));
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('moderation, release and erasure move letters through the same owner', async () => {
    heard.length = 0;
    const { campaign } = await queuedLetters(t.app, 1, { campaign: { delivery: { mode: 'postal' } }, target: { email: null, postalAddress: { lines: ['Prosecutor General'], city: 'Astana', country: 'KZ' } } });
    const [letter] = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/letters`, headers: auth })).json().items as { id: string }[];
    const moderate = (status: string) => t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${letter!.id}`, headers: auth, payload: { status } });
    assert.equal((await moderate('held')).statusCode, 200);
    assert.equal((await moderate('queued')).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/supporters?email=supporter1@example.org', headers: auth })).statusCode, 204);
    assert.deepEqual(moves(), ['new>queued', 'queued>held', 'held>queued', 'queued>failed']);
    const s = await stats(t.app, campaign.id);
    assert.equal(s.letters.failed, 1);
    assert.equal(s.letters.queued, 0);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('refuses a move the transition table does not list, and a move from a status the letter no longer has changes nothing', async () => {
    const { campaign } = await queuedLetters(t.app, 1, { supporter: () => ({ email: 'refused@example.org' }) });
    await t.app.delivery.worker.drain();
    const row = (await t.app.store.sql.get<{ id: string; campaignId: string; targetId: string; status: 'sent' }>(
      'SELECT id, campaign_id AS "campaignId", target_id AS "targetId", status FROM letters WHERE campaign_id = ?',
      [campaign.id],
    ))!;
    assert.equal(row.status, 'sent');
    const { lifecycle } = t.app.services;
    const at = clock.now().toISOString();
    await assert.rejects(lifecycle.transaction((scope) => lifecycle.move(scope, row, 'queued', at)), IllegalMoveError);
    heard.length = 0;
    // Read as queued, but it was sent meanwhile: the compare-and-set finds nothing to move.
    const moved = await lifecycle.transaction((scope) => lifecycle.move(scope, { ...row, status: 'queued' }, 'held', at));
    assert.equal(moved, false);
    assert.deepEqual(heard, []);
    assert.equal((await stats(t.app, campaign.id)).letters.sent, 1);
    assert.equal((await recount(t.app.store)).drift, 0);
  });
});
