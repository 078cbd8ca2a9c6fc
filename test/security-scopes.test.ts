import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, createCampaign, createTarget, type TestApp } from './helpers/build-app.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('scopes that guard where letters go and who holds keys', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  async function keyWith(...scopes: string[]) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: scopes.join('+'), scopes } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string; key: string };
  }

  it("changing a target's email or postal address needs the letters scope besides campaigns", async () => {
    const campaign = await createCampaign(t.app);
    const target = await createTarget(t.app, campaign.id);
    const campaignsOnly = bearer((await keyWith('campaigns')).key);
    const url = `/api/v1/campaigns/${campaign.id}/targets/${target.id}`;
    const postalAddress = { lines: ['Mangilik El 14'], city: 'Astana', country: 'KZ' };
    for (const payload of [{ email: 'attacker@example.org' }, { postalAddress }, { name: 'Mr D', email: 'attacker@example.org' }]) {
      const res = await t.app.inject({ method: 'PATCH', url, headers: campaignsOnly, payload });
      assert.equal(res.statusCode, 403, JSON.stringify(payload));
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.match(res.json().detail, /letters/);
    }
    const unchanged = (await t.app.inject({ url, headers: auth })).json();
    assert.equal(unchanged.email, 'prosecutor-general@example.kz');
    assert.equal(unchanged.postalAddress, null);
    assert.equal(unchanged.name, 'Mr Daulbayev');

    const renamed = await t.app.inject({ method: 'PATCH', url, headers: campaignsOnly, payload: { salutation: 'Dear Prosecutor General' } });
    assert.equal(renamed.statusCode, 200, 'other fields stay the campaigns scope alone');
    const both = bearer((await keyWith('campaigns', 'letters')).key);
    const moved = await t.app.inject({ method: 'PATCH', url, headers: both, payload: { email: 'office@example.kz', postalAddress } });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.equal(moved.json().email, 'office@example.kz');
  });
});
