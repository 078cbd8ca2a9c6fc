import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { confirmationTokens, readyCampaign, submit, supporter, tableCounts } from './helpers/supporters.js';

const count = async (t: TestApp, slug: string) => (await t.app.inject({ url: `/api/v1/actions/${slug}/count` })).json();

describe('counting the way the real campaign did', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '100000' });
  });
  after(() => t.close());

  it('counts 1,000 concurrent distinct supporters exactly once each (confirmation: none)', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => submit(t.app, campaign.slug, supporter(`d${i}`))));
    assert.ok(results.every((r) => r.statusCode === 202));
    const c = await count(t, campaign.slug);
    assert.equal(c.supporters, 1000);
    assert.equal(c.letters, 2000, 'two targets each');
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('counts 1,000 concurrent submissions by the same person (varying case and spaces) as one supporter', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        submit(t.app, campaign.slug, { ...supporter('same'), email: i % 2 ? ' SupporterSame@Example.ORG ' : 'supportersame@example.org' }),
      ),
    );
    assert.ok(results.every((r) => r.statusCode === 202 && r.body === results[0]!.body));
    const c = await count(t, campaign.slug);
    assert.equal(c.supporters, 1);
    assert.equal(c.letters, 2);
    const notices = await t.app.store.sql.value("SELECT count(*) FROM outbox WHERE kind = 'notice' AND campaign_id = ?", [campaign.id]);
    assert.equal(notices, 1, 'at most one notice per address per campaign per day');
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('counts pending supporters until they confirm, and the same person writing to two officials once', async () => {
    const { campaign, prosecutor, ambassador } = await readyCampaign(t.app);
    await submit(t.app, campaign.slug, { ...supporter('p1'), targetIds: [prosecutor.id] });
    await submit(t.app, campaign.slug, { ...supporter('p1'), targetIds: [ambassador.id] });
    let stats = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.deepEqual(stats.supporters, { total: 0, pending: 1 });
    assert.equal(stats.letters.pendingConfirmation, 2);
    assert.equal((await count(t, campaign.slug)).supporters, 0);

    const token = (await confirmationTokens(t.app)).get('supporterp1@example.org')!;
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).statusCode, 200);
    stats = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.deepEqual(stats.supporters, { total: 1, pending: 0 });
    assert.equal(stats.letters.queued, 1, 'the second submission has its own link');
    assert.equal(stats.letters.pendingConfirmation, 1);
    assert.deepEqual(stats.byCountry, { KZ: 1 });
    assert.equal(stats.hourly.length, 1);
    assert.equal(stats.byTarget.length, 2);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('answers a duplicate exactly like a first submission: same status, headers and body', async () => {
    const { campaign } = await readyCampaign(t.app);
    const first = await submit(t.app, campaign.slug, supporter('enum'));
    const before = await tableCounts(t.app);
    const dup = await submit(t.app, campaign.slug, supporter('enum'));
    const fresh = await submit(t.app, campaign.slug, supporter('enum-new'));
    // The clock, the client's rate-limit budget and the (random) request id move between requests; nothing else may differ.
    const strip = (h: Record<string, unknown>) => {
      const { date: _d, 'x-ratelimit-remaining': _r, 'x-ratelimit-reset': _s, 'x-request-id': _i, ...rest } = h;
      return rest;
    };
    for (const other of [dup, fresh]) {
      assert.equal(other.statusCode, first.statusCode);
      assert.equal(other.body, first.body);
      assert.deepEqual(strip(other.headers), strip(first.headers));
    }
    assert.equal((await tableCounts(t.app)).letters, before.letters + 2, 'the duplicate created nothing; the new one its two letters');
  });

  it('serves the count with an ETag, 304 on If-None-Match, caching and open CORS', async () => {
    // Email confirmation: the count is live (without, it is published once a minute: privacy-quiet-count.test.ts).
    const { campaign } = await readyCampaign(t.app);
    const res = await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(Object.keys(res.json()).sort(), ['delivered', 'goal', 'letters', 'offline', 'online', 'supporters', 'updatedAt']);
    const etag = res.headers.etag as string;
    assert.ok(etag);
    assert.match(res.headers['cache-control'] as string, /public, max-age=\d+, stale-while-revalidate=\d+/);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const cached = await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count`, headers: { 'if-none-match': etag } });
    assert.equal(cached.statusCode, 304);
    assert.equal(cached.body, '');
    await submit(t.app, campaign.slug, supporter('etag'));
    await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${(await confirmationTokens(t.app)).get('supporteretag@example.org')!}` });
    const changed = await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count`, headers: { 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.equal(changed.json().supporters, 1);
  });

  it('shows public country breakdowns only for countries with at least 10 supporters', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await Promise.all(Array.from({ length: 10 }, (_, i) => submit(t.app, campaign.slug, { ...supporter(`kz${i}`), country: 'KZ' })));
    await Promise.all(Array.from({ length: 3 }, (_, i) => submit(t.app, campaign.slug, { ...supporter(`de${i}`), country: 'DE' })));
    const view = (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}` })).json();
    assert.deepEqual(view.countries, { KZ: 10 });
    assert.equal(view.counts.supporters, 13);
    for (const target of view.targets) assert.deepEqual(Object.keys(target).sort(), ['countries', 'id', 'name', 'organization', 'respondedAt', 'title']);
  });
});
