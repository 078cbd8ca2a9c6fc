import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { confirmationTtlMs } from '../src/domain/actions.js';
import { letterList, manualClock, minute } from './helpers/delivery.js';
import { submit, supporter } from './helpers/supporters.js';

const postalAddress = { lines: ['Mangilik El 4'], city: 'Astana', postcode: '010000', country: 'KZ' };

describe('changing the delivery mode', () => {
  let t: TestApp;
  const clock = manualClock();
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  const patch = (id: string, payload: object) => t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${id}`, headers: auth, payload });
  const get = async (id: string) => (await t.app.inject({ url: `/api/v1/campaigns/${id}`, headers: auth })).json();

  /** A campaign whose one target has both addresses, so every mode is possible. */
  async function campaignWith(mode: string, confirmation: 'none' | 'email' = 'none') {
    const campaign = await createCampaign(t.app, { confirmation, delivery: { mode } });
    await createTarget(t.app, campaign.id, { postalAddress });
    await createTemplate(t.app, campaign.id);
    return campaign;
  }

  it('is refused with 409 while letters are undelivered, in either direction, and changes nothing', async () => {
    for (const [from, to] of [
      ['postal', 'email'],
      ['email', 'postal'],
      ['digest', 'postal'],
    ]) {
      const campaign = await campaignWith(from!);
      await submit(t.app, campaign.slug, supporter(`${from}-${to}`));
      const outboxBefore = await t.app.store.sql.value('SELECT count(*) FROM outbox WHERE campaign_id = ?', [campaign.id]);
      const res = await patch(campaign.id, { delivery: { mode: to } });
      assert.equal(res.statusCode, 409, `${from} → ${to}: ${res.body}`);
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.match(res.json().detail, /undelivered/);
      assert.equal((await get(campaign.id)).delivery.mode, from);
      assert.deepEqual(await t.app.store.sql.value('SELECT count(*) FROM outbox WHERE campaign_id = ?', [campaign.id]), outboxBefore);
    }
  });

  it('counts held letters and letters awaiting confirmation (until their link expires) as undelivered', async () => {
    const pending = await campaignWith('email', 'email');
    await submit(t.app, pending.slug, supporter('pending'));
    assert.equal((await patch(pending.id, { delivery: { mode: 'postal' } })).statusCode, 409);
    // Once its confirmation link has expired, the letter can never be confirmed: it blocks nothing.
    clock.advance(confirmationTtlMs + minute);
    assert.equal((await patch(pending.id, { delivery: { mode: 'postal' } })).statusCode, 200);

    const held = await campaignWith('postal');
    await submit(t.app, held.slug, supporter('held'));
    const [letter] = await letterList(t.app, held.id);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${letter!.id}`, headers: auth, payload: { status: 'held' } });
    assert.equal((await patch(held.id, { delivery: { mode: 'email' } })).statusCode, 409);
  });

  it('still allows the throttle and digest interval to change, and the mode once everything is delivered', async () => {
    const campaign = await campaignWith('digest');
    await submit(t.app, campaign.slug, supporter('settings'));
    const tuned = await patch(campaign.id, { delivery: { mode: 'digest', digestEveryMinutes: 30, perTargetPerHour: 5 } });
    assert.equal(tuned.statusCode, 200, tuned.body);
    assert.deepEqual(tuned.json().delivery, { mode: 'digest', digestEveryMinutes: 30, perTargetPerHour: 5 });

    const empty = await campaignWith('email');
    const switched = await patch(empty.id, { delivery: { mode: 'postal' } });
    assert.equal(switched.statusCode, 200, switched.body);

    // A confirmed-and-delivered past does not block: only undelivered letters do.
    const delivered = await campaignWith('postal');
    await submit(t.app, delivered.slug, supporter('delivered'));
    const ids = (await letterList(t.app, delivered.id)).map((l) => l.id);
    const mailed = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${delivered.id}/letters/mark-mailed`, headers: auth, payload: { ids } });
    assert.equal(mailed.json().marked, 1);
    assert.equal((await patch(delivered.id, { delivery: { mode: 'email' } })).statusCode, 200);
  });
});
