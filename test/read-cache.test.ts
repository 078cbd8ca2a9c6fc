import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { auth, buildTestApp, createTemplate, type TestApp } from './helpers/build-app.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

// Campaigns and templates are cached in memory for the public pages and submissions: these
// prove that no change, made here or by another process, is ever missed.

let t: TestApp;
before(async () => {
  t = await buildTestApp();
});
after(() => t.close());

const letterSubjects = async (campaignId: string) =>
  (await t.app.store.sql.all<{ subject: string }>('SELECT DISTINCT subject FROM letters WHERE campaign_id = ? ORDER BY subject', [campaignId])).map((r) => r.subject);

/** One write committed by another connection, as another process makes it. */
async function elsewhere(text: string, params: unknown[]): Promise<void> {
  const other = await t.reopen();
  try {
    await other.store.sql.run(text, params);
  } finally {
    await other.close();
  }
}

test('a status change through the API applies to the very next submission', async () => {
  const { campaign } = await readyCampaign(t.app);
  assert.equal((await submit(t.app, campaign.slug, supporter('cache-1'))).statusCode, 202);
  const paused = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
  assert.equal(paused.statusCode, 200);
  assert.equal((await submit(t.app, campaign.slug, supporter('cache-2'))).statusCode, 409);
  await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'active' } });
  assert.equal((await submit(t.app, campaign.slug, supporter('cache-3'))).statusCode, 202);
});

test('a status change in a timeline update, and a rolled-back one, are both seen as they are', async () => {
  const { campaign } = await readyCampaign(t.app);
  const won = await t.app.inject({
    method: 'POST',
    url: `/api/v1/campaigns/${campaign.id}/updates`,
    headers: auth,
    payload: { title: 'Released', body: 'He is free.', status: 'won' },
  });
  assert.equal(won.statusCode, 201);
  assert.equal((await submit(t.app, campaign.slug, supporter('cache-4'))).statusCode, 409);
  // won is final: this move is refused and must leave the campaign won.
  const refused = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'active' } });
  assert.equal(refused.statusCode, 409);
  assert.equal((await t.app.inject({ url: `/api/v1/actions/${campaign.slug}` })).json().status, 'won');
});

test('a new template in the campaign locale is chosen for the next letter', async () => {
  const { campaign } = await readyCampaign(t.app, { locale: 'de' });
  await submit(t.app, campaign.slug, supporter('cache-5'));
  await createTemplate(t.app, campaign.id, { locale: 'de', subject: 'Keine Auslieferung' });
  await submit(t.app, campaign.slug, supporter('cache-6'));
  assert.deepEqual(await letterSubjects(campaign.id), ['Do not extradite Pastor Makset', 'Keine Auslieferung']);
});

test('a change committed by another connection is seen on the next request', async () => {
  const { campaign } = await readyCampaign(t.app);
  assert.equal((await t.app.inject({ url: `/api/v1/actions/${campaign.slug}` })).json().title, campaign.title);
  await elsewhere("UPDATE campaigns SET title = 'Renamed elsewhere', status = 'closed' WHERE id = ?", [campaign.id]);
  const view = (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}` })).json();
  assert.equal(view.title, 'Renamed elsewhere');
  assert.equal((await submit(t.app, campaign.slug, supporter('cache-7'))).statusCode, 409);
});

test('the public count is read again after every write, here or by another connection', async () => {
  // With email confirmation the count is live (without, it is published once a minute: privacy-quiet-count.test.ts).
  const { campaign } = await readyCampaign(t.app);
  const count = async () => (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` })).json();
  assert.equal((await count()).supporters, 0);
  assert.equal((await count()).supporters, 0);
  await submit(t.app, campaign.slug, supporter('count-1'));
  const token = (await confirmationTokens(t.app)).get('supportercount-1@example.org')!;
  await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` });
  assert.equal((await count()).supporters, 1);
  await elsewhere("UPDATE counters SET value = value + 41 WHERE campaign_id = ? AND name = 'supporters'", [campaign.id]);
  assert.equal((await count()).supporters, 42);
  const goal = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { goal: 100 } });
  assert.equal(goal.statusCode, 200);
  assert.equal((await count()).goal, 100);
});

test('a target added, renamed or removed through the API applies to the next submission', async () => {
  const { campaign, prosecutor, ambassador } = await readyCampaign(t.app);
  const targetsOf = async (email: string) => {
    const rows = await t.app.store.sql.all<{ id: string }>(
      'SELECT l.target_id AS id FROM letters l JOIN supporters s ON s.id = l.supporter_id WHERE s.email_key = ? ORDER BY l.target_id',
      [email],
    );
    return rows.map((r) => r.id);
  };
  await submit(t.app, campaign.slug, supporter('tgt-1'));
  assert.deepEqual(await targetsOf('supportertgt-1@example.org'), [prosecutor.id, ambassador.id].sort());
  const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/campaigns/${campaign.id}/targets/${ambassador.id}`, headers: auth });
  assert.equal(removed.statusCode, 204);
  await submit(t.app, campaign.slug, supporter('tgt-2'));
  assert.deepEqual(await targetsOf('supportertgt-2@example.org'), [prosecutor.id]);
  const renamed = await t.app.inject({
    method: 'PATCH',
    url: `/api/v1/campaigns/${campaign.id}/targets/${prosecutor.id}`,
    headers: auth,
    payload: { salutation: 'Dear Prosecutor General' },
  });
  assert.equal(renamed.statusCode, 200);
  await submit(t.app, campaign.slug, supporter('tgt-3'));
  const body = (await t.app.store.sql.value<string>("SELECT body FROM letters l JOIN supporters s ON s.id = l.supporter_id WHERE s.email_key = 'supportertgt-3@example.org'"))!;
  assert.match(body, /^Dear Prosecutor General,/);
});
