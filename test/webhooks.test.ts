import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startReceiver, verify } from './helpers/webhook-receiver.js';
import { webhookMaxResponseBytes, webhookRetryWindowMs, webhookTimeoutMs } from '../src/delivery/webhooks.js';
import { systemLookup, type Lookup } from '../src/domain/webhook-address.js';
import { ADMIN_KEY, auth, buildTestApp, createCampaign, type TestApp } from './helpers/build-app.js';
import { formSession, postForm } from './helpers/pages.js';
import { hour, manualClock } from './helpers/delivery.js';
import { confirmationTokens, readyCampaign, submit } from './helpers/supporters.js';

const everyEvent = ['letter.confirmed', 'letter.sent', 'letter.failed', 'letter.bounced', 'supporter.counted', 'response.recorded', 'campaign.updated'];

describe('webhooks', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const clock = manualClock(new Date().toISOString());

  before(async () => {
    receiver = await startReceiver();
    t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_MINUTE: '1000', RETRY_BASE_MS: '1000' }, { clock, webhooks: { timeoutMs: 500 } });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  const createHook = (payload: object, headers: Record<string, string> = auth) => t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers, payload });
  const deliveriesOf = async (id: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries`, headers: auth })).json().items as {
      id: string;
      event: string;
      status: string;
      attempts: number;
      lastError: string | null;
      nextAttemptAt: string;
      deliveredAt: string | null;
      createdAt: string;
    }[];
  const pending = async () => (await t.app.store.sql.value<number>(`SELECT count(*) FROM webhook_deliveries WHERE status IN ('queued', 'sending')`))!;
  const tick = () => t.app.delivery.webhooks.tick();
  /** Moves the clock to the delivery's next attempt and makes it. */
  const nextAttempt = async (id: string) => {
    const [d] = (await deliveriesOf(id)).filter((x) => x.status === 'queued');
    clock.set(d!.nextAttemptAt);
    return await tick();
  };
  /** Drops the earlier tests' endpoints, so each test hears only its own. */
  const clearHooks = async () => {
    for (const w of (await t.app.inject({ method: 'GET', url: '/api/v1/webhooks?limit=500', headers: auth })).json().items as { id: string }[]) {
      assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${w.id}`, headers: auth })).statusCode, 204);
    }
    assert.equal(await t.app.store.sql.value<number>('SELECT count(*) FROM webhook_deliveries'), 0, 'the delivery logs went with their endpoints');
    receiver.received.length = 0;
    receiver.answer((_p, _n, _req, res) => res.end('ok'));
  };

  it('creates endpoints with a secret shown once, lists and deletes them; bad input is a problem and creates nothing; the scope is checked', async () => {
    await clearHooks();
    const campaign = await createCampaign(t.app);
    const res = await createHook({ url: receiver.url('/a'), events: ['letter.sent', 'letter.sent'], campaignId: campaign.id });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const created = res.json();
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.ok(Buffer.from(created.secret.slice(6), 'base64').length >= 24);
    assert.deepEqual(created.events, ['letter.sent']);
    assert.equal(created.status, 'active');
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: auth })).json();
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0].id, created.id);
    assert.equal(list.items[0].secret, undefined, 'the secret is shown once');
    assert.equal(JSON.stringify(list).includes(created.secret.slice(6)), false);

    const before = (await t.app.store.sql.value<number>('SELECT count(*) FROM webhook_endpoints'))!;
    for (const [payload, status] of [
      [{ url: 'not a url', events: ['letter.sent'] }, 422],
      [{ url: 'ftp://127.0.0.1/x', events: ['letter.sent'] }, 422],
      [{ url: receiver.url('/a'), events: [] }, 422],
      [{ url: receiver.url('/a'), events: ['letter.read'] }, 422],
      [{ url: receiver.url('/a'), events: ['letter.sent'], secret: 'mine' }, 422],
      [{ url: 'http://user:pw@127.0.0.1/', events: ['letter.sent'] }, 422],
      [{ url: receiver.url('/a'), events: ['letter.sent'], campaignId: 'cmp_nope' }, 404],
    ] as const) {
      const bad = await createHook(payload);
      assert.equal(bad.statusCode, status, `${JSON.stringify(payload)}: ${bad.body}`);
      assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
    }
    assert.equal(await t.app.store.sql.value<number>('SELECT count(*) FROM webhook_endpoints'), before);

    assert.equal((await createHook({ url: receiver.url('/a'), events: ['letter.sent'] }, {})).statusCode, 401);
    const { key } = (await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'c', scopes: ['campaigns', 'letters'] } })).json();
    const other = { authorization: `Bearer ${key}` };
    assert.equal((await createHook({ url: receiver.url('/a'), events: ['letter.sent'] }, other)).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: other })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.id}/deliveries`, headers: other })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${created.id}`, headers: other })).statusCode, 403);

    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${created.id}`, headers: auth })).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${created.id}`, headers: auth })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.id}/deliveries`, headers: auth })).statusCode, 404);
  });

  it('posts the lifecycle events signed per Standard Webhooks, with ids, slugs, statuses and countries and nothing personal', async () => {
    await clearHooks();
    const { campaign, prosecutor, ambassador } = await readyCampaign(t.app);
    const hook = (await createHook({ url: receiver.url('/campaign'), events: everyEvent, campaignId: campaign.id })).json();
    const sentOnly = (await createHook({ url: receiver.url('/all'), events: ['letter.sent'] })).json();
    const person = { name: 'Aigerim Nurlanovna', email: 'aigerim.private@example.org', country: 'KZ', city: 'Karaganda', note: 'My brother is held there', consentUpdates: true };
    assert.equal((await submit(t.app, campaign.slug, person)).statusCode, 202);
    assert.equal(await pending(), 0, 'an unconfirmed letter is no event yet');
    const token = (await confirmationTokens(t.app)).get(person.email)!;
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).statusCode, 200);
    await t.app.delivery.worker.drain();
    await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/targets/${ambassador.id}/responses`, headers: auth, payload: { receivedAt: '2026-10-12', channel: 'letter', summary: 'Under review' } });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    while ((await tick()) > 0);

    const toCampaign = receiver.received.filter((r) => r.path === '/campaign');
    const events = toCampaign.map((r) => verify(hook.secret, r));
    assert.deepEqual(events.map((e) => e.type).sort(), ['campaign.updated', 'letter.confirmed', 'letter.confirmed', 'letter.sent', 'letter.sent', 'response.recorded', 'supporter.counted']);
    const sent = events.filter((e) => e.type === 'letter.sent');
    assert.deepEqual(sent.map((e) => e.data.targetId).sort(), [prosecutor.id, ambassador.id].sort());
    for (const e of sent) assert.deepEqual(Object.keys(e.data).sort(), ['campaignId', 'campaignSlug', 'country', 'letterId', 'status', 'targetId']);
    assert.deepEqual({ ...sent[0]!.data, letterId: 'x', targetId: 'x' }, { campaignId: campaign.id, campaignSlug: campaign.slug, country: 'KZ', letterId: 'x', status: 'sent', targetId: 'x' });
    assert.deepEqual(events.find((e) => e.type === 'supporter.counted')!.data, { campaignId: campaign.id, campaignSlug: campaign.slug, country: 'KZ' });
    assert.equal(events.find((e) => e.type === 'campaign.updated')!.data.status, 'paused');
    assert.equal(events.find((e) => e.type === 'response.recorded')!.data.targetId, ambassador.id);
    for (const e of events) assert.ok(!Number.isNaN(Date.parse(e.timestamp)));
    for (const r of toCampaign) {
      assert.match(r.headers['webhook-id']!, /^msg_/);
      assert.match(r.headers['webhook-timestamp']!, /^\d+$/);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.throws(() => new Webhook(sentOnly.secret).verify(r.body, r.headers), 'another endpoint’s secret does not verify it');
    }
    const everything = receiver.received.map((r) => JSON.stringify(r)).join('\n').toLowerCase();
    for (const word of ['aigerim', 'nurlanovna', 'private@', 'karaganda', 'brother', 'under review']) assert.equal(everything.includes(word), false, `${word} reached a receiver`);
    assert.equal(receiver.received.some((r) => r.body.includes('127.0.0.1')), false, 'no IP address in a body');
    // The installation-wide endpoint subscribed to letter.sent only: every campaign's, nothing else.
    const all = receiver.received.filter((r) => r.path === '/all').map((r) => verify(sentOnly.secret, r));
    assert.deepEqual(all.map((e) => e.type), ['letter.sent', 'letter.sent']);

    const log = await deliveriesOf(hook.id);
    assert.equal(log.length, 7);
    assert.ok(log.every((d) => d.status === 'delivered' && d.attempts === 1 && d.deliveredAt !== null && d.lastError === null));
    assert.deepEqual([...log].sort((a, b) => (a.id < b.id ? 1 : -1)).map((d) => d.id), log.map((d) => d.id), 'latest first');
    assert.equal(JSON.stringify(log).includes('aigerim'), false);

    // Bad input changes nothing: a refused submission queues no event.
    const before = (await t.app.store.sql.value<number>('SELECT count(*) FROM webhook_deliveries'))!;
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'active' } });
    assert.equal((await submit(t.app, campaign.slug, { ...person, country: 'XX' })).statusCode, 422);
    assert.equal(await t.app.store.sql.value<number>('SELECT count(*) FROM webhook_deliveries'), before + 1, 'only the campaign.updated of the PATCH');
  });

  it('retries a failing receiver with exponential backoff and the same webhook-id, until it answers 2xx', async () => {
    await clearHooks();
    const campaign = await createCampaign(t.app);
    const hook = (await createHook({ url: receiver.url('/flaky'), events: ['campaign.updated'], campaignId: campaign.id })).json();
    receiver.answer((_p, n, _req, res) => {
      res.statusCode = n <= 3 ? 500 : 204;
      res.end();
    });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    assert.equal(await tick(), 1);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [d] = await deliveriesOf(hook.id);
      assert.equal(d!.status, 'queued');
      assert.equal(d!.attempts, attempt);
      assert.equal(d!.lastError, 'HTTP 500');
      delays.push(Date.parse(d!.nextAttemptAt) - clock.now().getTime());
      assert.equal(await tick(), 0, 'nothing before the retry is due');
      assert.equal(await nextAttempt(hook.id), 1);
    }
    // RETRY_BASE_MS=1000: 1 s, 2 s, 4 s, each plus at most 10% jitter.
    delays.forEach((ms, i) => assert.ok(ms >= 1000 * 2 ** i && ms <= 1100 * 2 ** i, `delay ${i + 1}: ${ms} ms`));
    const [d] = await deliveriesOf(hook.id);
    assert.equal(d!.status, 'delivered');
    assert.equal(d!.attempts, 4);
    const got = receiver.received.filter((r) => r.path === '/flaky');
    assert.equal(got.length, 4);
    assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, 1, 'the same webhook-id on every attempt');
    assert.equal(new Set(got.map((r) => r.body)).size, 1, 'the same body on every attempt');
    for (const r of got) verify(hook.secret, r);
  });

  it('gives up after 3 days (the last retry at the end of the window) and disables the endpoint', async () => {
    await clearHooks();
    const campaign = await createCampaign(t.app);
    const hook = (await createHook({ url: receiver.url('/down'), events: ['campaign.updated'], campaignId: campaign.id })).json();
    receiver.answer((_p, _n, _req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    const start = clock.now().getTime();
    assert.equal(await tick(), 1);
    let attempts = 1;
    while ((await deliveriesOf(hook.id))[0]!.status === 'queued') {
      await nextAttempt(hook.id);
      attempts++;
      assert.ok(attempts < 60, 'a bounded number of attempts');
    }
    const [d] = await deliveriesOf(hook.id);
    assert.equal(d!.status, 'failed');
    assert.equal(d!.lastError, 'HTTP 503');
    assert.equal(clock.now().getTime() - start, webhookRetryWindowMs, 'the last attempt is made at the end of the 3 days');
    assert.equal(webhookRetryWindowMs, 3 * 24 * hour);
    // Capped at 6 h apart: a receiver back within the window is found within 6 hours.
    assert.ok(attempts >= 20, `${attempts} attempts`);
    assert.equal(receiver.received.filter((r) => r.path === '/down').length, attempts);
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: auth })).json().items.find((w: { id: string }) => w.id === hook.id);
    assert.equal(listed.status, 'disabled');
    assert.ok(listed.disabledAt);
    // A disabled endpoint gets no new events.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'active' } });
    assert.equal((await deliveriesOf(hook.id)).length, 1);
    assert.equal(await tick(), 0);
  });

  it('enables a disabled endpoint again: deliveries younger than 3 days resume with their webhook-id, older ones stay failed, events while disabled were never queued', async () => {
    await clearHooks();
    const campaign = await createCampaign(t.app);
    const hook = (await createHook({ url: receiver.url('/back'), events: ['campaign.updated'], campaignId: campaign.id })).json();
    receiver.answer((_p, _n, _req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const patch = (status: string) => t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status } });
    const setHook = (payload: object, headers: Record<string, string> = auth, id = hook.id) => t.app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${id}`, headers, payload });
    const status = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: auth })).json().items.find((w: { id: string }) => w.id === hook.id);

    // Event A, then event B two days later; both fail until A's 3 days are over and the endpoint is disabled.
    await patch('paused');
    const [a] = await deliveriesOf(hook.id);
    clock.advance(48 * hour);
    await patch('active');
    const b = (await deliveriesOf(hook.id)).find((d) => d.id !== a!.id)!;
    while ((await status()).status === 'active') {
      const due = (await deliveriesOf(hook.id)).filter((d) => d.status === 'queued').map((d) => d.nextAttemptAt).sort()[0]!;
      if (due > clock.now().toISOString()) clock.set(due);
      await tick();
    }
    const failed = await deliveriesOf(hook.id);
    assert.deepEqual(failed.map((d) => [d.id, d.status, d.lastError]), [
      [b.id, 'failed', 'an earlier delivery failed for 3 days; the endpoint was disabled'],
      [a!.id, 'failed', 'HTTP 503'],
    ]);
    const bSentAs = receiver.received.filter((r) => r.headers['webhook-id'] === b.id);
    assert.ok(bSentAs.length > 0);
    // Event C happens while the endpoint is disabled: nothing is queued for it.
    await patch('paused');
    assert.equal((await deliveriesOf(hook.id)).length, 2);

    // Bad input changes nothing.
    const { key } = (await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'c', scopes: ['campaigns', 'letters'] } })).json();
    for (const [payload, code, headers, id] of [
      [{ status: 'paused' }, 422, auth, hook.id],
      [{}, 422, auth, hook.id],
      [{ status: 'active', url: receiver.url('/elsewhere') }, 422, auth, hook.id],
      [{ status: 'active' }, 404, auth, 'whk_0000000000000000000000'],
      [{ status: 'active' }, 403, { authorization: `Bearer ${key}` }, hook.id],
      [{ status: 'active' }, 401, {}, hook.id],
    ] as const) {
      const res = await setHook(payload, headers, id);
      assert.equal(res.statusCode, code, `${JSON.stringify(payload)}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
    assert.equal((await status()).status, 'disabled');

    // Half a day later the receiver is back and the organizer enables the endpoint: B (1.5 days old) resumes, A (3.5 days) does not.
    clock.advance(12 * hour);
    receiver.answer((_p, _n, _req, res) => {
      res.statusCode = 204;
      res.end();
    });
    const enabled = await setHook({ status: 'active' });
    assert.equal(enabled.statusCode, 200, enabled.body);
    assert.equal(enabled.json().status, 'active');
    assert.equal(enabled.json().disabledAt, null);
    assert.equal(enabled.json().resumed, 1);
    assert.equal(enabled.json().secret, undefined);
    assert.equal(await tick(), 1);
    const after = await deliveriesOf(hook.id);
    assert.deepEqual(after.map((d) => [d.id, d.status]), [
      [b.id, 'delivered'],
      [a!.id, 'failed'],
    ]);
    const last = receiver.received.at(-1)!;
    assert.equal(last.headers['webhook-id'], b.id, 'the same webhook-id as before the endpoint was disabled');
    assert.equal(last.body, bSentAs[0]!.body);
    assert.equal(verify(hook.secret, last).data.status, 'active');
    // Enabling an enabled endpoint changes nothing; new events are queued again.
    const again = await setHook({ status: 'active' });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().resumed, 0);
    await patch('active');
    assert.equal(await tick(), 1);
    assert.equal((await deliveriesOf(hook.id))[0]!.status, 'delivered');

    // The organizer may disable it too: what waits fails, and resumes when it is enabled within the 3 days.
    receiver.answer((_p, _n, _req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await patch('paused');
    assert.equal(await tick(), 1);
    const off = await setHook({ status: 'disabled' });
    assert.equal(off.statusCode, 200);
    assert.equal(off.json().status, 'disabled');
    assert.ok(off.json().disabledAt);
    const [waiting] = await deliveriesOf(hook.id);
    assert.equal(waiting!.status, 'failed');
    assert.equal(waiting!.lastError, 'the endpoint was disabled by the organizer');
    receiver.answer((_p, _n, _req, res) => res.end());
    assert.equal((await setHook({ status: 'active' })).json().resumed, 1);
    assert.equal(await tick(), 1);
    assert.equal((await deliveriesOf(hook.id))[0]!.status, 'delivered');
  });

  it('does not follow redirects, reads a bounded response, and a receiver that never answers times out without holding the others up', async () => {
    await clearHooks();
    assert.equal(webhookTimeoutMs, 10_000);
    const campaign = await createCampaign(t.app);
    const hang = (await createHook({ url: receiver.url('/hang'), events: ['campaign.updated'], campaignId: campaign.id })).json();
    const ok = (await createHook({ url: receiver.url('/ok'), events: ['campaign.updated'], campaignId: campaign.id })).json();
    const moved = (await createHook({ url: receiver.url('/moved'), events: ['campaign.updated'], campaignId: campaign.id })).json();
    const endless = (await createHook({ url: receiver.url('/endless'), events: ['campaign.updated'], campaignId: campaign.id })).json();
    let hangOpenWhenOkArrived: boolean | undefined;
    receiver.answer((path, _n, _req, res) => {
      if (path === '/hang') return; // never answers
      if (path === '/ok') {
        hangOpenWhenOkArrived = receiver.open.has('/hang');
        return res.end();
      }
      if (path === '/moved') {
        res.writeHead(302, { location: '/ok' });
        return res.end();
      }
      // /endless: 200, then a body that never ends (far past the cap).
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    // Sent in an order that puts the hanging one first.
    receiver.received.length = 0;
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    assert.equal(await tick(), 4);
    assert.equal((await deliveriesOf(ok.id))[0]!.status, 'delivered');
    assert.equal((await deliveriesOf(endless.id))[0]!.status, 'delivered', 'a 2xx with an endless body is read up to the cap, then done');
    assert.ok(webhookMaxResponseBytes <= 64 * 1024);
    const [h] = await deliveriesOf(hang.id);
    assert.equal(h!.status, 'queued');
    assert.equal(h!.lastError, 'no complete answer in 0.5 s');
    const [m] = await deliveriesOf(moved.id);
    assert.equal(m!.status, 'queued');
    assert.equal(m!.lastError, 'HTTP 302 (redirects are not followed)');
    assert.equal(receiver.received.filter((r) => r.path === '/ok').length, 1, 'the redirect was not followed to /ok');
    if (receiver.received.findIndex((r) => r.path === '/hang') < receiver.received.findIndex((r) => r.path === '/ok')) {
      assert.equal(hangOpenWhenOkArrived, true, 'the hanging request was still open while the next one was sent');
    }
  });

  it('a delivery committed before a crash is sent by the next process; a claim whose worker died is sent again with the same id', async () => {
    await clearHooks();
    const campaign = await createCampaign(t.app);
    const hook = (await createHook({ url: receiver.url('/later'), events: ['campaign.updated'], campaignId: campaign.id })).json();
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    // A worker claims it and dies before sending (no outcome is ever recorded).
    const now = clock.now();
    const claimed = await t.app.store.transaction(() => t.app.store.webhooks.claim('dead-worker', new Date(now.getTime() + 30_000).toISOString(), now.toISOString(), 10));
    assert.equal(claimed.length, 1);
    // Another process on the same database, started afterwards: the claim is still leased, then it expires.
    const second = await buildTestApp({ ...t.dbEnv, WEBHOOK_ALLOW_PRIVATE: 'true', RETRY_BASE_MS: '1000' }, { clock });
    try {
      assert.equal(await second.app.delivery.webhooks.tick(), 0, 'leased to a worker that may still be sending');
      clock.advance(30_000);
      assert.equal(await second.app.delivery.webhooks.tick(), 1);
    } finally {
      await second.app.close();
    }
    const [d] = await deliveriesOf(hook.id);
    assert.equal(d!.status, 'delivered');
    assert.equal(d!.attempts, 2, 'the dead claim counted as an attempt');
    const [got] = receiver.received.filter((r) => r.path === '/later');
    assert.equal(got!.headers['webhook-id'], claimed[0]!.id);
    verify(hook.secret, got!);
  });

  it('letters moved by the worker report in its transactions: a failed letter is letter.failed', async () => {
    await clearHooks();
    const campaign = await createCampaign(t.app, { confirmation: 'none' });
    const hook = (await createHook({ url: receiver.url('/letters'), events: ['letter.confirmed', 'letter.failed'], campaignId: campaign.id })).json();
    const { id: targetId } = (await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth, payload: { name: 'N', title: 'T', organization: 'O', email: 'n@example.kz' } })).json();
    await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/templates`, headers: auth, payload: { name: 'x', locale: 'en', subject: 'Hello', body: 'Dear {{target.name}}' } });
    assert.equal((await submit(t.app, campaign.slug, { name: 'Someone Private', email: 'someone@example.org', country: 'DE' })).statusCode, 202);
    // Erasing the supporter fails the queued letter (through the lifecycle).
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/supporters?email=someone@example.org', headers: auth })).statusCode, 204);
    while ((await tick()) > 0);
    const events = receiver.received.filter((r) => r.path === '/letters').map((r) => verify(hook.secret, r));
    assert.deepEqual(events.map((e) => e.type).sort(), ['letter.confirmed', 'letter.failed']);
    for (const e of events) assert.equal(e.data.targetId, targetId);
    assert.equal(events.find((e) => e.type === 'letter.confirmed')!.data.status, 'queued');
    assert.equal(JSON.stringify(events).includes('someone'), false);
  });
});

describe('webhooks: addresses (WEBHOOK_ALLOW_PRIVATE off)', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  /** What hooks.example.test resolves to: public when the endpoint is created, the loopback later. */
  let answer = [{ address: '93.184.215.14', family: 4 }];
  const lookup: Lookup = async (host) => {
    if (host === 'hooks.example.test') return answer;
    if (host === 'nothing.example.test') throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    if (host === 'mixed.example.test') return [{ address: '93.184.215.14', family: 4 }, { address: '10.1.2.3', family: 4 }];
    return await systemLookup(host);
  };

  before(async () => {
    receiver = await startReceiver();
    t = await buildTestApp({}, { webhooks: { lookup, timeoutMs: 500 } });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });
  const createHook = (url: string) => t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { url, events: ['campaign.updated'] } });

  it('refuses plain http and every non-public address, literal or resolved', async () => {
    for (const url of [
      'http://93.184.215.14/hook',
      receiver.url('/x'),
      `https://localhost:${receiver.port}/x`,
      'https://127.0.0.1/x',
      'https://10.0.0.8/x',
      'https://192.168.1.1/x',
      'https://172.16.0.1/x',
      'https://100.64.0.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://0.0.0.0/x',
      'https://[::1]/x',
      'https://[fe80::1]/x',
      'https://[fd00::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://0x7f.1/x',
      'https://mixed.example.test/x',
      'https://nothing.example.test/x',
    ]) {
      const res = await createHook(url);
      assert.equal(res.statusCode, 422, `${url}: ${res.body}`);
      assert.equal(res.json().errors[0].path, 'url');
    }
    assert.equal(await t.app.store.sql.value<number>('SELECT count(*) FROM webhook_endpoints'), 0);
    assert.equal((await createHook('https://hooks.example.test/chorus')).statusCode, 201);
    assert.equal((await createHook('https://[2606:4700:4700::1111]/chorus')).statusCode, 201);
  });

  it('checks the address again for every delivery: a name that now resolves to 127.0.0.1 is refused before any connection', async () => {
    const campaign = await createCampaign(t.app);
    const hooks = (await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: auth })).json().items as { id: string; url: string }[];
    for (const h of hooks) if (h.url !== 'https://hooks.example.test/chorus') await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${h.id}`, headers: auth });
    const hook = hooks.find((h) => h.url === 'https://hooks.example.test/chorus')!;
    answer = [{ address: '127.0.0.1', family: 4 }];
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    assert.equal(await t.app.delivery.webhooks.tick(), 1);
    const [d] = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries`, headers: auth })).json().items;
    assert.equal(d.status, 'queued');
    assert.equal(d.lastError, 'refused: the URL resolves to a non-public address (127.0.0.1)');
    assert.equal(receiver.received.length, 0);
  });

});

