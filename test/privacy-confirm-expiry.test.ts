import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { hour, manualClock, minute } from './helpers/delivery.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

// Red-team finding 5: a used confirmation link showed the whole letter forever; expiry was
// checked only while the letter was unconfirmed.

const week = 7 * 24 * hour;

describe('a confirmation link shows the letter only while it is valid', () => {
  let t: TestApp;
  const clock = manualClock();
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  const person = { ...supporter('expiry'), name: 'Aliya Linkholder', note: 'Words only the link may show.' };
  const page = (token: string) => t.app.inject({ url: `/confirm/${token}` });

  it('shows a confirmed letter for 7 days after the link was sent, then says the link has expired', async () => {
    const { campaign } = await readyCampaign(t.app);
    const signedAt = clock.now().getTime();
    await submit(t.app, campaign.slug, person);
    const token = (await confirmationTokens(t.app)).get(person.email)!;
    assert.equal((await t.app.inject({ method: 'POST', url: `/confirm/${token}` })).statusCode, 200);

    clock.set(new Date(signedAt + week - minute).toISOString());
    const valid = await page(token);
    assert.equal(valid.statusCode, 200);
    assert.ok(valid.body.includes(person.note) && valid.body.includes(person.name), 'still valid: the letter is shown');

    clock.set(new Date(signedAt + week).toISOString());
    const expired = await page(token);
    assert.equal(expired.statusCode, 404);
    assert.match(expired.headers['content-type'] as string, /^text\/html/);
    assert.match(expired.body, /This link has expired/);
    assert.ok(!expired.body.includes(person.note) && !expired.body.includes(person.name), 'nothing of the letter');
    assert.match(expired.body, new RegExp(`<a href="/c/${campaign.slug}">`), 'it leads back to the campaign, where one can sign again');

    const json = await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` });
    assert.equal(json.statusCode, 404);
    assert.equal(json.json().type, 'urn:chorus:problem:link-expired');
    assert.match(json.json().detail, /expired/);
    const again = await t.app.inject({ method: 'POST', url: `/confirm/${token}` });
    assert.equal(again.statusCode, 404);
    assert.match(again.body, /This link has expired/);
    const stats = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.deepEqual(stats.supporters, { total: 1, pending: 0 }, 'confirming again after expiry changes nothing');
    assert.equal(stats.letters.queued, 2);
  });

  it('says an unconfirmed link and its reminder have expired, and an unknown link was not found', async () => {
    const { campaign } = await readyCampaign(t.app);
    const signedAt = clock.now().getTime();
    await submit(t.app, campaign.slug, { ...person, email: 'late-expiry@example.org' });
    const first = (await confirmationTokens(t.app)).get('late-expiry@example.org')!;
    clock.advance(25 * hour);
    await t.app.services.confirmations.sendReminders();
    const reminder = (await confirmationTokens(t.app)).get('late-expiry@example.org')!;
    assert.notEqual(reminder, first);
    clock.set(new Date(signedAt + week).toISOString());
    for (const token of [first, reminder]) {
      assert.match((await page(token)).body, /This link has expired/);
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).json().type, 'urn:chorus:problem:link-expired');
    }
    const unknown = await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${'x'.repeat(43)}` });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().type, 'urn:chorus:problem:not-found');
  });
});
