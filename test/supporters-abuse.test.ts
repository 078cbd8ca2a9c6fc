import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { confirmationsPerAddressPerDay } from '../src/domain/supporter-mail.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

describe('abuse resistance', () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const a of apps) await a.close();
  });
  const start = async (env: Record<string, string>, logStream?: PassThrough) => {
    const t = await buildTestApp(env, logStream ? { logStream } : {});
    apps.push(t);
    return t;
  };

  it('limits public submissions per client IP with 429, Retry-After and a problem body; organizers are never limited', async () => {
    const t = await start({ RATE_LIMIT_PER_MINUTE: '3' });
    const { campaign } = await readyCampaign(t.app);
    const from = (ip: string, n: string) => t.app.inject({ method: 'POST', url: `/api/v1/actions/${campaign.slug}/letters`, payload: supporter(n), remoteAddress: ip });
    for (let i = 0; i < 3; i++) assert.equal((await from('203.0.113.7', `rl${i}`)).statusCode, 202);
    const limited = await from('203.0.113.7', 'rl4');
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal(limited.json().status, 429);
    assert.match(limited.headers['content-type'] as string, /problem\+json/);
    assert.equal((await from('203.0.113.8', 'rl5')).statusCode, 202, 'another client is not affected');
    for (let i = 0; i < 10; i++) {
      assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}`, headers: auth, remoteAddress: '203.0.113.7' })).statusCode, 200);
    }
  });

  it('counts a whole IPv6 /64 as one client', async () => {
    const t = await start({ RATE_LIMIT_PER_MINUTE: '2' });
    const { campaign } = await readyCampaign(t.app);
    const from = (ip: string, n: string) => t.app.inject({ method: 'POST', url: `/api/v1/actions/${campaign.slug}/letters`, payload: supporter(n), remoteAddress: ip });
    assert.equal((await from('2001:db8:1:2::1', 'v1')).statusCode, 202);
    assert.equal((await from('2001:db8:1:2:ffff::9', 'v2')).statusCode, 202);
    assert.equal((await from('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 'v3')).statusCode, 429);
    assert.equal((await from('2001:db8:1:3::1', 'v4')).statusCode, 202, 'the next /64 is another client');
  });

  it('believes X-Forwarded-For only when TRUST_PROXY says so', async () => {
    const untrusting = await start({ RATE_LIMIT_PER_MINUTE: '1' });
    const a = await readyCampaign(untrusting.app);
    const post = (t: TestApp, slug: string, xff: string, n: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/actions/${slug}/letters`, payload: supporter(n), remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': xff } });
    assert.equal((await post(untrusting, a.campaign.slug, '198.51.100.1', 'x1')).statusCode, 202);
    assert.equal((await post(untrusting, a.campaign.slug, '198.51.100.2', 'x2')).statusCode, 429, 'a spoofed header does not reset the limit');

    const trusting = await start({ RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: 'true' });
    const b = await readyCampaign(trusting.app);
    assert.equal((await post(trusting, b.campaign.slug, '198.51.100.1', 'y1')).statusCode, 202);
    assert.equal((await post(trusting, b.campaign.slug, '198.51.100.2', 'y2')).statusCode, 202, 'behind a trusted proxy each client has its own limit');
  });

  it('caps confirmation mail per address per day across campaigns, so Chorus cannot mail-bomb anyone', async () => {
    const t = await start({ RATE_LIMIT_PER_MINUTE: '10000' });
    for (let i = 0; i < confirmationsPerAddressPerDay + 3; i++) {
      const { campaign } = await readyCampaign(t.app);
      assert.equal((await submit(t.app, campaign.slug, supporter('victim'))).statusCode, 202);
    }
    assert.equal(await t.app.store.sql.value("SELECT count(*) FROM outbox WHERE kind = 'confirmation'"), confirmationsPerAddressPerDay);
  });

  it('mails campaign updates only to confirmed supporters who consented, with a one-click unsubscribe link that works once and again', async () => {
    const t = await start({ RATE_LIMIT_PER_MINUTE: '10000' });
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, { ...supporter('yes'), consentUpdates: true });
    await submit(t.app, campaign.slug, { ...supporter('no') });
    assert.ok(await t.app.store.sql.value('SELECT consent_at FROM supporters WHERE email = ?', ['supporteryes@example.org']), 'consent is recorded with its time');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/updates`,
      headers: auth,
      payload: { title: 'Released', body: 'Pastor Makset was released on 4 December.', notify: true },
    });
    assert.equal(res.statusCode, 201, res.body);
    const updates = await t.app.store.sql.all<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'update'");
    assert.equal(updates.length, 1);
    const payload = JSON.parse(updates[0]!.payload);
    assert.equal(payload.to.address, 'supporteryes@example.org');
    assert.match(payload.unsubscribeUrl, /\/unsubscribe\/[\w-]{40,}$/);
    const token = payload.unsubscribeUrl.split('/').pop();
    assert.deepEqual(await t.app.services.supporters.unsubscribe(token), { campaignTitle: campaign.title, campaignSlug: campaign.slug });
    assert.deepEqual(await t.app.services.supporters.unsubscribe(token), { campaignTitle: campaign.title, campaignSlug: campaign.slug }, 'idempotent');
    await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/updates`, headers: auth, payload: { title: 'Again', body: 'More news.', notify: true } });
    assert.equal(await t.app.store.sql.value("SELECT count(*) FROM outbox WHERE kind = 'update'"), 1, 'nothing more after unsubscribing');
  });

  it('logs no email, name, note, token or client IP', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk) => lines.push(String(chunk)));
    const t = await start({ LOG_LEVEL: 'trace', RATE_LIMIT_PER_MINUTE: '10000' }, stream);
    const { campaign } = await readyCampaign(t.app);
    const person = { ...supporter('logged'), name: 'Aigul Djabbarbergenova', note: 'secret-note-words' };
    await submit(t.app, campaign.slug, person, { 'x-forwarded-for': '198.51.100.77' });
    const token = (await confirmationTokens(t.app)).get(person.email)!;
    await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}`, remoteAddress: '198.51.100.99' });
    await t.app.inject({ url: `/api/v1/supporters/export?email=${encodeURIComponent(person.email)}`, headers: auth });
    await t.app.inject({ method: 'POST', url: '/api/v1/campaigns', headers: auth, payload: { slug: 'x', bad: person.email } });
    const log = lines.join('');
    assert.ok(log.length > 0);
    for (const secret of [person.email, person.name, person.note, token, '198.51.100.99', encodeURIComponent(person.email)]) {
      assert.ok(!log.includes(secret), `log contains ${secret}`);
    }
  });
});
