import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { hour, letterList, manualClock, minute, queuedLetters, stats, testWorker } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { failWrites } from './helpers/storage-failure.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';
import { until } from './helpers/worker-process.js';

describe('delivery failures', () => {
  let smtp: TestSmtp | undefined;
  let t: TestApp | undefined;
  const clock = manualClock();
  afterEach(async () => {
    await t?.close();
    await smtp?.close();
  });
  const setup = async (plan: Parameters<typeof startSmtp>[0], env: Record<string, string> = {}, urlOptions = '') => {
    smtp = await startSmtp(plan);
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url + urlOptions, RETRY_BASE_MS: '1000', RATE_LIMIT_PER_MINUTE: '1000', ...env }, { clock });
    return { smtp, t };
  };

  it('451 twice then 250: delivered exactly once, sent after 3 attempts, waiting between them', async () => {
    const { smtp, t } = await setup((n) => (n <= 2 ? { code: 451, message: '4.7.1 Try again later' } : 'accept'));
    const { campaign } = await queuedLetters(t.app, 1);
    const worker = t.app.delivery.worker;

    await worker.drain();
    let [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'queued');
    assert.equal(letter!.attempts, 1);
    assert.match(letter!.lastError!, /451 4\.7\.1 Try again later/);
    // Not due again until the backoff has passed.
    await worker.drain();
    assert.equal(smtp.attempts(), 1);

    clock.advance(2000);
    await worker.drain();
    assert.equal(smtp.attempts(), 2);
    clock.advance(5000);
    await worker.drain();

    [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'sent');
    assert.equal(letter!.attempts, 3);
    assert.equal(letter!.lastError, null);
    assert.equal(smtp.raw.length, 1);
    assert.equal((await stats(t.app, campaign.id)).letters.sent, 1);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('a server too slow to answer is a timeout, retried like any temporary failure', async () => {
    // nodemailer options ride on the URL; a short socket timeout keeps the test quick.
    const { t } = await setup((n) => (n === 1 ? { delayMs: 1500 } : 'accept'), {}, '?socketTimeout=300');
    const { campaign } = await queuedLetters(t.app, 1);
    await t.app.delivery.worker.drain();
    let [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'queued');
    assert.match(letter!.lastError!, /ETIMEDOUT|timeout/i);
    clock.advance(2000);
    await t.app.delivery.worker.drain();
    [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'sent');
    assert.equal(letter!.attempts, 2);
  });

  it('550: failed at once with the server reply, one attempt only', async () => {
    const { smtp, t } = await setup(() => ({ code: 550, message: '5.1.1 Mailbox unavailable' }));
    const { campaign } = await queuedLetters(t.app, 1);
    await t.app.delivery.worker.drain();
    clock.advance(24 * hour);
    await t.app.delivery.worker.drain();
    const [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'failed');
    assert.equal(letter!.attempts, 1);
    assert.match(letter!.lastError!, /550 5\.1\.1 Mailbox unavailable/);
    assert.equal(smtp.attempts(), 1);
    const s = await stats(t.app, campaign.id);
    assert.equal(s.letters.failed, 1);
    assert.match(s.byTarget[0]!.lastError ?? '', /550/);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('temporary failures give up as failed after the maximum age', async () => {
    const { t } = await setup(() => ({ code: 421, message: '4.3.2 Service shutting down' }), { MAX_DELIVERY_AGE_HOURS: '2' });
    const { campaign } = await queuedLetters(t.app, 1);
    for (let i = 0; i < 12; i++) {
      await t.app.delivery.worker.drain();
      clock.advance(30 * minute);
    }
    const [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'failed');
    assert.match(letter!.lastError!, /gave up after 2 h of retries; last: 421/);
    assert.ok(letter!.attempts > 2 && letter!.attempts < 12, `attempts ${letter!.attempts}`);
  });

  it('an unexpected error holds the message after N attempts without blocking others', async () => {
    const { smtp, t } = await setup(() => 'accept', { DELIVERY_HOLD_AFTER: '3' });
    const { campaign } = await queuedLetters(t.app, 3);
    const [broken] = await letterList(t.app, campaign.id);
    // A worker whose transport throws something that is neither SMTP nor network for one letter.
    const real = t.app.delivery.mailer;
    const worker = testWorker(t.app, clock, {
      holdAfter: 3,
      mailer: {
        kind: 'smtp',
        async send(message) {
          if (String(message.messageId).includes(broken!.id)) throw new TypeError('cannot read properties of undefined');
          return real.send(message);
        },
        close() {},
      },
    });
    for (let i = 0; i < 6; i++) {
      await worker.drain();
      clock.advance(hour);
    }
    const letters = await letterList(t.app, campaign.id);
    assert.deepEqual(letters.map((l) => l.status), ['held', 'sent', 'sent']);
    assert.equal(letters[0]!.attempts, 3);
    assert.match(letters[0]!.lastError!, /held after 3 attempts: cannot read properties of undefined/);
    assert.equal(smtp.raw.length, 2);
    assert.equal((await recount(t.app.store)).drift, 0);

    // Released by the organizer, it is due again with a fresh budget.
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${broken!.id}`, headers: auth, payload: { status: 'queued' } });
    assert.equal(res.statusCode, 200);
    await t.app.delivery.worker.drain();
    assert.equal((await letterList(t.app, campaign.id))[0]!.status, 'sent');
    assert.equal(smtp.raw.length, 3);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('pauses a recipient domain after M consecutive failures and records why', async () => {
    const { smtp, t } = await setup(() => ({ code: 451, message: '4.4.1 No answer from host' }), { DELIVERY_PAUSE_AFTER: '3', DELIVERY_PAUSE_MINUTES: '60' });
    await queuedLetters(t.app, 5);
    await t.app.delivery.worker.drain();
    const attempts = smtp.attempts();
    assert.equal(attempts, 5);
    const paused = await t.app.store.sql.all<{ domain: string; reason: string }>('SELECT domain, reason FROM paused_domains');
    assert.equal(paused.length, 1);
    assert.equal(paused[0]!.domain, 'example.kz');
    assert.match(paused[0]!.reason, /consecutive failures; last: 451 4\.4\.1/);

    // Retries fall due, but the domain stays paused: nothing is tried.
    smtp.reply(() => 'accept');
    clock.advance(30 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.attempts(), attempts);
    // After the pause, deliveries resume and the streak is forgotten.
    clock.advance(31 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 5);
    const after = await t.app.store.sql.get('SELECT paused_at AS "pausedAt", consecutive_failures AS n FROM paused_domains');
    assert.deepEqual(after, { pausedAt: null, n: 0 });
  });

  it('a held letter is not sent, and an erased one fails with a clear reason', async () => {
    const { smtp, t } = await setup(() => 'accept');
    const { campaign } = await queuedLetters(t.app, 2);
    const [first, second] = await letterList(t.app, campaign.id);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${first!.id}`, headers: auth, payload: { status: 'held' } });
    const erased = await t.app.inject({ method: 'DELETE', url: '/api/v1/supporters?email=supporter2@example.org', headers: auth });
    assert.equal(erased.statusCode, 204);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.attempts(), 0);
    const letters = await letterList(t.app, campaign.id);
    assert.equal(letters.find((l) => l.id === first!.id)!.status, 'held');
    const gone = letters.find((l) => l.id === second!.id)!;
    assert.equal(gone.status, 'failed');
    assert.match(gone.lastError ?? '', /eras/);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('letters to a target removed after they were queued fail with a clear reason', async () => {
    const { smtp, t } = await setup(() => 'accept');
    const { campaign, target } = await queuedLetters(t.app, 2);
    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, headers: auth });
    assert.equal(removed.statusCode, 204);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.attempts(), 0);
    const letters = await letterList(t.app, campaign.id);
    assert.deepEqual(letters.map((l) => [l.status, l.lastError]), [
      ['failed', 'the target was removed before delivery'],
      ['failed', 'the target was removed before delivery'],
    ]);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('an outcome that cannot be written is kept and written later, the others at once; nothing is sent twice', async () => {
    const { smtp, t } = await setup(() => 'accept');
    const { campaign } = await queuedLetters(t.app, 3);
    const [, bad] = await letterList(t.app, campaign.id);
    // A real storage failure for one record only: recording this letter as sent aborts.
    const repair = await failWrites(t.app.store.sql, {
      name: 'bad_record',
      table: 'letters',
      before: 'UPDATE OF status',
      when: `NEW.id = '${bad!.id}' AND NEW.status = 'sent'`,
      message: 'simulated bad record',
    });
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 3);
    assert.deepEqual((await letterList(t.app, campaign.id)).map((l) => l.status), ['sent', 'sending', 'sent']);

    await repair();
    await t.app.delivery.worker.drain();
    assert.deepEqual((await letterList(t.app, campaign.id)).map((l) => l.status), ['sent', 'sent', 'sent']);
    // Long after any lease would have expired, nothing is sent again.
    clock.advance(hour);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 3);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it("a send outlasting its lease is not claimed again by its own worker", async () => {
    let open = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    const { smtp, t } = await setup((n) => (n === 1 ? { until: opened } : 'accept'));
    const { campaign } = await queuedLetters(t.app, 1);
    const worker = t.app.delivery.worker;
    const first = worker.tick();
    while (smtp.attempts() < 1) await new Promise((r) => setTimeout(r, 10));
    // The lease (5 min) has run out by the clock while the send is still out; claiming again must leave it alone.
    clock.advance(10 * minute);
    const second = worker.tick();
    open();
    await Promise.all([first, second]);
    assert.equal(smtp.attempts(), 1);
    const [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'sent');
    assert.equal(letter!.attempts, 1);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('a send past its deadline that is then accepted is recorded as sent once and never sent again', async () => {
    let open = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    const { smtp, t } = await setup((n) => (n === 1 ? { until: opened } : 'accept'), { DELIVERY_SEND_TIMEOUT_SECONDS: '1' });
    try {
      const { campaign } = await queuedLetters(t.app, 1);
      const worker = t.app.delivery.worker;
      // tick() returns at the deadline: the send is overdue, not failed.
      await worker.tick();
      let [letter] = await letterList(t.app, campaign.id);
      assert.deepEqual([letter!.status, letter!.attempts, letter!.lastError], ['sending', 1, null]);
      // Its lease has not run out: nothing claims it again.
      assert.equal(await worker.tick(), 0);
      open();
      await smtp.waitFor(1, 10_000);
      await until(async () => (await letterList(t.app, campaign.id))[0]!.status === 'sent', 'the late answer recorded');
      clock.advance(hour);
      await worker.drain();
      [letter] = await letterList(t.app, campaign.id);
      assert.deepEqual([letter!.status, letter!.attempts], ['sent', 1]);
      assert.equal(smtp.raw.length, 1);
      assert.equal(smtp.attempts(), 1);
      assert.equal((await recount(t.app.store)).drift, 0);
    } finally {
      open();
    }
  });

  it('a send that never answers is claimed again only once its lease has run out; its late answer then changes nothing', async () => {
    let open = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    const { smtp, t } = await setup((n) => (n === 1 ? { until: opened, then: { code: 451, message: '4.3.0 too late' } } : 'accept'), {
      DELIVERY_SEND_TIMEOUT_SECONDS: '1',
      DELIVERY_LEASE_SECONDS: '30',
    });
    try {
      const { campaign } = await queuedLetters(t.app, 1);
      const worker = t.app.delivery.worker;
      await worker.tick();
      clock.advance(29_000);
      assert.equal(await worker.tick(), 0, 'still leased: not claimed again');
      clock.advance(2000);
      assert.equal(await worker.tick(), 1, 'lease run out: claimed again');
      let [letter] = await letterList(t.app, campaign.id);
      assert.deepEqual([letter!.status, letter!.attempts], ['sent', 2]);
      // The first send's 451 finally comes: it belongs to a claim that is over.
      open();
      await until(() => smtp.attempts() === 2 && smtp.replied() === 2, 'the first send answered');
      await worker.drain();
      [letter] = await letterList(t.app, campaign.id);
      assert.deepEqual([letter!.status, letter!.attempts, letter!.lastError], ['sent', 2, null]);
      assert.equal((await recount(t.app.store)).drift, 0);
    } finally {
      open();
    }
  });

  it('no stored failure reason keeps an address, and erasure stops supporter mail that is in flight', async () => {
    const ref: { app?: TestApp['app'] } = {};
    const { smtp, t } = await setup(
      (_n, raw) => {
        const to = /^To: (.*)$/m.exec(raw.toString('latin1'))?.[1] ?? '';
        if (to.includes('supporter1@example.org')) {
          // The person is erased while their confirmation is on its way; once that is done the server defers it.
          const erased = ref.app!.services.supporters.erase('supporter1@example.org');
          return { until: erased, then: { code: 451, message: '4.2.1 <supporter1@example.org>: mailbox busy, try later' } };
        }
        if (to.includes('minister@example.kz')) return { code: 550, message: '5.1.1 <minister@example.kz>: no such user' };
        return 'accept';
      },
      { DELIVERY_PAUSE_AFTER: '1' },
    );
    ref.app = t.app;
    const { campaign } = await readyCampaign(t.app);
    assert.equal((await submit(t.app, campaign.slug, supporter(1))).statusCode, 202);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.attempts(), 1);
    const pause = await t.app.store.sql.value("SELECT reason FROM paused_domains WHERE domain = 'example.org'");
    assert.equal(pause, '1 consecutive failures; last: 451 4.2.1 <address>: mailbox busy, try later');
    clock.advance(3 * hour);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.attempts(), 1, 'never retried to the erased address');

    const letters = await queuedLetters(t.app, 1, { target: { email: 'minister@example.kz' }, supporter: () => ({ email: 'writer@example.org' }) });
    await t.app.delivery.worker.drain();
    const [letter] = await letterList(t.app, letters.campaign.id);
    assert.equal(letter!.status, 'failed');
    assert.equal(letter!.lastError, '550 5.1.1 <address>: no such user');

    const { sql } = t.app.store;
    const stored = [
      ...(await sql.all<{ r: string }>('SELECT last_error AS r FROM outbox WHERE last_error IS NOT NULL')),
      ...(await sql.all<{ r: string }>('SELECT last_error AS r FROM letters WHERE last_error IS NOT NULL')),
      ...(await sql.all<{ r: string }>('SELECT reason AS r FROM paused_domains WHERE reason IS NOT NULL')),
    ].map(({ r }) => r);
    assert.deepEqual(stored.filter((r) => r.includes('@')), []);
    const payloads = await sql.value("SELECT count(*) FROM outbox WHERE payload LIKE '%supporter1@example.org%'");
    assert.equal(payloads, 0);
  });

  it('an unreachable relay makes the worker wait without pausing any domain; per-mailbox 5xx pause nothing either', async () => {
    // A port nobody listens on: the relay is down.
    const probe = await startSmtp();
    const port = probe.port;
    await probe.close();
    t = await buildTestApp({ MAIL_TRANSPORT: `smtp://127.0.0.1:${port}`, RETRY_BASE_MS: '1000', RATE_LIMIT_PER_MINUTE: '1000', DELIVERY_PAUSE_AFTER: '2' }, { clock });
    const down = await queuedLetters(t.app, 3);
    await t.app.delivery.worker.drain();
    const letters = await letterList(t.app, down.campaign.id);
    assert.deepEqual(letters.map((l) => [l.status, l.attempts]), [['queued', 1], ['queued', 1], ['queued', 1]]);
    assert.match(letters[0]!.lastError ?? '', /ECONNREFUSED|ECONNECTION/);
    const paused = () => t!.app.store.sql.value('SELECT count(*) FROM paused_domains WHERE paused_at IS NOT NULL');
    assert.equal(await paused(), 0);

    // While it waits, even mail due now is not tried.
    const later = await queuedLetters(t.app, 1, { supporter: () => ({ email: 'later@example.org' }) });
    await t.app.delivery.worker.drain();
    assert.deepEqual((await letterList(t.app, later.campaign.id)).map((l) => [l.status, l.attempts]), [['queued', 0]]);

    // The relay is back: everything goes.
    smtp = await startSmtp(() => 'accept', port);
    clock.advance(5000);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 4);

    // Three unknown mailboxes at one provider: each fails, the domain stays open.
    smtp.reply(() => ({ code: 550, message: '5.1.1 Mailbox unavailable' }));
    const unknown = await queuedLetters(t.app, 3, { supporter: (i) => ({ email: `unknown${i}@example.org` }) });
    await t.app.delivery.worker.drain();
    assert.deepEqual((await letterList(t.app, unknown.campaign.id)).map((l) => l.status), ['failed', 'failed', 'failed']);
    assert.equal(await paused(), 0);
    assert.equal((await recount(t.app.store)).drift, 0);
  });
});