describe('webhooks: the checked address is the one connected to', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const asked: string[] = [];
  // A name no real resolver knows: the request can only reach the receiver through the address this lookup gave.
  const lookup: Lookup = async (host) => {
    asked.push(host);
    return [{ address: '127.0.0.1', family: 4 }];
  };
  before(async () => {
    receiver = await startReceiver();
    t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' }, { webhooks: { lookup } });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  it('resolves once when the endpoint is created and once per delivery, and connects to that address with the name as Host', async () => {
    const campaign = await createCampaign(t.app);
    const url = `http://receiver.chorus.test:${receiver.port}/in`;
    const hook = (await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { url, events: ['campaign.updated'] } })).json();
    assert.deepEqual(asked, ['receiver.chorus.test']);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'active' } });
    assert.equal(await t.app.delivery.webhooks.tick(), 2);
    assert.deepEqual(asked, ['receiver.chorus.test', 'receiver.chorus.test', 'receiver.chorus.test'], 'one lookup per delivery, none by the HTTP client');
    assert.equal(receiver.received.length, 2);
    for (const r of receiver.received) {
      assert.equal(r.headers.host, `receiver.chorus.test:${receiver.port}`);
      assert.equal(verify(hook.secret, r).type, 'campaign.updated');
    }
  });
});

