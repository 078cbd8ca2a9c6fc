import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { letterMessage, parseSender, supporterMessage, UnsendableError } from '../src/delivery/messages.js';
import { createMailer } from '../src/delivery/transport.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { letterList, queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';

const first = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value;
const headerNames = (raw: string) => raw.slice(0, raw.indexOf('\n\n')).split('\n').filter((l) => /^\S/.test(l)).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());

describe('message headers', () => {
  const sender = parseSender('Chorus <letters@example.org>');
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  it('no supporter field can add a header or a recipient', async () => {
    const mailer = createMailer({ url: `file:${join(t.dir, 'hostile')}` });
    const hostile = 'Eve\r\nBcc: victim@example.org\r\n\r\nInjected body';
    await mailer.send(
      letterMessage(sender, {
        letterId: 'ltr_1',
        subject: `Appeal\r\nBcc: victim@example.org`,
        body: 'Dear Sir,\r\nBcc: not-a-header@example.org\r\n',
        signerName: hostile,
        supporterEmail: 'eve@example.org',
        targetName: 'Target\nCc: victim@example.org',
        targetEmail: 'prosecutor-general@example.kz',
      }),
    );
    await mailer.send(
      supporterMessage(sender, 'out_1', {
        to: { name: hostile, address: 'eve@example.org' },
        subject: 'Update\nBcc: victim@example.org',
        text: 'Hello',
        headers: { 'X-Test': 'a\r\nBcc: victim@example.org', 'Bad\r\nName': 'x' },
        unsubscribeUrl: 'https://chorus.example.org/unsubscribe/tok',
      }),
    );
    mailer.close();
    const files = readdirSync(join(t.dir, 'hostile'));
    assert.equal(files.length, 2);
    assert.ok(files.every((f) => f.endsWith('.eml')), 'no temp file left behind');
    for (const f of files) {
      const raw = readFileSync(join(t.dir, 'hostile', f), 'utf8');
      const names = headerNames(raw);
      assert.ok(!names.includes('bcc') && !names.includes('cc'), `injected header in ${names.join(',')}`);
      for (const h of ['from', 'to', 'subject', 'message-id']) assert.equal(names.filter((n) => n === h).length, 1, h);
      const parsed = await simpleParser(raw);
      assert.equal(first(parsed.to)?.length, 1);
      assert.doesNotMatch(JSON.stringify(parsed.headerLines), /victim@example\.org"?\s*$/m);
      const recipients = [parsed.to, parsed.cc, parsed.bcc].flatMap((a) => first(a) ?? []).map((a) => a.address);
      assert.ok(!recipients.includes('victim@example.org'));
    }
    const update = readFileSync(join(t.dir, 'hostile', files.find((f) => f.includes('out_1'))!), 'utf8');
    assert.match(update, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    assert.match(update, /^List-Unsubscribe: <https:\/\/chorus\.example\.org\/unsubscribe\/tok>$/m);

    // An address that is not one is refused outright rather than parsed into something else.
    assert.throws(
      () => supporterMessage(sender, 'out_2', { to: { name: 'x', address: 'eve@example.org\r\nBcc: victim@example.org' }, subject: 's', text: 't' }),
      UnsendableError,
    );
  });

  it('supporter input with line breaks is refused, and a Unicode line separator stays inside the display name', async () => {
    const { campaign } = await queuedLetters(t.app, 1, { supporter: () => ({ name: 'Eve\u2028Bcc: victim@example.org', city: 'Almaty\u2029X-Evil: 1' }) });
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/v1/actions/${campaign.slug}/letters`,
      payload: { name: 'Eve\r\nBcc: victim@example.org', email: 'eve@example.org', country: 'KZ' },
    });
    assert.equal(refused.statusCode, 422);
    await t.app.delivery.worker.drain();
    const [letter] = await letterList(t.app, campaign.id);
    assert.equal(letter!.status, 'sent');
    const dir = join(t.dir, 'outbox');
    const [file] = readdirSync(dir);
    const raw = readFileSync(join(dir, file!), 'utf8');
    const names = headerNames(raw);
    assert.ok(!names.includes('bcc') && !names.includes('x-evil'), names.join(','));
    const parsed = await simpleParser(raw);
    assert.equal(first(parsed.from)![0]!.name, 'Eve Bcc: victim@example.org via Chorus');
    assert.deepEqual([parsed.to, parsed.cc, parsed.bcc].flatMap((a) => first(a) ?? []).map((a) => a.address), ['prosecutor-general@example.kz']);
  });

  it('DKIM signs List-Unsubscribe-Post along with the usual headers', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(t.dir, 'dkim.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }));
    const mailer = createMailer({ url: `file:${join(t.dir, 'signed')}`, dkim: { domain: 'example.org', selector: 'chorus', keyFile } });
    await mailer.send(supporterMessage(sender, 'out_9', { to: { name: 'Ann', address: 'ann@example.org' }, subject: 'Update', text: 'Hi', unsubscribeUrl: 'https://chorus.example.org/unsubscribe/t' }));
    mailer.close();
    const [file] = readdirSync(join(t.dir, 'signed'));
    const raw = readFileSync(join(t.dir, 'signed', file!), 'utf8');
    const signature = /^DKIM-Signature: ([\s\S]*?)\n(?=\S)/m.exec(raw)?.[1]?.replace(/\s+/g, '') ?? '';
    assert.match(signature, /d=example\.org;/);
    assert.match(signature, /s=chorus;/);
    const signed = /(?:^|;)h=([^;]+);/.exec(signature)![1]!.toLowerCase().split(':');
    for (const h of ['from', 'to', 'subject', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']) assert.ok(signed.includes(h), h);
  });

  describe('over SMTP', () => {
    let smtp: TestSmtp;
    let s: TestApp;
    before(async () => {
      smtp = await startSmtp();
      s = await buildTestApp({ MAIL_TRANSPORT: smtp.url, MAIL_FROM: 'Chorus <letters@example.org>', RATE_LIMIT_PER_MINUTE: '1000' });
    });
    after(async () => {
      await s.close();
      await smtp.close();
    });

    it('Unicode display names round-trip (RFC 2047)', async () => {
      const names = ['Әлия Нұрланқызы', 'محمد الأحمد', '李雷', 'Zoë “Zo” Müller 🌻', 'O\'Brien, Seán'];
      await queuedLetters(s.app, names.length, { supporter: (i) => ({ name: names[i - 1] }) });
      await s.app.delivery.worker.drain();
      const mails = await smtp.parsed();
      const got = mails.map((m) => [first(m.from)![0]!.name, first(m.replyTo)![0]!.name]).sort();
      assert.deepEqual(got, names.map((n) => [`${n} via Chorus`, n]).sort());
      for (const raw of smtp.raw) {
        const head = raw.toString('latin1').slice(0, raw.indexOf('\r\n\r\n'));
        assert.match(head, /^From: (=\?UTF-8\?|")/m);
        assert.ok([...head].every((c) => c.charCodeAt(0) < 128), 'headers are 7-bit (encoded words)');
      }
    });
  });
});

describe('list headers by kind of mail', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, PUBLIC_URL: 'https://chorus.example.org' });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('the confirmation mail is transactional (no List-Unsubscribe); update mail carries one-click unsubscribe', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'email' });
    const jane = { ...supporter('lists'), consentUpdates: true };
    assert.equal((await submit(t.app, campaign.slug, jane)).statusCode, 202);
    await t.app.delivery.worker.drain();
    const [confirmation] = await smtp.parsed();
    const token = /\/confirm\/([\w-]+)/.exec(confirmation!.text ?? '')?.[1];
    assert.ok(token, 'the confirmation mail arrived');
    const lists = (m: ParsedMail) => m.headerLines.map((h) => h.key).filter((k) => k.startsWith('list-'));
    assert.deepEqual(lists(confirmation!), []);

    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).statusCode, 200);
    const posted = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/updates`,
      headers: auth,
      payload: { title: 'Hearing postponed', body: 'The court moved the hearing.', notify: true },
    });
    assert.equal(posted.statusCode, 201);
    await t.app.delivery.worker.drain();
    // Her two letters went to their targets meanwhile; to her: the confirmation, then the update.
    const toJane = (await smtp.parsed()).filter((m) => first(m.to)?.[0]?.address === jane.email);
    assert.deepEqual(toJane.map((m) => m.subject === confirmation!.subject), [true, false]);
    assert.deepEqual(lists(toJane[1]!).sort(), ['list-unsubscribe', 'list-unsubscribe-post']);
  });
});
