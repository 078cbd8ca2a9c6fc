import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { LettersMoved } from '../src/domain/letter-lifecycle.js';
import { diagnosticMaxLength } from '../src/domain/bounces.js';
import { recount } from '../src/domain/recount.js';
import { inboundLimits } from '../src/delivery/inbound-smtp.js';
import { ADMIN_KEY, auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { letterList, manualClock, minute, queuedLetters, stats } from './helpers/delivery.js';
import { logLines } from './helpers/json-lines.js';
import { formSession, postForm } from './helpers/pages.js';
import { bounceAddress, dsn, mailFrom, sendReport } from './helpers/dsn.js';
import { failWrites } from './helpers/storage-failure.js';

/**
 * Bounces through the front door: letters sent by the worker (file transport), then real
 * delivery status notifications sent over SMTP by nodemailer to the app's inbound listener.
 */

describe('bounces: delivery status notifications over SMTP', () => {
  let t: TestApp;
  let port: number;
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (c: Buffer) => (logText += c.toString('utf8')));
  const moved: LettersMoved[] = [];
  // The public count of a campaign without confirmation is published once a minute: the test moves the clock past it.
  const clock = manualClock();

  before(async () => {
    t = await buildTestApp({ INBOUND_SMTP_PORT: '0', MAIL_FROM: mailFrom, RATE_LIMIT_PER_MINUTE: '1000', LOG_LEVEL: 'info' }, { logStream: logs, clock });
    port = t.app.inboundSmtp!.address()!.port;
    t.app.services.lifecycle.onMoved((e) => moved.push(e));
  });
  after(() => t.close());

  const send = (raw: string | Buffer, to?: string[]) => sendReport(port, raw, to);

  /** A campaign with `n` letters to one target, all sent by the worker; their Message-IDs read from the mail it wrote. */
  async function sentLetters(n: number) {
    const { campaign, target } = await queuedLetters(t.app, n, { supporter: (i) => ({ email: `signer${i}-${Math.random().toString(36).slice(2, 8)}@example.org` }) });
    await t.app.delivery.worker.drain();
    const letters = await letterList(t.app, campaign.id);
    assert.deepEqual(letters.map((l) => l.status), Array(n).fill('sent'));
    const dir = join(t.dir, 'outbox');
    const mails = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
    const mailOf = (letterId: string) => mails.find((m) => m.includes(`Message-ID: <${letterId}@chorus.example>`))!;
    return { campaign, target, letters, mailOf };
  }

  const count = async (slug: string) => {
    clock.advance(2 * minute);
    return (await t.app.inject({ url: `/api/v1/actions/${slug}/count` })).json() as { delivered: number; letters: number };
  };

  it('a permanent failure (5.1.1) for a sent letter makes it bounced, corrects the counts and tells the lifecycle', async () => {
    const { campaign, target, letters, mailOf } = await sentLetters(3);
    const letter = letters[0]!;
    assert.equal((await count(campaign.slug)).delivered, 3);
    moved.length = 0;

    // The whole letter comes back, as relays return it: its Reply-To names the supporter.
    const original = mailOf(letter.id).replace(/\n/g, '\r\n').replace(/\r\r\n/g, '\r\n');
    assert.match(original, /Reply-To: .*@example\.org/);
    const reply = await send(
      dsn({
        messageId: `<${letter.id}@chorus.example>`,
        original,
        // A diagnostic quoting the letter's Reply-To (the supporter's address) keeps no address at all.
        diagnostic: `550 5.1.1 <prosecutor-general@example.kz>: unknown; replies went to ${/Reply-To: .*<([^>]+)>/.exec(original)?.[1] ?? 'x@example.org'}`,
      }),
    );
    assert.equal(reply.code, 250, reply.response);

    const after = await letterList(t.app, campaign.id);
    const bounced = after.find((l) => l.id === letter.id)!;
    assert.equal(bounced.status, 'bounced');
    assert.match(bounced.lastError!, /^Bounced 5\.1\.1: smtp; 550 5\.1\.1 <address>: unknown; replies went to <address>$/);
    assert.deepEqual(after.filter((l) => l.id !== letter.id).map((l) => l.status), ['sent', 'sent']);

    const s = await stats(t.app, campaign.id);
    assert.equal(s.letters.sent, 2);
    assert.equal(s.letters.bounced, 1);
    assert.equal(s.letters.total, 3);
    const byTarget = (s.byTarget as unknown as { targetId: string; bounced: number; sent: number; lastBounce: string | null }[]).find((b) => b.targetId === target.id)!;
    assert.equal(byTarget.bounced, 1);
    assert.equal(byTarget.sent, 2);
    assert.equal(byTarget.lastBounce, bounced.lastError);
    const c = await count(campaign.slug);
    assert.equal(c.delivered, 2);
    assert.equal(c.letters, 3, 'a bounced letter was still written and confirmed');

    // What a letter.bounced event needs rides on the move: ids, the statuses and the reason.
    assert.deepEqual(moved, [
      { campaignId: campaign.id, moves: [{ letterId: letter.id, campaignId: campaign.id, targetId: target.id, from: 'sent', to: 'bounced', reason: bounced.lastError }] },
    ]);

    // The same report again (relays retry) changes nothing more.
    assert.equal((await send(dsn({ messageId: `<${letter.id}@chorus.example>` }))).code, 250);
    assert.equal((await stats(t.app, campaign.id)).letters.bounced, 1);
    assert.equal(moved.length, 1);

    // Counting the rows again finds the maintained counters exact.
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('a report returning only the header (text/rfc822-headers) is matched the same way', async () => {
    const { campaign, letters } = await sentLetters(1);
    const reply = await send(dsn({ messageId: `<${letters[0]!.id}@chorus.example>`, returned: 'text/rfc822-headers', status: '5.2.1', diagnostic: '550 5.2.1 mailbox disabled' }));
    assert.equal(reply.code, 250);
    const [l] = await letterList(t.app, campaign.id);
    assert.equal(l!.status, 'bounced');
    assert.equal(l!.lastError, 'Bounced 5.2.1: smtp; 550 5.2.1 mailbox disabled');
  });

  it('keeps at most diagnosticMaxLength characters of a diagnostic, on one line', async () => {
    const { campaign, letters } = await sentLetters(1);
    const long = `550 5.7.1 ${'policy text '.repeat(60)}`;
    assert.equal((await send(dsn({ messageId: `<${letters[0]!.id}@chorus.example>`, status: '5.7.1', diagnostic: long }))).code, 250);
    const [l] = await letterList(t.app, campaign.id);
    assert.equal(l!.status, 'bounced');
    const kept = l!.lastError!.slice('Bounced 5.7.1: '.length);
    assert.equal(kept.length, diagnosticMaxLength);
    assert.ok(kept.endsWith('…'));
    assert.ok(`smtp; ${long}`.startsWith(kept.slice(0, -1)));
  });

  it('a permanent failure of a digest mail bounces every letter it carried', async () => {
    const { campaign } = await queuedLetters(t.app, 3, { campaign: { delivery: { mode: 'digest', digestEveryMinutes: 60 } } });
    clock.advance(61 * minute);
    await t.app.delivery.worker.drain();
    assert.deepEqual((await letterList(t.app, campaign.id)).map((l) => l.status), ['sent', 'sent', 'sent']);
    const dir = join(t.dir, 'outbox');
    const digest = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).find((m) => /Subject: .*\(3 letters\)/.test(m))!;
    const messageId = /Message-ID: (<out_[^>]+>)/.exec(digest)![1]!;
    assert.equal((await send(dsn({ messageId }))).code, 250);
    assert.deepEqual((await letterList(t.app, campaign.id)).map((l) => l.status), ['bounced', 'bounced', 'bounced']);
    const s = await stats(t.app, campaign.id);
    assert.equal(s.letters.sent, 0);
    assert.equal(s.letters.bounced, 3);
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('a report that cannot be recorded is answered 451 (the relay retries) and changes nothing', async () => {
    const { campaign, letters } = await sentLetters(1);
    const messageId = `<${letters[0]!.id}@chorus.example>`;
    const before = await stats(t.app, campaign.id);
    const restore = await failWrites(t.app.store.sql, {
      name: 'bounce_write_fails',
      table: 'letters',
      before: 'UPDATE OF status',
      when: "NEW.status = 'bounced'",
      message: 'disk trouble',
    });
    try {
      const reply = await send(dsn({ messageId }));
      assert.equal(reply.code, 451, reply.response);
      assert.doesNotMatch(reply.response, /disk trouble/);
    } finally {
      await restore();
    }
    assert.deepEqual(await stats(t.app, campaign.id), before);
    assert.equal((await letterList(t.app, campaign.id))[0]!.status, 'sent');
    // The relay's retry goes through.
    assert.equal((await send(dsn({ messageId }))).code, 250);
    assert.equal((await letterList(t.app, campaign.id))[0]!.status, 'bounced');
  });

  it('a transient report (4.x.x, delayed) is accepted and changes nothing', async () => {
    const { campaign, letters } = await sentLetters(1);
    const id = `<${letters[0]!.id}@chorus.example>`;
    moved.length = 0;
    for (const d of [
      { action: 'delayed', status: '4.4.7', diagnostic: 'smtp; 451 4.4.7 greylisted, try again' },
      { action: 'failed', status: '4.2.2', diagnostic: 'smtp; 452 4.2.2 mailbox full' },
      { action: 'delivered', status: '2.0.0', diagnostic: 'smtp; 250 ok' },
    ]) {
      assert.equal((await send(dsn({ messageId: id, ...d }))).code, 250, d.status);
    }
    const [l] = await letterList(t.app, campaign.id);
    assert.equal(l!.status, 'sent');
    assert.equal(l!.lastError, null);
    assert.equal((await stats(t.app, campaign.id)).letters.sent, 1);
    assert.equal((await count(campaign.slug)).delivered, 1);
    assert.equal(moved.length, 0);
  });

  it('retention scrubs a bounced letter like a delivered one, and then its writer', async () => {
    const { campaign, letters } = await sentLetters(1);
    assert.equal((await send(dsn({ messageId: `<${letters[0]!.id}@chorus.example>` }))).code, 250);
    const row = () => t.app.store.sql.get<{ body: string | null; status: string }>('SELECT body, status FROM letters WHERE id = ?', [letters[0]!.id]);
    assert.notEqual((await row())!.body, null);
    // Past both retention periods (28 days for bodies, 365 for contact data: the defaults).
    clock.advance(366 * 24 * 60 * minute);
    await t.app.services.supporters.applyRetention();
    const after = (await row())!;
    assert.equal(after.status, 'bounced');
    assert.equal(after.body, null);
    const list = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters`, headers: auth });
    assert.deepEqual((list.json() as { items: { supporter: { email: string | null } }[] }).items.map((l) => l.supporter.email), [null]);
  });

  it('a report for a Message-ID Chorus did not write is accepted and ignored', async () => {
    const { campaign, letters } = await sentLetters(1);
    const before = await stats(t.app, campaign.id);
    for (const messageId of [
      '<ltr_000000000unknownletter1@chorus.example>',
      // A real letter's id under another domain is not a Message-ID Chorus wrote.
      `<${letters[0]!.id}@elsewhere.example>`,
      '<CAF=x8y+something@mail.gmail.com>',
    ]) {
      assert.equal((await send(dsn({ messageId }))).code, 250, messageId);
    }
    assert.deepEqual(await stats(t.app, campaign.id), before);
    assert.equal((await letterList(t.app, campaign.id))[0]!.status, 'sent');
  });

  it('mail that is not a delivery status notification is refused with 550 and changes nothing', async () => {
    const { campaign, letters } = await sentLetters(1);
    const id = `<${letters[0]!.id}@chorus.example>`;
    const before = await stats(t.app, campaign.id);
    const plain = `From: someone@example.org\r\nTo: ${bounceAddress}\r\nSubject: Re: ${id}\r\nIn-Reply-To: ${id}\r\n\r\nStatus: 5.1.1\r\nAction: failed\r\n`;
    const other = dsn({ messageId: id, reportType: 'disposition-notification' });
    const noStatus = dsn({ messageId: id }).replace(/Content-Type: message\/delivery-status/, 'Content-Type: text/plain');
    for (const [what, raw] of [['plain mail', plain], ['another report type', other], ['no delivery-status part', noStatus]] as const) {
      const reply = await send(raw);
      assert.equal(reply.code, 550, what);
      assert.match(reply.response, /delivery status notifications/);
    }
    assert.deepEqual(await stats(t.app, campaign.id), before);
  });

  it('limits: message size (552), recipients per message (452), connections at once (421)', async () => {
    const { campaign, letters } = await sentLetters(1);
    const id = `<${letters[0]!.id}@chorus.example>`;

    // One byte under the limit passes; over it, the report is refused whatever it says.
    const padded = (bytes: number) => {
      const base = dsn({ messageId: id, original: `Message-ID: ${id}\r\n\r\n` });
      const line = `${'x'.repeat(76)}\r\n`;
      const fill = line.repeat(Math.ceil((bytes - Buffer.byteLength(base)) / line.length));
      return base.replace('This is a MIME-encapsulated message.\r\n', `This is a MIME-encapsulated message.\r\n${fill}`);
    };
    const big = await send(padded(inboundLimits.maxMessageBytes + 1024));
    assert.equal(big.code, 552, big.response);
    assert.equal((await letterList(t.app, campaign.id))[0]!.status, 'sent');

    // Recipients past the limit are refused one by one; the message goes to the rest.
    const to = Array.from({ length: inboundLimits.maxRecipients + 1 }, (_, i) => `bounces${i}@chorus.example`);
    const many = await send(dsn({ messageId: id, status: '4.4.7', action: 'delayed' }), to);
    assert.equal(many.code, 250);
    assert.deepEqual(many.rejected, [to.at(-1)]);
    assert.equal((many.rejectedErrors[0] as { responseCode?: number } | undefined)?.responseCode, 452);

    // Connections: the limit's worth are greeted, one more is told to come back later.
    const greeting = (socket: Socket) =>
      new Promise<string>((resolve, reject) => {
        let text = '';
        socket.on('data', (c: Buffer) => {
          text += c.toString('utf8');
          if (text.includes('\r\n')) resolve(text);
        });
        socket.on('error', reject);
      });
    const open = (): Promise<{ socket: Socket; line: string }> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        greeting(socket).then((line) => resolve({ socket, line }), reject);
      });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < inboundLimits.maxConnections; i++) {
        const c = await open();
        held.push(c.socket);
        assert.match(c.line, /^220 /);
      }
      const extra = await open();
      held.push(extra.socket);
      assert.match(extra.line, /^421 /);
    } finally {
      for (const s of held) s.destroy();
    }
    // Once they are gone, a report goes through again: the same limit of a size just under it passes.
    // (The server notices the closed connections a moment later: try until it has, with no deadline asserted.)
    let ok = await send(padded(inboundLimits.maxMessageBytes - 1024));
    for (let i = 0; i < 200 && ok.code === 421; i++) {
      await new Promise((r) => setTimeout(r, 10));
      ok = await send(padded(inboundLimits.maxMessageBytes - 1024));
    }
    assert.equal(ok.code, 250, ok.response);
    assert.equal((await letterList(t.app, campaign.id))[0]!.status, 'bounced');
  });

  it('shows bouncing targets on the dashboard with the address to fix', async () => {
    const { campaign, target, letters } = await sentLetters(2);
    await send(dsn({ messageId: `<${letters[1]!.id}@chorus.example>` }));
    const { cookie, token } = await formSession(t.app, '/admin');
    const signedIn = await postForm(t.app, '/admin/sign-in', [['_csrf', token], ['key', ADMIN_KEY]], cookie);
    const session = [signedIn.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('chorus_admin='))!.split(';')[0];
    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie: `${cookie}; ${session}` } });
    assert.equal(page.statusCode, 200);
    const section = /<section class="card" aria-labelledby="bounces-h" id="bounces">([\s\S]*?)<\/section>/.exec(page.body)?.[1];
    assert.ok(section, 'the dashboard has the bounces section');
    assert.match(section, /Addresses that bounce/);
    assert.match(section, /<code>prosecutor-general@example\.kz<\/code>/);
    assert.match(section, /Bounced 5\.1\.1: smtp; 550 5\.1\.1 &lt;address&gt;: Recipient address rejected: User unknown in virtual mailbox table/);
    assert.match(section, new RegExp(`PATCH /api/v1/campaigns/${campaign.id}/targets/`));
    assert.doesNotMatch(section, /changed since the latest report/);

    // The organizer corrects the address: the dashboard says so beside it.
    clock.advance(minute);
    const fix = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, headers: auth, payload: { email: 'pg-office@example.kz' } });
    assert.equal(fix.statusCode, 200, fix.body);
    const fixed = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie: `${cookie}; ${session}` } });
    const again = /<section class="card" aria-labelledby="bounces-h" id="bounces">([\s\S]*?)<\/section>/.exec(fixed.body)![1]!;
    assert.match(again, /<code>pg-office@example\.kz<\/code><span class="hint">changed since the latest report<\/span>/);

    // The API's list filters by the new status.
    const list = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?status=bounced`, headers: auth });
    assert.deepEqual((list.json() as { items: { id: string }[] }).items.map((l) => l.id), [letters[1]!.id]);
  });

  it('logs nothing personal about the mail it took or refused', () => {
    const lines = logLines(logText).filter((l) => l.component === 'inbound-smtp');
    assert.ok(lines.some((l) => l.msg === 'delivery status notification: permanent failure'));
    assert.ok(lines.some((l) => /refused/.test(String(l.msg))));
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    assert.doesNotMatch(text, /@example\.(org|kz)|@chorus\.example|relay\.example|Dear Sir/);
  });
});

describe('bounces: no listener unless INBOUND_SMTP_PORT is set', () => {
  it('starts no SMTP server by default', async () => {
    const t = await buildTestApp();
    try {
      assert.equal(t.app.inboundSmtp, undefined);
    } finally {
      await t.close();
    }
  });
});
