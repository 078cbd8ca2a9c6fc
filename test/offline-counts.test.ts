import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { queuedLetters } from './helpers/delivery.js';

describe('offline counts', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  const add = (campaignId: string, payload: unknown, headers = auth) =>
    t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/offline-counts`, headers, payload: payload as object });
  const list = async (campaignId: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/offline-counts`, headers: auth })).json().items as { id: string; source: string }[];
  const count = (slug: string) => t.app.inject({ method: 'GET', url: `/api/v1/actions/${slug}/count` });

  it('adds paper signatures to the public count with the online/offline breakdown, and a deleted entry takes them out again', async () => {
    const { campaign } = await queuedLetters(t.app, 3, { campaign: { goal: 5000 } });
    const before = await count(campaign.slug);
    assert.deepEqual(
      { ...(before.json() as object), updatedAt: null },
      { supporters: 3, letters: 3, delivered: 0, goal: 5000, updatedAt: null, online: { supporters: 3, letters: 3 }, offline: { supporters: 0, letters: 0 } },
    );

    const church = await add(campaign.id, { supporters: 140, letters: 152, source: 'petition sheets, Almaty church, 12 May', note: 'counted twice by two volunteers' });
    assert.equal(church.statusCode, 201, church.body);
    assert.deepEqual(Object.keys(church.json()).sort(), ['createdAt', 'id', 'letters', 'note', 'source', 'supporters']);
    assert.equal((await add(campaign.id, { supporters: 7, letters: 7, source: 'letters posted by hand' })).statusCode, 201);

    const after = await count(campaign.slug);
    const c = after.json();
    assert.deepEqual([c.supporters, c.letters, c.delivered, c.online, c.offline], [150, 162, 0, { supporters: 3, letters: 3 }, { supporters: 147, letters: 159 }]);
    assert.notEqual(after.headers.etag, before.headers.etag);
    assert.deepEqual((await list(campaign.id)).map((e) => e.source), ['letters posted by hand', 'petition sheets, Almaty church, 12 May']);

    const page = await t.app.inject({ method: 'GET', url: `/c/${campaign.slug}` });
    assert.match(page.body, /147 of them signed on paper/);
    const badge = await t.app.inject({ method: 'GET', url: `/embed/${campaign.slug}/badge.svg` });
    assert.match(badge.body, /150 supporters, 147 on paper/);

    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/campaigns/${campaign.id}/offline-counts/${church.json().id}`, headers: auth });
    assert.equal(removed.statusCode, 204);
    assert.deepEqual((await count(campaign.slug)).json().offline, { supporters: 7, letters: 7 });
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/campaigns/${campaign.id}/offline-counts/${church.json().id}`, headers: auth });
    assert.equal(again.statusCode, 404);
    assert.equal(again.headers['content-type'], 'application/problem+json');
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('refuses bad entries with a problem naming the field and stores nothing', async () => {
    const { campaign } = await queuedLetters(t.app, 1, { supporter: () => ({ email: 'bad-input@example.org' }) });
    const bad: [unknown, string][] = [
      [{ supporters: -1, letters: 0, source: 'sheets' }, 'supporters'],
      [{ supporters: 1.5, letters: 0, source: 'sheets' }, 'supporters'],
      [{ supporters: 1, letters: 20_000_000, source: 'sheets' }, 'letters'],
      [{ supporters: 1, letters: 1 }, 'source'],
      [{ supporters: 1, letters: 1, source: '   ' }, 'source'],
      [{ supporters: 1, letters: 1, source: 'sheets', extra: true }, ''],
    ];
    for (const [payload, path] of bad) {
      const res = await add(campaign.id, payload);
      assert.equal(res.statusCode, 422, JSON.stringify(payload));
      assert.equal(res.headers['content-type'], 'application/problem+json');
      if (path) assert.ok((res.json().errors as { path: string }[]).some((e) => e.path.includes(path)), `${JSON.stringify(payload)}: ${res.body}`);
    }
    assert.deepEqual(await list(campaign.id), []);
    assert.deepEqual((await count(campaign.slug)).json().offline, { supporters: 0, letters: 0 });
  });

  it('needs the campaigns scope', async () => {
    const { campaign } = await queuedLetters(t.app, 1, { supporter: () => ({ email: 'scope@example.org' }) });
    const minted = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'letters desk', scopes: ['letters'] } });
    const res = await add(campaign.id, { supporters: 1, letters: 1, source: 'sheets' }, { authorization: `Bearer ${minted.json().key}` });
    assert.equal(res.statusCode, 403);
    assert.deepEqual(await list(campaign.id), []);
  });
});
