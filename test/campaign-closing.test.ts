import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { hour, manualClock } from './helpers/delivery.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';

describe('a campaign past its closesAt', () => {
  let t: TestApp;
  const clock = manualClock('2026-10-12T09:00:00.000Z');
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  it('takes letters until its closing time, then answers 409 on the API and on the page, and stays visible', async () => {
    // An organizer may write the time with an offset: noon in Almaty (UTC+5) is 07:00 UTC.
    const { campaign, prosecutor, ambassador } = await readyCampaign(t.app, { closesAt: '2026-10-13T12:00:00+05:00' });
    assert.equal((await submit(t.app, campaign.slug, supporter(1))).statusCode, 202);
    const page = await t.app.inject({ method: 'GET', url: `/c/${campaign.slug}` });
    assert.match(page.body, /<form method="post" action="\/c\//);

    clock.advance(22 * hour); // 2026-10-13T07:00Z, the closing moment
    const late = await submit(t.app, campaign.slug, supporter(2));
    assert.equal(late.statusCode, 409);
    assert.equal(late.headers['content-type'], 'application/problem+json');
    assert.match(late.json().detail, /closed on 2026-10-13T12:00:00\+05:00/);

    const closed = await t.app.inject({ method: 'GET', url: `/c/${campaign.slug}` });
    assert.equal(closed.statusCode, 200);
    assert.match(closed.body, /reached its closing date and takes no new letters/);
    assert.doesNotMatch(closed.body, /<form method="post" action="\/c\//);
    const posted = await t.app.inject({
      method: 'POST',
      url: `/c/${campaign.slug}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:3000' },
      payload: new URLSearchParams([...Object.entries(supporter(3)), ['targetIds', prosecutor.id], ['targetIds', ambassador.id]]).toString(),
    });
    assert.equal(posted.statusCode, 409);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/actions/${campaign.slug}` })).statusCode, 200);
    const count = (await t.app.inject({ method: 'GET', url: `/api/v1/actions/${campaign.slug}/count` })).json();
    assert.equal(count.supporters, 0, 'the one letter written in time awaits its confirmation');
    assert.equal(count.letters, 0);
  });
});
