import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

describe('organizer letters, moderation, CSV, export and erasure', () => {
  let t: TestApp;
  let now = Date.now();
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '10000' }, { clock: { now: () => new Date(now) } });
  });
  after(() => t.close());

  it('lists letters with cursor pagination and filters, in the documented shape', async () => {
    const { campaign, ambassador } = await readyCampaign(t.app, { confirmation: 'none' });
    for (let i = 0; i < 5; i++) await submit(t.app, campaign.slug, supporter(`list${i}`));
    const page1 = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?limit=4`, headers: auth })).json();
    assert.equal(page1.items.length, 4);
    assert.ok(page1.nextCursor);
    const page2 = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?limit=4&cursor=${page1.nextCursor}`, headers: auth })).json();
    const page3 = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?limit=4&cursor=${page2.nextCursor}`, headers: auth })).json();
    assert.equal(page2.items.length, 4);
    assert.equal(page3.items.length, 2);
    assert.equal(page3.nextCursor, null);
    const ids = [...page1.items, ...page2.items, ...page3.items].map((l: { id: string }) => l.id);
    assert.equal(new Set(ids).size, 10);
    const letter = page1.items[0];
    // API.md's shape, plus the template version the letter was rendered from and its language.
    assert.deepEqual(Object.keys(letter).sort(), ['attempts', 'campaignId', 'createdAt', 'id', 'lastError', 'locale', 'originality', 'sentAt', 'status', 'supporter', 'targetId', 'templateId', 'templateVersion']);
    assert.deepEqual(Object.keys(letter.supporter).sort(), ['city', 'country', 'email', 'name']);
    const filtered = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?targetId=${ambassador.id}&status=queued`, headers: auth })).json();
    assert.equal(filtered.items.length, 5);
    assert.ok(filtered.items.every((l: { targetId: string }) => l.targetId === ambassador.id));
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?status=bogus`, headers: auth })).statusCode, 422);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?limit=501`, headers: auth })).statusCode, 422);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters` })).statusCode, 401);
  });

  it('holds and releases a letter, with counters following, and refuses other moves with 409', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, supporter('mod'));
    const [letter] = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters`, headers: auth })).json().items;
    const held = await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${letter.id}`, headers: auth, payload: { status: 'held' } });
    assert.equal(held.statusCode, 200);
    assert.equal(held.json().status, 'held');
    let stats = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.equal(stats.letters.held, 1);
    assert.equal(stats.letters.queued, 1);
    const released = await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${letter.id}`, headers: auth, payload: { status: 'queued' } });
    assert.equal(released.json().status, 'queued');
    stats = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.equal(stats.letters.held, 0);
    assert.equal(stats.letters.queued, 2);
    assert.equal((await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${letter.id}`, headers: auth, payload: { status: 'sent' } })).statusCode, 422);
    assert.equal((await t.app.inject({ method: 'PATCH', url: '/api/v1/letters/ltr_missing', headers: auth, payload: { status: 'held' } })).statusCode, 404);
    await t.app.store.sql.run("UPDATE letters SET status = 'sent' WHERE id = ?", [letter.id]);
    assert.equal((await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${letter.id}`, headers: auth, payload: { status: 'held' } })).statusCode, 409);
    await t.app.store.sql.run("UPDATE letters SET status = 'queued' WHERE id = ?", [letter.id]);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('streams CSV with formula cells neutralized', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, { ...supporter('csv1'), name: '=HYPERLINK("http://evil.example.org")', city: '+Astana' });
    await submit(t.app, campaign.slug, { ...supporter('csv2'), name: '@SUM(A1)', city: '-1' });
    const res = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters.csv`, headers: auth });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/csv/);
    const lines = res.body.trim().split('\n');
    const header = lines[0]!.split(',');
    for (const col of ['supporter_name', 'supporter_email', 'target', 'status']) assert.ok(header.includes(col), col);
    assert.equal(lines.length, 5, 'header + 2 supporters x 2 targets');
    assert.ok(!/,=|,\+|,-|,@|^=|"=|"\+|"@/.test(lines.slice(1).join('\n')), res.body);
    assert.match(res.body, /'=HYPERLINK/);
    assert.match(res.body, /'@SUM/);
    assert.match(res.body, /'\+Astana/);
    assert.match(res.body, /'-1/);
  });

  it('exports everything about an address and erases it everywhere, keeping the counts', async () => {
    const { campaign } = await readyCampaign(t.app);
    const other = await readyCampaign(t.app, { confirmation: 'none' });
    const person = { ...supporter('erase'), note: 'Personal words for the prosecutor.', consentUpdates: true };
    await submit(t.app, campaign.slug, person);
    await submit(t.app, other.campaign.slug, person);
    const token = (await confirmationTokens(t.app)).get(person.email)!;
    await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` });
    const countBefore = (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` })).json();

    const exported = await t.app.inject({ url: `/api/v1/supporters/export?email=${encodeURIComponent(' SupporterErase@example.org')}`, headers: auth });
    assert.equal(exported.statusCode, 200, exported.body);
    const data = exported.json();
    assert.equal(data.supporters.length, 2);
    assert.equal(data.supporters[0].name, 'Supporter erase');
    assert.equal(data.supporters[0].consentUpdates, true);
    assert.ok(data.supporters[0].consentAt);
    assert.equal(data.supporters[0].letters.length, 2);
    assert.match(JSON.stringify(data), /Personal words/);

    const erased = await t.app.inject({ method: 'DELETE', url: `/api/v1/supporters?email=${encodeURIComponent(person.email)}`, headers: auth });
    assert.equal(erased.statusCode, 204);
    const after = await t.app.inject({ url: `/api/v1/supporters/export?email=${encodeURIComponent(person.email)}`, headers: auth });
    assert.equal(after.statusCode, 200);
    assert.deepEqual(after.json(), { supporters: [] }, 'nothing about the person, not even the address asked about');
    const { sql } = t.app.store;
    const dump = JSON.stringify([await sql.all('SELECT * FROM supporters'), await sql.all('SELECT * FROM letters'), await sql.all('SELECT * FROM outbox')]);
    assert.doesNotMatch(dump, /supportererase@example\.org|Supporter erase|Personal words/i);
    const countAfter = (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` })).json();
    assert.equal(countAfter.supporters, countBefore.supporters);
    assert.equal(countAfter.letters, countBefore.letters);
    const stats = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.equal(stats.letters.failed, 2, 'undelivered letters can no longer be sent');
    assert.equal((await recount(t.app.store)).drift, 0);
    assert.equal((await t.app.inject({ url: '/api/v1/supporters/export?email=nope', headers: auth })).statusCode, 422);
  });

  it('expires confirmation links after 7 days and sends at most one reminder', async () => {
    const { campaign } = await readyCampaign(t.app);
    await submit(t.app, campaign.slug, supporter('late'));
    const first = (await confirmationTokens(t.app)).get('supporterlate@example.org')!;
    now += 25 * 60 * 60 * 1000;
    assert.ok((await t.app.services.confirmations.sendReminders()) >= 1);
    assert.equal(await t.app.services.confirmations.sendReminders(), 0, 'only one reminder');
    const reminder = (await confirmationTokens(t.app)).get('supporterlate@example.org')!;
    assert.notEqual(reminder, first);
    const view = await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${'x'.repeat(43)}` });
    assert.equal(view.statusCode, 404);
    now += 7 * 24 * 60 * 60 * 1000;
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${first}` })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${reminder}` })).statusCode, 404);
    now = Date.now();
  });

  it('stores confirmation tokens only as hashes', async () => {
    const { campaign } = await readyCampaign(t.app);
    await submit(t.app, campaign.slug, supporter('hash'));
    const token = (await confirmationTokens(t.app)).get('supporterhash@example.org')!;
    assert.ok(Buffer.from(token, 'base64url').length >= 16, 'at least 128 random bits');
    const subs = JSON.stringify(await t.app.store.sql.all('SELECT * FROM submissions'));
    assert.ok(!subs.includes(token));
  });

  it('scrubs delivered letter bodies after the retention period', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, supporter('old'));
    await t.app.store.sql.run("UPDATE letters SET status = 'sent', sent_at = ? WHERE campaign_id = ?", [new Date(now - 29 * 86_400_000).toISOString(), campaign.id]);
    const { bodies } = await t.app.services.supporters.applyRetention();
    assert.ok(bodies >= 2);
    const rows = await t.app.store.sql.all<{ body: string | null }>('SELECT body, note FROM letters WHERE campaign_id = ?', [campaign.id]);
    assert.ok(rows.every((r) => r.body === null));
  });
});
