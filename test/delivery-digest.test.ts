import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { letterList, manualClock, minute, queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { submit, supporter } from './helpers/supporters.js';

describe('digest delivery', () => {
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

  it('sends one mail per target with every letter since the last digest, then marks them all sent', async () => {
    const { campaign } = await queuedLetters(t.app, 5, {
      campaign: { delivery: { mode: 'digest', digestEveryMinutes: 60 } },
      supporter: (i) => ({ name: `Signer ${i}`, city: `City ${i}`, country: i % 2 ? 'KZ' : 'DE', note: `Note number ${i}` }),
    });
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, 0);
    assert.ok((await letterList(t.app, campaign.id)).every((l) => l.status === 'queued'));

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
    assert.ok((await letterList(t.app, campaign.id)).every((l) => l.status === 'sent'));

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
    assert.equal(recount(t.app.db).drift, 0);
  });
});
