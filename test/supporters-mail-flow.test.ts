import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ParsedMail } from 'mailparser';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';

const publicUrl = 'https://chorus.example.org';
const recipient = (m: ParsedMail) => (Array.isArray(m.to) ? m.to[0] : m.to)?.value[0]?.address;
const header = (m: ParsedMail, name: string) => m.headerLines.find((h) => h.key === name.toLowerCase())?.line;

/**
 * Issue 3 end to end, with nothing read from the database: what a supporter sees is the mail
 * a real SMTP server received, and what a dashboard sees is the public count.
 */
describe('supporters: the whole flow through a real SMTP server', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, MAIL_FROM: 'Chorus <letters@example.org>', PUBLIC_URL: publicUrl });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  const mailTo = async (address: string) => (await smtp.parsed()).filter((m) => recipient(m) === address);
  const count = async (slug: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/actions/${slug}/count` })).json();

  it('submission → confirmation mail → its link → counted; duplicates get a neutral notice; updates reach only consenting supporters and unsubscribe works', async () => {
    const { campaign } = await readyCampaign(t.app);
    const slug = campaign.slug;
    const jane = { ...supporter('jane'), consentUpdates: true };
    const omar = supporter('omar');

    assert.equal((await submit(t.app, slug, jane)).statusCode, 202);
    assert.equal((await submit(t.app, slug, omar)).statusCode, 202);
    await t.app.delivery.worker.drain();
    const pending = await count(slug);
    assert.deepEqual([pending.supporters, pending.letters], [0, 0], 'nobody counts before confirming');

    // The link in the mail is the only way in; opening it (as a mail scanner would) confirms nothing.
    const [confirmation] = await mailTo(jane.email);
    const link = /https:\/\/chorus\.example\.org\/confirm\/[\w-]+/.exec(confirmation!.text ?? '')?.[0];
    assert.ok(link, 'the confirmation mail carries a link under PUBLIC_URL');
    const path = new URL(link).pathname;
    const page = await t.app.inject({ method: 'GET', url: path });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.equal((await count(slug)).supporters, 0);

    const token = path.split('/').pop()!;
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).statusCode, 200, 'a second confirm is harmless');
    const counted = await count(slug);
    assert.equal(counted.supporters, 1);
    assert.equal(counted.letters, 2);

    await t.app.delivery.worker.drain();
    assert.equal((await count(slug)).delivered, 2);
    const letters = (await smtp.parsed()).filter((m) => recipient(m)?.endsWith('@example.kz'));
    assert.equal(letters.length, 2);
    for (const letter of letters) {
      assert.ok(!letter.text?.includes(omar.email) && !letter.text?.includes(omar.name), 'no other supporter in a letter');
    }

    // Jane signs again: nothing new is created, her inbox gets a neutral notice without a link.
    const before = smtp.raw.length;
    assert.equal((await submit(t.app, slug, jane)).statusCode, 202);
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, before + 1);
    const notice = (await mailTo(jane.email)).at(-1)!;
    assert.doesNotMatch(notice.text ?? '', /\/confirm\//);
    assert.equal((await count(slug)).letters, 2);

    // A notified update reaches the consenting, counted supporter only, with RFC 8058 headers.
    const posted = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/updates`,
      headers: auth,
      payload: { title: 'Hearing postponed', body: 'The court moved the hearing to 14 March.', notify: true },
    });
    assert.equal(posted.statusCode, 201);
    await t.app.delivery.worker.drain();
    const update = (await mailTo(jane.email)).at(-1)!;
    assert.match(update.text ?? '', /Hearing postponed/);
    assert.equal((await mailTo(omar.email)).length, 1, 'the unconfirmed, non-consenting supporter got only the confirmation');
    assert.equal(header(update, 'List-Unsubscribe-Post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const unsubscribe = /<(https:\/\/chorus\.example\.org\/unsubscribe\/[\w-]+)>/.exec(header(update, 'List-Unsubscribe') ?? '')?.[1];
    assert.ok(unsubscribe, 'List-Unsubscribe names the one-click URL');

    // One click, as a mail client sends it: no cookie, no CSRF token; repeating it is harmless.
    const oneClickPath = new URL(unsubscribe).pathname;
    for (let i = 0; i < 2; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: oneClickPath,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      assert.equal(res.statusCode, 200);
    }
    const sent = smtp.raw.length;
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/updates`,
      headers: auth,
      payload: { title: 'Second hearing', body: 'Another date.', notify: true },
    });
    await t.app.delivery.worker.drain();
    assert.equal(smtp.raw.length, sent, 'no update after unsubscribing');
    assert.equal((await recount(t.app.store)).drift, 0);
  });
});
