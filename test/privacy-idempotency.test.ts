import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { confirmationTokens, readyCampaign, supporter } from './helpers/supporters.js';

// Red-team finding 8: an Idempotency-Key kept the caller's scope in plain text for 24 hours,
// and for public posts that scope held the full client address and the token from the URL.

describe('Idempotency-Key keeps no token and no client address', () => {
  let t: TestApp;
  const ip = '203.0.113.77';
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  const post = (url: string, key: string, payload?: object) =>
    t.app.inject({ method: 'POST', url, remoteAddress: ip, headers: { 'idempotency-key': key }, ...(payload ? { payload } : {}) });
  const stored = async () => JSON.stringify(await t.app.store.sql.all('SELECT * FROM idempotency_keys'));

  it('replays public posts (submission, confirmation, unsubscribe) while storing only a hash of caller and path', async () => {
    const { campaign } = await readyCampaign(t.app);
    const person = supporter('idem');
    const first = await post(`/api/v1/actions/${campaign.slug}/letters`, 'sign-1', person);
    assert.equal(first.statusCode, 202);
    const again = await post(`/api/v1/actions/${campaign.slug}/letters`, 'sign-1', person);
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, first.body);
    const other = await post(`/api/v1/actions/${campaign.slug}/letters`, 'sign-1', { ...person, city: 'Astana' });
    assert.equal(other.statusCode, 422, 'the same key with another body is still refused');

    const token = (await confirmationTokens(t.app)).get(person.email)!;
    const confirmed = await post(`/api/v1/confirmations/${token}`, 'confirm-1');
    assert.equal(confirmed.statusCode, 200);
    assert.equal(confirmed.json().alreadyConfirmed, false);
    const replayed = await post(`/api/v1/confirmations/${token}`, 'confirm-1');
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    assert.equal(replayed.body, confirmed.body, 'the replay is the first answer, not "already confirmed"');

    const unsubscribe = await t.app.services.supporters.unsubscribeTokenFor(
      (await t.app.store.sql.value<string>('SELECT id FROM supporters WHERE email_key = ?', [person.email]))!,
    );
    const done = await post(`/unsubscribe/${unsubscribe}`, 'unsub-1');
    assert.equal(done.statusCode, 200);
    assert.equal((await post(`/unsubscribe/${unsubscribe}`, 'unsub-1')).headers['idempotent-replayed'], 'true');

    const rows = await stored();
    assert.equal(await t.app.store.sql.value('SELECT count(*) FROM idempotency_keys'), 3);
    assert.ok(!rows.includes(token), 'no confirmation token');
    assert.ok(!rows.includes(unsubscribe), 'no unsubscribe token');
    assert.ok(!rows.includes(ip), 'no client address');
    const scopes = await t.app.store.sql.all<{ scope: string }>('SELECT scope FROM idempotency_keys');
    assert.ok(scopes.every(({ scope }) => /^[0-9a-f]{64}$/.test(scope)), 'the scope is only a hash of caller and path');
  });

  it('keeps keys of different callers apart', async () => {
    const { campaign } = await readyCampaign(t.app);
    const url = `/api/v1/actions/${campaign.slug}/letters`;
    const mine = await post(url, 'shared', supporter('idem-a'));
    const theirs = await t.app.inject({ method: 'POST', url, remoteAddress: '198.51.100.9', headers: { 'idempotency-key': 'shared' }, payload: supporter('idem-b') });
    assert.equal(mine.statusCode, 202);
    assert.equal(theirs.statusCode, 202, 'another client with the same key and another body is a new request, not a 422');
    assert.equal(theirs.headers['idempotent-replayed'], undefined);
  });
});
