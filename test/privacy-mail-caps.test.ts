import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { manualClock } from './helpers/delivery.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';

// Red-team finding 6: the 5-confirmations-a-day cap counted per supporter key, so `+tag`
// addresses (all delivered to one mailbox) got 5 mails each.

describe('mail caps count the mailbox the mail reaches', () => {
  let t: TestApp;
  const clock = manualClock();
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  const mailsTo = async (kind: string, mailbox: RegExp) =>
    (await t.app.store.sql.all<{ payload: string }>('SELECT payload FROM outbox WHERE kind = ?', [kind]))
      .map((r) => (JSON.parse(r.payload) as { to: { address: string } }).to.address)
      .filter((a) => mailbox.test(a)).length;

  it('sends at most 5 confirmation mails a day to one mailbox, whatever its +tags and the case of its domain', async () => {
    const { campaign } = await readyCampaign(t.app);
    const addresses = ['victim@example.org', ...Array.from({ length: 7 }, (_, i) => `victim+${i}@example.org`), 'Victim+x@EXAMPLE.ORG'];
    for (const email of addresses) assert.equal((await submit(t.app, campaign.slug, { ...supporter('cap'), email })).statusCode, 202);
    assert.equal(await mailsTo('confirmation', /^victim(\+.*)?@example\.org$/i), 5);
    const stats = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.equal(stats.supporters.pending, addresses.length, 'tags still make distinct supporters');

    clock.advance(24 * 60 * 60 * 1000);
    await submit(t.app, campaign.slug, { ...supporter('cap'), email: 'victim+nextday@example.org' });
    assert.equal(await mailsTo('confirmation', /^victim(\+.*)?@example\.org$/i), 6, 'a new day, a new allowance');
  });

  it('sends at most one duplicate notice per mailbox, campaign and day across +tags', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    const tagged = ['bombed+a@example.net', 'bombed+b@example.net', 'bombed+c@example.net'];
    for (const email of tagged) await submit(t.app, campaign.slug, { ...supporter('dup'), email });
    for (const email of tagged) await submit(t.app, campaign.slug, { ...supporter('dup'), email });
    assert.equal(await mailsTo('notice', /^bombed(\+.*)?@example\.net$/), 1);
  });
});