describe('webhooks: the dashboard', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
    t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  async function signIn(key: string) {
    const { cookie, token } = await formSession(t.app, '/admin');
    const res = await postForm(t.app, '/admin/sign-in', [['_csrf', token], ['key', key]], cookie);
    const session = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('chorus_admin='))!;
    return `${cookie}; ${session.split(';')[0]}`;
  }

  it("shows the campaign's endpoints and their latest deliveries, read-only, to a key holding the webhooks scope", async () => {
    const campaign = await createCampaign(t.app);
    const other = await createCampaign(t.app);
    receiver.answer((_p, _n, _req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { url: receiver.url('/mine'), events: ['campaign.updated'], campaignId: campaign.id } });
    await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { url: receiver.url('/theirs'), events: ['campaign.updated'], campaignId: other.id } });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    assert.equal(await t.app.delivery.webhooks.tick(), 1);

    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie: await signIn(ADMIN_KEY) } });
    assert.equal(page.statusCode, 200);
    const section = page.body.slice(page.body.indexOf('id="webhooks"'));
    assert.ok(section.includes(receiver.url('/mine')));
    assert.ok(!section.includes(receiver.url('/theirs')), "another campaign's endpoint is not listed");
    assert.match(section, /<code>campaign\.updated<\/code>/);
    assert.match(section, /HTTP 500/);
    assert.ok(!section.includes('whsec_'), 'never the secret');
    assert.ok(!/<form[^>]*webhook/i.test(page.body), 'read-only');

    const { key } = (await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'desk', scopes: ['campaigns', 'letters'] } })).json();
    const without = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie: await signIn(key) } });
    assert.equal(without.statusCode, 200);
    assert.ok(!without.body.includes('id="webhooks"'), 'no webhooks panel without the scope');
  });
});
