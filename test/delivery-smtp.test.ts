import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddressObject } from 'mailparser';
import { recount } from '../src/domain/recount.js';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { until } from './helpers/worker-process.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

const first = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0];

describe('delivery over real SMTP', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, MAIL_FROM: 'Chorus <letters@example.org>' });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('delivers the confirmation mail, then both letters once confirmed, with counters moved in step', async () => {
    const { campaign } = await readyCampaign(t.app);
    const res = await submit(t.app, campaign.slug, { ...supporter(1), name: 'Әлия Нұрланқызы', note: 'Please.' });
    assert.equal(res.statusCode, 202);
    const token = (await confirmationTokens(t.app)).get('supporter1@example.org')!;

    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 1);
    const [confirmation] = await smtp.parsed();
    assert.equal(first(confirmation!.to)?.address, 'supporter1@example.org');
    assert.match(confirmation!.text ?? '', /\/confirm\//);

    const confirmed = await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` });
    assert.equal(confirmed.statusCode, 200);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 3);

    const letters = (await smtp.parsed()).slice(1);
    const to = letters.map((m) => first(m.to)?.address).sort();
    assert.deepEqual(to, ['ambassador@example.kz', 'prosecutor-general@example.kz']);
    for (const m of letters) {
      assert.equal(first(m.from)?.address, 'letters@example.org');
      assert.equal(first(m.from)?.name, 'Әлия Нұрланқызы via Chorus');
      assert.equal(first(m.replyTo)?.address, 'supporter1@example.org');
      assert.match(m.text ?? '', /Article 33/);
      assert.match(m.messageId ?? '', /^<ltr_[\w-]+@example\.org>$/);
    }

    const list = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/letters`, headers: { authorization: 'Bearer test-admin-key-0123456789abcdef' } });
    const items = list.json().items as { id: string; status: string; attempts: number; sentAt: string | null }[];
    assert.deepEqual(items.map((l) => [l.status, l.attempts]), [['sent', 1], ['sent', 1]]);
    assert.ok(items.every((l) => l.sentAt));
    // The Message-ID is derived from the letter id.
    assert.deepEqual(letters.map((m) => m.messageId!.slice(1, m.messageId!.indexOf('@'))).sort(), items.map((l) => l.id).sort());

    const stats = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/stats`, headers: { authorization: 'Bearer test-admin-key-0123456789abcdef' } })).json();
    assert.equal(stats.letters.sent, 2);
    assert.equal(stats.letters.queued, 0);
    assert.equal((await recount(t.app.store)).drift, 0);
    // Sent supporter mail no longer holds its confirmation link.
    assert.equal(await t.app.store.sql.value("SELECT count(*) FROM outbox WHERE payload IS NOT NULL AND status = 'sent'"), 0);
  });
});

describe('the inline worker', () => {
  it('starts with the app, sends a confirmation without being asked, and finishes an in-flight send before the database closes', async () => {
    const smtp = await startSmtp((n) => (n === 2 ? { delayMs: 300 } : 'accept'));
    const t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, WORKER: 'inline', RATE_LIMIT_PER_MINUTE: '1000' });
    try {
      const { campaign } = await readyCampaign(t.app);
      assert.equal((await submit(t.app, campaign.slug, supporter(1))).statusCode, 202);
      await smtp.waitFor(1);
      // The second message is slow; closing the app waits for it and records it.
      assert.equal((await submit(t.app, campaign.slug, supporter(2))).statusCode, 202);
      while (smtp.attempts() < 2) await new Promise((r) => setTimeout(r, 10));
      await t.app.close();
      assert.equal(smtp.raw.length, 2);
      // The app is closed: its database is opened again to read what it recorded.
      const again = await t.reopen();
      try {
        assert.equal(await again.store.sql.value("SELECT count(*) FROM outbox WHERE status = 'sent'"), 2);
      } finally {
        await again.close();
      }
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('keeps the window full: outcomes recorded by the timer let it claim more while slow sends are still out', async () => {
    const gate = () => {
      let open = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      return { open, opened };
    };
    const slow = gate();
    const fast = [gate(), gate(), gate()];
    // Three slow messages, three released one by one by the test, the rest accepted at once.
    const smtp = await startSmtp((n) => (n <= 3 ? { until: slow.opened } : n <= 6 ? { until: fast[n - 4]!.opened } : 'accept'));
    const t = await buildTestApp({ MAIL_TRANSPORT: `${smtp.url}?maxConnections=6`, DELIVERY_CONCURRENCY: '6', RATE_LIMIT_PER_MINUTE: '1000' });
    try {
      const { campaign } = await queuedLetters(t.app, 9);
      const sent = async () => (await t.app.store.sql.value<number>("SELECT count(*) FROM letters WHERE campaign_id = ? AND status = 'sent'", [campaign.id]))!;
      t.app.delivery.worker.start();
      await until(() => smtp.attempts() === 6, 'six messages in flight');
      for (const [i, g] of fast.entries()) {
        g.open();
        await until(async () => (await sent()) >= i + 1, `fast message ${i + 1} recorded`);
      }
      // Only the slow three are out now: half the window is free, so the last three letters go.
      await until(async () => (await sent()) === 6, 'the remaining letters sent while the slow ones are still out', 10_000);
      assert.equal(smtp.attempts(), 9);
      slow.open();
      await until(async () => (await sent()) === 9, 'all sent');
      assert.equal(smtp.raw.length, 9);
    } finally {
      slow.open();
      await t.close();
      await smtp.close();
    }
  });
});
