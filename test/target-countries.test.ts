import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { followSigned } from './helpers/pages.js';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { submit, supporter } from './helpers/supporters.js';

describe('targets by the supporter country', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  async function embassies() {
    const campaign = await createCampaign(t.app, { confirmation: 'none' });
    const prosecutor = await createTarget(t.app, campaign.id);
    const berlin = await createTarget(t.app, campaign.id, { name: 'Ambassador in Berlin', title: 'Ambassador of Kazakhstan to Germany', email: 'berlin@example.kz', countries: ['de'] });
    const washington = await createTarget(t.app, campaign.id, { name: 'Ambassador in Washington', title: 'Ambassador of Kazakhstan to the United States', email: 'washington@example.kz', countries: ['US'] });
    await createTemplate(t.app, campaign.id);
    return { campaign, prosecutor, berlin, washington };
  }
  const targetsOf = async (campaignId: string, email: string) =>
    ((await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/letters`, headers: auth })).json().items as { targetId: string; supporter: { email: string } }[])
      .filter((l) => l.supporter.email === email)
      .map((l) => l.targetId)
      .sort();

  it('a supporter writes to the targets for everyone and to those for their own country only', async () => {
    const { campaign, prosecutor, berlin, washington } = await embassies();
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('us'), country: 'US' })).statusCode, 202);
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('de'), country: 'DE' })).statusCode, 202);
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('kz'), country: 'KZ' })).statusCode, 202);
    assert.deepEqual(await targetsOf(campaign.id, 'supporterus@example.org'), [prosecutor.id, washington.id].sort());
    assert.deepEqual(await targetsOf(campaign.id, 'supporterde@example.org'), [prosecutor.id, berlin.id].sort());
    assert.deepEqual(await targetsOf(campaign.id, 'supporterkz@example.org'), [prosecutor.id]);

    const view = (await t.app.inject({ method: 'GET', url: `/api/v1/actions/${campaign.slug}` })).json();
    assert.deepEqual(view.targets.map((x: { countries: string[] | null }) => x.countries), [null, ['DE'], ['US']]);
  });

  it('a submission whose country leaves no chosen target is a 422 saying so, and stores nothing', async () => {
    const { campaign, berlin } = await embassies();
    const res = await submit(t.app, campaign.slug, { ...supporter('nobody'), country: 'KZ', targetIds: [berlin.id] });
    assert.equal(res.statusCode, 422);
    assert.match(res.json().detail, /No one to write to from your country/);
    assert.deepEqual(await targetsOf(campaign.id, 'supporternobody@example.org'), []);
    const count = (await t.app.inject({ method: 'GET', url: `/api/v1/actions/${campaign.slug}/count` })).json();
    assert.equal(count.supporters, 0);
  });

  it('refuses a countries entry that is not ISO 3166-1', async () => {
    const campaign = await createCampaign(t.app);
    for (const countries of [['XX'], ['Germany'], [], 'DE']) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth, payload: { name: 'A', title: 'B', organization: 'C', email: 'a@example.kz', countries } });
      assert.equal(res.statusCode, 422, JSON.stringify(countries));
      assert.ok((res.json().errors as { path: string }[]).some((e) => e.path.startsWith('countries')), res.body);
    }
    const listed = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth })).json();
    assert.deepEqual(listed.items, []);
  });

  it('the page says which targets are for which countries, and the signed page names whom the letter goes to', async () => {
    const { campaign, prosecutor, berlin, washington } = await embassies();
    const page = await t.app.inject({ method: 'GET', url: `/c/${campaign.slug}` });
    assert.match(page.body, /For supporters in Germany/);
    assert.match(page.body, /For supporters in United States/);
    const posted = await t.app.inject({
      method: 'POST',
      url: `/c/${campaign.slug}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:3000' },
      payload: new URLSearchParams([...Object.entries({ ...supporter('form'), country: 'US' }), ...[prosecutor, berlin, washington].map((x): [string, string] => ['targetIds', x.id])]).toString(),
    });
    const signed = await followSigned(t.app, posted);
    const goesTo = /Your letter goes to<\/h2>\s*<ul class="recipients">(.*?)<\/ul>/s.exec(signed.body)?.[1] ?? '';
    assert.match(goesTo, /Mr Daulbayev/);
    assert.match(goesTo, /Ambassador in Washington/);
    assert.doesNotMatch(goesTo, /Ambassador in Berlin/);
  });
});
