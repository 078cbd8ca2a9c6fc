import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { hour, letterList, manualClock, minute } from './helpers/delivery.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

// Red-team finding 3: retention never erased supporters who never confirmed (their letters
// stayed pending_confirmation forever), nor supporters whose letters were held.

const day = 24 * hour;
const q = (t: TestApp, sql: string) => t.app.store.sql.all<Record<string, unknown>>(sql);
const stats = async (t: TestApp, campaignId: string) => (await t.app.inject({ url: `/api/v1/campaigns/${campaignId}/stats`, headers: auth })).json();
const count = async (t: TestApp, slug: string) => (await t.app.inject({ url: `/api/v1/actions/${slug}/count` })).json();
const exported = async (t: TestApp, email: string) =>
  (await t.app.inject({ url: `/api/v1/supporters/export?email=${encodeURIComponent(email)}`, headers: auth })).json();

async function withApp(env: Record<string, string>, fn: (t: TestApp, clock: ReturnType<typeof manualClock>) => Promise<void>) {
  const clock = manualClock();
  const t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000', ...env }, { clock });
  try {
    await fn(t, clock);
  } finally {
    await t.close();
  }
}

describe('retention of what was never confirmed or never delivered', () => {
  it('erases an unconfirmed submission and its never-counted supporter 7 days after the link expired', () =>
    withApp({}, async (t, clock) => {
      const { campaign } = await readyCampaign(t.app);
      const signedAt = clock.now().getTime();
      const never = { ...supporter('never'), note: 'A note nobody confirmed.' };
      await submit(t.app, campaign.slug, never);
      const before = await stats(t, campaign.id);
      assert.deepEqual(before.supporters, { total: 0, pending: 1 });

      clock.set(new Date(signedAt + 14 * day - minute).toISOString());
      await t.app.services.supporters.applyRetention();
      assert.equal((await exported(t, never.email)).supporters.length, 1, 'kept until 7 days after the link expired');

      clock.set(new Date(signedAt + 14 * day).toISOString());
      assert.equal((await t.app.services.supporters.applyRetention()).supporters, 1);
      assert.deepEqual(await exported(t, never.email), { supporters: [] });
      const dump = JSON.stringify([...(await q(t, 'SELECT * FROM supporters')), ...(await q(t, 'SELECT * FROM letters')), ...(await q(t, 'SELECT * FROM submissions'))]);
      assert.doesNotMatch(dump, /Supporter never|supporternever@|nobody confirmed|Almaty/);
      assert.deepEqual(
        await q(t, 'SELECT token_hash, reminder_token_hash FROM submissions'),
        [{ token_hash: null, reminder_token_hash: null }],
      );
      const after = await stats(t, campaign.id);
      assert.equal(after.supporters.total, 0, 'counts do not change');
      assert.equal(after.supporters.pending, 0, 'an erased supporter can never confirm: no longer pending');
      assert.equal(after.letters.pendingConfirmation, 0);
      assert.equal(after.letters.failed, 2);
      assert.ok((await letterList(t.app, campaign.id)).every((l) => /never confirmed/.test(l.lastError ?? '')));
      assert.equal((await count(t, campaign.slug)).letters, 0);
      assert.equal((await recount(t.app.store)).drift, 0);
      assert.equal((await t.app.services.supporters.applyRetention()).supporters, 0, 'nothing is erased twice');
      assert.equal((await recount(t.app.store)).drift, 0);
    }));

  it("scrubs a counted supporter's unconfirmed submission but keeps the supporter and the letters they confirmed", () =>
    withApp({}, async (t, clock) => {
      const { campaign, prosecutor, ambassador } = await readyCampaign(t.app);
      const person = { ...supporter('both'), note: 'Second thoughts never confirmed.' };
      await submit(t.app, campaign.slug, { ...person, note: 'Confirmed words.', targetIds: [prosecutor.id] });
      const token = (await confirmationTokens(t.app)).get(person.email)!;
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).statusCode, 200);
      await submit(t.app, campaign.slug, { ...person, targetIds: [ambassador.id] });
      const countBefore = await count(t, campaign.slug);

      clock.advance(14 * day + minute);
      assert.equal((await t.app.services.supporters.applyRetention()).supporters, 0);
      const [kept] = (await exported(t, person.email)).supporters;
      assert.equal(kept.email, person.email, 'a counted supporter keeps their contact data');
      const letters = kept.letters as { targetName: string; note: string | null; body: string | null; status: string }[];
      const confirmed = letters.find((l) => l.targetName === prosecutor.name)!;
      const unconfirmed = letters.find((l) => l.targetName === ambassador.name)!;
      assert.equal(confirmed.note, 'Confirmed words.');
      assert.equal(confirmed.status, 'queued');
      assert.deepEqual([unconfirmed.status, unconfirmed.note, unconfirmed.body], ['failed', null, null]);
      assert.equal(await t.app.store.sql.value('SELECT count(*) FROM submissions WHERE confirmed_at IS NULL AND (token_hash IS NOT NULL OR reminder_token_hash IS NOT NULL)'), 0);
      assert.deepEqual(await count(t, campaign.slug), countBefore);
      assert.deepEqual((await stats(t, campaign.id)).supporters, { total: 1, pending: 0 });
      assert.equal((await recount(t.app.store)).drift, 0);
    }));

  it('keeps an unconfirmed supporter while another of their links is still within its window', () =>
    withApp({}, async (t, clock) => {
      const { campaign, prosecutor, ambassador } = await readyCampaign(t.app);
      const person = supporter('later');
      await submit(t.app, campaign.slug, { ...person, targetIds: [prosecutor.id] });
      clock.advance(10 * day);
      await submit(t.app, campaign.slug, { ...person, targetIds: [ambassador.id] });
      clock.advance(4 * day + minute);
      await t.app.services.supporters.applyRetention();
      const [kept] = (await exported(t, person.email)).supporters;
      assert.equal(kept.email, person.email);
      assert.deepEqual(kept.letters.map((l: { status: string }) => l.status).sort(), ['failed', 'pending_confirmation']);
      clock.advance(10 * day);
      assert.equal((await t.app.services.supporters.applyRetention()).supporters, 1);
      assert.deepEqual(await exported(t, person.email), { supporters: [] });
      assert.equal((await stats(t, campaign.id)).supporters.pending, 0);
      assert.equal((await recount(t.app.store)).drift, 0);
    }));

  it('erases the contact data of a supporter whose letters are held, RETENTION_CONTACT_DAYS after they were confirmed', () =>
    withApp({ RETENTION_CONTACT_DAYS: '30' }, async (t, clock) => {
      const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
      const held = { ...supporter('held'), note: 'Held words.' };
      await submit(t.app, campaign.slug, held);
      for (const l of await letterList(t.app, campaign.id)) {
        assert.equal((await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${l.id}`, headers: auth, payload: { status: 'held' } })).statusCode, 200);
      }
      const countBefore = await count(t, campaign.slug);
      clock.advance(29 * day);
      assert.equal((await t.app.services.supporters.applyRetention()).supporters, 0);
      clock.advance(day + minute);
      assert.equal((await t.app.services.supporters.applyRetention()).supporters, 1);
      assert.deepEqual(await exported(t, held.email), { supporters: [] });
      const letters = await letterList(t.app, campaign.id);
      assert.deepEqual(letters.map((l) => l.status), ['failed', 'failed'], 'a held letter whose writer is erased can never be sent');
      assert.equal(await t.app.store.sql.value("SELECT count(*) FROM outbox WHERE status = 'held'"), 0);
      assert.doesNotMatch(JSON.stringify([...(await q(t, 'SELECT * FROM supporters')), ...(await q(t, 'SELECT * FROM letters'))]), /Supporter held|supporterheld@|Held words/);
      const countAfter = await count(t, campaign.slug);
      assert.deepEqual([countAfter.supporters, countAfter.letters], [countBefore.supporters, countBefore.letters], 'counts do not change');
      assert.equal((await recount(t.app.store)).drift, 0);
    }));
});
