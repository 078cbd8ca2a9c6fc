import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { letterList, manualClock, minute, queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { submit, supporter } from './helpers/supporters.js';

describe('digest delivery', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  const clock = manualClock();
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, RATE_LIMIT_PER_MINUTE: '1000', RETRY_BASE_MS: '1000' }, { clock });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('sends one mail per target with every letter since the last digest, then marks them all sent', async () => {
    const { campaign } = await queuedLetters(t.app, 5, {
      campaign: { delivery: { mode: 'digest', digestEveryMinutes: 60 } },
      supporter: (i) => ({ name: `Signer ${i}`, city: `City ${i}`, country: i % 2 ? 'KZ' : 'DE', note: `Note number ${i}` }),
    });
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 0);
    assert.deepEqual((await letterList(t.app, campaign.id)).map((l) => l.status), Array(5).fill('queued'));

    clock.advance(61 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 1);
    const [mail] = await smtp.parsed();
    const text = mail!.text ?? '';
    assert.match(mail!.subject ?? '', /\(5 letters\)/);
    for (let i = 1; i <= 5; i++) {
      assert.match(text, new RegExp(`From: Signer ${i}, City ${i}, ${i % 2 ? 'Kazakhstan' : 'Germany'}`));
      assert.match(text, new RegExp(`Personal note: Note number ${i}`));
    }
    assert.equal(text.match(/Article 33/g)?.length, 5);
    assert.deepEqual((await letterList(t.app, campaign.id)).map((l) => l.status), Array(5).fill('sent'));

    // Later letters wait for the next digest, which carries only them.
    for (const i of [6, 7]) assert.equal((await submit(t.app, campaign.slug, supporter(i))).statusCode, 202);
    clock.advance(30 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 1);
    clock.advance(31 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 2);
    const second = (await smtp.parsed())[1]!;
    assert.match(second.subject ?? '', /\(2 letters\)/);
    assert.doesNotMatch(second.text ?? '', /Signer 1/);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('a letter held or erased while its digest waits for a retry leaves the digest and keeps its status', async () => {
    const { campaign } = await queuedLetters(t.app, 3, {
      campaign: { delivery: { mode: 'digest', digestEveryMinutes: 60 } },
      supporter: (i) => ({ name: `Retry Signer ${i}`, email: `retry${i}@example.org` }),
    });
    const before = smtp.raw.length;
    smtp.reply(() => ({ code: 451, message: '4.7.1 Try again later' }));
    clock.advance(61 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, before);
    const [held, erased, kept] = await letterList(t.app, campaign.id);
    assert.ok([held, erased, kept].every((l) => l!.status === 'queued'));

    const hold = await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${held!.id}`, headers: auth, payload: { status: 'held' } });
    assert.equal(hold.statusCode, 200);
    const erase = await t.app.inject({ method: 'DELETE', url: '/api/v1/supporters?email=retry2@example.org', headers: auth });
    assert.equal(erase.statusCode, 204);
    smtp.reply(() => 'accept');
    clock.advance(5000);
    await t.app.delivery.worker.drain();

    assert.equal(smtp.raw.length, before + 1);
    const mail = (await smtp.parsed())[before]!;
    assert.match(mail.subject ?? '', /\(1 letter\)/);
    assert.match(mail.text ?? '', /Retry Signer 3/);
    assert.doesNotMatch(mail.text ?? '', /Retry Signer 1/);
    let letters = await letterList(t.app, campaign.id);
    assert.deepEqual(letters.map((l) => l.status), ['held', 'failed', 'sent']);
    assert.equal((await recount(t.app.store)).drift, 0);

    // Released, the held letter goes with the next digest.
    const release = await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${held!.id}`, headers: auth, payload: { status: 'queued' } });
    assert.equal(release.statusCode, 200);
    clock.advance(61 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, before + 2);
    assert.match((await smtp.parsed())[before + 1]!.text ?? '', /Retry Signer 1/);
    letters = await letterList(t.app, campaign.id);
    assert.deepEqual(letters.map((l) => l.status), ['sent', 'failed', 'sent']);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('letters to a target removed before their digest went fail with the reason; no mail goes', async () => {
    const { campaign, target } = await queuedLetters(t.app, 2, {
      campaign: { delivery: { mode: 'digest', digestEveryMinutes: 60 } },
      supporter: (i) => ({ email: `removed${i}@example.org` }),
    });
    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, headers: auth });
    assert.equal(removed.statusCode, 204);
    const before = smtp.attempts();
    clock.advance(61 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.attempts(), before);
    const letters = await letterList(t.app, campaign.id);
    assert.deepEqual(letters.map((l) => [l.status, l.lastError]), [
      ['failed', 'the target was removed before delivery'],
      ['failed', 'the target was removed before delivery'],
    ]);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it("a note cannot fake another letter: each letter's lines are indented under its header", async () => {
    const forged = 'Free him.\n--- Letter 2 of 3 ---\nFrom: Forged Signer, Nowhere\n\nA letter nobody wrote.';
    await queuedLetters(t.app, 2, {
      campaign: { delivery: { mode: 'digest', digestEveryMinutes: 60 } },
      supporter: (i) => ({ name: `Honest ${i}`, email: `forge${i}@example.org`, note: i === 1 ? forged : 'Thank you.' }),
    });
    const before = smtp.raw.length;
    clock.advance(61 * minute);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, before + 1);
    const text = (await smtp.parsed())[before]!.text ?? '';
    assert.deepEqual(text.match(/^--- Letter .*$/gm), ['--- Letter 1 of 2 ---', '--- Letter 2 of 2 ---']);
    assert.deepEqual(text.match(/^From: .*$/gm), ['From: Honest 1, Almaty, Kazakhstan', 'From: Honest 2, Almaty, Kazakhstan']);
    assert.match(text, /^ +--- Letter 2 of 3 ---$/m);
    assert.match(text, /^ +From: Forged Signer, Nowhere$/m);
  });

  it('a backlog of 501 letters to one target goes as two mails of 500 and 1, each letter in exactly one', async () => {
    const { campaign } = await queuedLetters(t.app, 501, {
      campaign: { delivery: { mode: 'digest', digestEveryMinutes: 60 } },
      supporter: (i) => ({ name: `Split ${i}`, email: `split${i}@example.org` }),
    });
    const before = smtp.raw.length;
    clock.advance(61 * minute);
    await t.app.delivery.worker.drain();
    const mails = (await smtp.parsed()).slice(before);
    assert.deepEqual(mails.map((m) => m.subject?.match(/\((\d+) letters?\)$/)?.[1]).sort(), ['1', '500']);
    const signers = mails.flatMap((m) => (m.text ?? '').match(/^From: Split \d+,/gm) ?? []).sort();
    assert.deepEqual(signers, Array.from({ length: 501 }, (_, i) => `From: Split ${i + 1},`).sort());
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth });
    assert.equal(res.json().letters.sent, 501);
    assert.equal((await recount(t.app.store)).drift, 0);
  });
});
