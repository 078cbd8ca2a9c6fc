import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { readyCampaign, supporter } from './helpers/supporters.js';

describe('public submission limits', () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const a of apps) await a.close();
  });

  it('one bucket per client across the JSON API and the action form: RATE_LIMIT_PER_MINUTE in all', async () => {
    const t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
    apps.push(t);
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const remoteAddress = '203.0.113.20';
    const api = (n: string) => t.app.inject({ method: 'POST', url: `/api/v1/actions/${campaign.slug}/letters`, payload: supporter(n), remoteAddress });
    const form = (n: string, from = remoteAddress) =>
      t.app.inject({
        method: 'POST',
        url: `/c/${campaign.slug}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ ...supporter(n), targetIds: prosecutor.id }).toString(),
        remoteAddress: from,
      });
    assert.equal((await api('b1')).statusCode, 202);
    assert.equal((await api('b2')).statusCode, 202);
    assert.equal((await form('b3')).statusCode, 303, 'the third submission, through the form (redirected to "check your inbox")');
    const formLimited = await form('b4');
    assert.equal(formLimited.statusCode, 429, 'the form hands out no second allowance');
    assert.ok(Number(formLimited.headers['retry-after']) > 0);
    const apiLimited = await api('b5');
    assert.equal(apiLimited.statusCode, 429);
    assert.equal(apiLimited.headers['content-type'], 'application/problem+json');
    assert.ok(Number(apiLimited.headers['retry-after']) > 0);
    assert.equal((await form('b6', '203.0.113.21')).statusCode, 303, 'another client has its own bucket');
  });
});
