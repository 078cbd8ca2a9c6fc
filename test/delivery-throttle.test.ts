import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDeliveryPanel } from '../src/domain/dashboard.js';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { hour, letterList, manualClock, minute, queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';

describe('per-target throttle', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  const clock = manualClock();
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('10 per hour with 30 letters: 10 delivered within the hour, spread out, 20 still queued', async () => {
    const { campaign } = await queuedLetters(t.app, 30, { campaign: { delivery: { mode: 'email', perTargetPerHour: 10 } } });
    const start = clock.now().getTime();
    // Every minute for 59 minutes: a burst would show up at once, a spread one minute by minute.
    for (let i = 0; i < 60; i++) {
      await t.app.delivery.worker.drain();
      if (i < 59) clock.advance(minute);
    }
    let letters = await letterList(t.app, campaign.id);
    const sent = letters.filter((l) => l.status === 'sent');
    assert.equal(sent.length, 10);
    assert.equal(letters.filter((l) => l.status === 'queued').length, 20);
    assert.equal(smtp.raw.length, 10);
    const times = sent.map((l) => Date.parse(l.sentAt!) - start).sort((a, b) => a - b);
    assert.deepEqual(times, Array.from({ length: 10 }, (_, i) => i * 6 * minute));

    // The next hour brings the next ten, never more than ten in any rolling hour.
    for (let i = 0; i < 60; i++) {
      clock.advance(minute);
      await t.app.delivery.worker.drain();
    }
    letters = await letterList(t.app, campaign.id);
    const all = letters.filter((l) => l.sentAt).map((l) => Date.parse(l.sentAt!)).sort((a, b) => a - b);
    assert.equal(all.length, 20);
    for (let i = 0; i + 10 < all.length; i++) assert.ok(all[i + 10]! - all[i]! >= hour, 'eleven letters inside one hour');
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('a throttled backlog does not hold up letters to other targets queued after it', async () => {
    const before = smtp.raw.length;
    const slow = await queuedLetters(t.app, 40, { campaign: { delivery: { mode: 'email', perTargetPerHour: 1 } }, supporter: (i) => ({ email: `slow${i}@example.org` }) });
    const fast = await queuedLetters(t.app, 3, { target: { email: 'ambassador@example.kz' }, supporter: (i) => ({ email: `fast${i}@example.org` }) });
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length - before, 4);
    assert.deepEqual((await letterList(t.app, fast.campaign.id)).map((l) => l.status), ['sent', 'sent', 'sent']);
    assert.equal((await letterList(t.app, slow.campaign.id)).filter((l) => l.status === 'sent').length, 1);
  });

  it('letters deferred under a limit follow the limit when it is raised or removed', async () => {
    const { campaign } = await queuedLetters(t.app, 4, {
      campaign: { delivery: { mode: 'email', perTargetPerHour: 1 } },
      supporter: (i) => ({ email: `relimit${i}@example.org` }),
    });
    const sent = async () => (await letterList(t.app, campaign.id)).filter((l) => l.status === 'sent').length;
    const setDelivery = async (delivery: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { delivery } });
      assert.equal(res.statusCode, 200, res.body);
    };
    await t.app.delivery.worker.drain();
    assert.equal(await sent(), 1);

    // Raised to 60 an hour: the next letter may go a minute after the last, not an hour.
    await setDelivery({ mode: 'email', perTargetPerHour: 60 });
    clock.advance(minute);
    await t.app.delivery.worker.drain();
    assert.equal(await sent(), 2);

    // Removed: the rest go now.
    await setDelivery({ mode: 'email' });
    await t.app.delivery.worker.drain();
    assert.equal(await sent(), 4);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('the dashboard counts as throttled the letters the worker deferred under the limit', async () => {
    const delivery = { mode: 'email', perTargetPerHour: 10 } as const;
    const { target } = await queuedLetters(t.app, 12, { campaign: { delivery }, supporter: (i) => ({ email: `panel${i}@example.org` }) });
    const panel = createDeliveryPanel({ store: t.app.store, clock });
    assert.equal(await panel.throttled({ delivery }, target.id, 12), 0, 'the worker has deferred nothing yet');

    // One goes; the other eleven get slots six minutes apart, although the hour has room for nine more.
    await t.app.delivery.worker.drain();
    assert.equal(await panel.throttled({ delivery }, target.id, 11), 11);
    clock.advance(6 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(await panel.throttled({ delivery }, target.id, 10), 10);
  });
});
