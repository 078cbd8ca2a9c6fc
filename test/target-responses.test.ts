import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

describe('target responses', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  const record = (campaignId: string, targetId: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/targets/${targetId}/responses`, headers: auth, payload: payload as object });

  it('records a response per target; public ones show on the page and in the public view; notify mails only consenting supporters who wrote to that target', async () => {
    const { campaign, prosecutor, ambassador } = await readyCampaign(t.app);
    // Writers: 1 to both targets with consent, 2 to the ambassador only with consent, 3 to both without consent.
    const writers = [
      { ...supporter(1), consentUpdates: true },
      { ...supporter(2), consentUpdates: true, targetIds: [ambassador.id] },
      { ...supporter(3), consentUpdates: false },
      { ...supporter(4), consentUpdates: true, targetIds: [prosecutor.id] },
    ];
    for (const w of writers) assert.equal((await submit(t.app, campaign.slug, w)).statusCode, 202);
    for (const token of (await confirmationTokens(t.app)).values()) await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` });
    await t.app.delivery.worker.drain();
    smtp.raw.length = 0;

    const reply = await record(campaign.id, ambassador.id, {
      receivedAt: '2026-10-12',
      channel: 'letter',
      summary: 'The Ambassador replied that the case is under review by the Prosecutor General.',
      public: true,
      notify: true,
    });
    assert.equal(reply.statusCode, 201, reply.body);
    assert.deepEqual({ ...(reply.json() as object), id: 'x', createdAt: 'x' }, {
      id: 'x',
      targetId: ambassador.id,
      receivedAt: '2026-10-12T12:00:00.000Z',
      channel: 'letter',
      summary: 'The Ambassador replied that the case is under review by the Prosecutor General.',
      public: true,
      createdAt: 'x',
    });
    const privateNote = await record(campaign.id, prosecutor.id, { receivedAt: '2026-10-14T09:30:00+06:00', channel: 'meeting', summary: 'Met his deputy; nothing to publish yet.' });
    assert.equal(privateNote.statusCode, 201);
    assert.equal(privateNote.json().public, false);

    await t.app.delivery.worker.drain();
    const mailed = (await smtp.parsed()).map((m) => (Array.isArray(m.to) ? m.to[0] : m.to)!.value[0]!.address).sort();
    assert.deepEqual(mailed, ['supporter1@example.org', 'supporter2@example.org']);
    const [first] = await smtp.parsed();
    assert.match(first!.subject ?? '', /Ambassador of Kazakhstan responded/);
    for (const raw of smtp.raw) assert.match(raw.toString('latin1'), /^List-Unsubscribe:\s+<http:\/\/localhost:3000\/unsubscribe\//m, 'an update mail: one-click unsubscribe');

    const view = (await t.app.inject({ method: 'GET', url: `/api/v1/actions/${campaign.slug}` })).json();
    assert.deepEqual(view.targets.map((x: { respondedAt: string | null }) => x.respondedAt), [null, '2026-10-12T12:00:00.000Z']);
    assert.deepEqual(view.responses.map((r: { targetName: string; channel: string }) => [r.targetName, r.channel]), [['Ambassador of Kazakhstan', 'letter']]);
    const page = await t.app.inject({ method: 'GET', url: `/c/${campaign.slug}` });
    assert.match(page.body, /Responded on October 12, 2026/);
    assert.match(page.body, /under review by the Prosecutor General/);
    assert.doesNotMatch(page.body, /Met his deputy/);

    const stats = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.deepEqual(stats.byTarget.map((x: { responses: number }) => x.responses), [1, 1]);

    const listed = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/targets/${ambassador.id}/responses`, headers: auth })).json();
    assert.equal(listed.items.length, 1);
    const del = (targetId: string, id: string) => t.app.inject({ method: 'DELETE', url: `/api/v1/campaigns/${campaign.id}/targets/${targetId}/responses/${id}`, headers: auth });
    assert.equal((await del(prosecutor.id, reply.json().id)).statusCode, 404, 'under another target it does not exist');
    assert.equal((await del(ambassador.id, reply.json().id)).statusCode, 204);
    assert.deepEqual((await t.app.inject({ method: 'GET', url: `/api/v1/actions/${campaign.slug}` })).json().responses, []);
  });

  it('refuses a bad response with a problem naming the field, and stores nothing', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const bad: [unknown, string][] = [
      [{ receivedAt: 'yesterday', channel: 'letter', summary: 'x' }, 'receivedAt'],
      [{ receivedAt: '2026-10-12', channel: 'pigeon', summary: 'x' }, 'channel'],
      [{ receivedAt: '2026-10-12', channel: 'letter', summary: '  ' }, 'summary'],
      [{ receivedAt: '2026-10-12', channel: 'letter', summary: 'x'.repeat(2001) }, 'summary'],
    ];
    for (const [payload, path] of bad) {
      const res = await record(campaign.id, prosecutor.id, payload);
      assert.equal(res.statusCode, 422, JSON.stringify(payload).slice(0, 80));
      assert.ok((res.json().errors as { path: string }[]).some((e) => e.path.includes(path)), res.body);
    }
    assert.equal((await record(campaign.id, 'tgt_unknown', { receivedAt: '2026-10-12', channel: 'letter', summary: 'x' })).statusCode, 404);
    const listed = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/targets/${prosecutor.id}/responses`, headers: auth })).json();
    assert.deepEqual(listed.items, []);
  });
});
