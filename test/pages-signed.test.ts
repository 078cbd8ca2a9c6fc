import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { manualClock } from './helpers/delivery.js';
import { followSigned, postForm } from './helpers/pages.js';
import { confirmationTokens, readyCampaign as ready, submit, supporter, tableCounts } from './helpers/supporters.js';

/** A campaign with two targets, and the ticked boxes a browser posts for both. */
async function readyCampaign(app: TestApp['app'], overrides: Record<string, unknown> = {}) {
  const c = await ready(app, overrides);
  return { ...c, ticked: [c.prosecutor, c.ambassador].map((x): [string, string] => ['targetIds', x.id]) };
}

const signer = (email: string, extra: [string, string][] = []): [string, string][] => [
  ['name', 'Aigerim Sadykova'],
  ['email', email],
  ['country', 'KZ'],
  ['city', 'Almaty'],
  ['note', 'Please do not send him back.'],
  ...extra,
];

/** Confirmation mails queued for an address, newest last (read before the worker wipes the payload). */
async function confirmationMailsTo(t: TestApp, email: string) {
  const rows = await t.app.store.sql.all<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'confirmation' AND payload IS NOT NULL ORDER BY id");
  return rows.map((r) => JSON.parse(r.payload) as { to: { address: string }; text: string }).filter((m) => m.to.address === email);
}
const mailsOfKind = async (t: TestApp, kind: string) => Number(await t.app.store.sql.value('SELECT count(*) FROM outbox WHERE kind = ?', [kind]));

/**
 * After the action form: a failed post opens at its error summary with "Error: " in the title; a
 * valid one redirects (post/redirect/get) to a "check your inbox" page that names the address,
 * survives a reload without sending anything again, and offers to send the letters to a
 * corrected address or the link again, the same answer whether or not the address signed before.
 */
describe('the action form: errors first, then "check your inbox"', () => {
  let t: TestApp;
  const clock = manualClock('2026-11-20T09:00:00.000Z');
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  it('a failed post is titled "Error: …", and its form posts to the error summary\'s anchor', async () => {
    const { campaign } = await readyCampaign(t.app, { title: 'Free Pastor Makset' });
    const page = await t.app.inject({ url: `/c/${campaign.slug}` });
    assert.match(page.body, /<title>Free Pastor Makset · Chorus<\/title>/);
    assert.ok(page.body.includes(`action="/c/${campaign.slug}#error-summary"`));
    const res = await postForm(t.app, `/c/${campaign.slug}`, [['email', 'nope']]);
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /<title>Error: Free Pastor Makset · Chorus<\/title>/);
    assert.match(res.body, /<div class="error-summary" id="error-summary" role="alert"/);
  });

  it('a valid post redirects (303) to a page that names the address typed, escaped; reloading it sends nothing again', async () => {
    const { campaign, ticked } = await readyCampaign(t.app);
    const before = await tableCounts(t.app);
    const email = "o'brien+news@example.org";
    const posted = await postForm(t.app, `/c/${campaign.slug}`, signer(email, ticked));
    const first = await followSigned(t.app, posted);
    assert.equal(first.statusCode, 200);
    assert.match(first.body, /<h1>Check your inbox<\/h1>/);
    assert.ok(first.body.includes('We have sent a link to o&#x27;brien+news@example.org.'), 'the address, as text');
    assert.match(first.body, /<meta name="robots" content="noindex">/);
    assert.equal(first.headers['cache-control'], 'no-store');
    assert.equal(first.headers['set-cookie'], undefined);
    assert.ok(!first.location.includes('example.org') && !first.location.includes('brien'), 'the address is sealed in the link, not readable');
    const afterPost = await tableCounts(t.app);
    assert.equal(afterPost.letters - before.letters, 2);
    for (let i = 0; i < 3; i++) assert.equal((await t.app.inject({ url: first.location })).statusCode, 200);
    assert.deepEqual(await tableCounts(t.app), afterPost, 'reloading the page stores nothing');
    assert.equal((await confirmationMailsTo(t, email)).length, 1, 'and sends nothing');
  });

  it('a forged, altered or hour-old page address leads back to the campaign', async () => {
    const { campaign, ticked } = await readyCampaign(t.app);
    const { location } = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer('late@example.org', ticked)));
    const ticket = location.split('=').at(-1)!;
    const altered = ticket.slice(0, 30) + (ticket[30] === 'A' ? 'B' : 'A') + ticket.slice(31);
    for (const bad of [altered, 'x'.repeat(60), '']) {
      const res = await t.app.inject({ url: `/c/${campaign.slug}/signed?ticket=${bad}` });
      assert.equal(res.statusCode, 303, bad);
      assert.equal(res.headers.location, `/c/${campaign.slug}`);
    }
    // Another campaign's page does not take it: a ticket holds letters for its own campaign only.
    const other = await readyCampaign(t.app);
    const elsewhere = await t.app.inject({ url: `/c/${other.campaign.slug}/signed?ticket=${ticket}` });
    assert.equal(elsewhere.statusCode, 303);
    assert.equal(elsewhere.headers.location, `/c/${other.campaign.slug}`);
    clock.advance(59 * 60 * 1000);
    assert.equal((await t.app.inject({ url: location })).statusCode, 200, 'still there after 59 minutes');
    clock.advance(60 * 1000);
    const old = await t.app.inject({ url: location });
    assert.equal(old.statusCode, 303);
    assert.equal(old.headers.location, `/c/${campaign.slug}`);
    const late = await postForm(t.app, location, [['email', 'late@example.org']]);
    assert.equal(late.statusCode, 303, 'nor does a correction posted from it');
    assert.equal(late.headers.location, `/c/${campaign.slug}`);
  });

  it('a corrected address gets the same letters and the link; the wrong one is never confirmed', async () => {
    const { campaign, ticked } = await readyCampaign(t.app);
    const { location, body } = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer('aigerim@exmaple.org', ticked)));
    assert.match(body, /<input type="email" name="email" id="f-email" value="aigerim@exmaple.org"/);
    assert.ok(body.includes(`action="${location.replace('=', '&#x3D;')}#error-summary"`), 'the correction posts to the error summary\'s anchor');

    const bad = await postForm(t.app, location, [['email', 'aigerim at example']]);
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /<title>Error: /);
    assert.match(bad.body, /id="error-summary"[\s\S]*href="#f-email"/);
    assert.match(bad.body, /value="aigerim at example"/, 'the attempt is kept for fixing');

    const fixed = await followSigned(t.app, await postForm(t.app, location, [['email', 'aigerim@example.org']]));
    assert.ok(fixed.body.includes('We have sent a link to aigerim@example.org.'));
    const tokens = await confirmationTokens(t.app);
    assert.ok(tokens.has('aigerim@example.org'));
    const letters = await t.app.store.sql.all<{ email: string; note: string; status: string }>(
      'SELECT s.email, l.note, l.status FROM letters l JOIN supporters s ON s.id = l.supporter_id WHERE l.campaign_id = ? ORDER BY s.email',
      [campaign.id],
    );
    assert.deepEqual(
      letters.map((l) => [l.email, l.note, l.status]),
      [
        ['aigerim@example.org', 'Please do not send him back.', 'pending_confirmation'],
        ['aigerim@example.org', 'Please do not send him back.', 'pending_confirmation'],
        ['aigerim@exmaple.org', 'Please do not send him back.', 'pending_confirmation'],
        ['aigerim@exmaple.org', 'Please do not send him back.', 'pending_confirmation'],
      ],
    );
    assert.equal((await t.app.inject({ method: 'POST', url: `/confirm/${tokens.get('aigerim@example.org')}` })).statusCode, 200);
    const stats = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json();
    assert.equal(stats.supporters.total, 1, "one supporter counted: the corrected address");
    assert.equal(stats.supporters.pending, 1, "the wrong address still waits, and will expire unconfirmed");
  });

  it('"send the link again" sends a fresh, working link while the letters wait; after confirming, only the neutral notice; the page is the same', async () => {
    const { campaign, ticked } = await readyCampaign(t.app);
    const email = 'resend@example.org';
    const { location } = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer(email, ticked)));
    const again = await followSigned(t.app, await postForm(t.app, location, [['email', email]]));
    const mails = await confirmationMailsTo(t, email);
    assert.equal(mails.length, 2);
    const link = /\/confirm\/([\w-]+)/.exec(mails[1]!.text)![1]!;
    assert.notEqual(link, /\/confirm\/([\w-]+)/.exec(mails[0]!.text)![1]);
    const confirmed = await t.app.inject({ method: 'POST', url: `/confirm/${link}` });
    assert.match(confirmed.body, /Thank you!/);

    const notices = await mailsOfKind(t, 'notice');
    const afterConfirming = await followSigned(t.app, await postForm(t.app, again.location, [['email', email]]));
    assert.equal((await confirmationMailsTo(t, email)).length, 2, 'no link for letters already confirmed');
    assert.equal(await mailsOfKind(t, 'notice'), notices + 1);
    // The same page apart from its ticket and the count, which the confirmation just moved.
    const strip = (html: string) => html.replace(/ticket&#x3D;[\w-]+/g, 'ticket=T').replace(/<div class="progress"[\s\S]*?<\/div>/, '');
    assert.equal(strip(afterConfirming.body), strip(again.body), 'the page cannot tell whether the address signed before');
  });

  it('a campaign without confirmation says the letter is on its way, and offers no correction', async () => {
    const { campaign, ticked } = await readyCampaign(t.app, { confirmation: 'none' });
    const { body } = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer('queued@example.org', ticked)));
    assert.match(body, /Your letter is on its way/);
    assert.ok(!body.includes('queued@example.org'));
    assert.ok(!body.includes('id="f-email"'));
  });

  it('refuses a correction another site makes a browser send, and stores nothing', async () => {
    const { campaign, ticked } = await readyCampaign(t.app);
    const { location } = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer('csrf@example.org', ticked)));
    const before = await tableCounts(t.app);
    const res = await postForm(t.app, location, [['email', 'attacker@example.org']], '', { 'sec-fetch-site': 'cross-site' });
    assert.equal(res.statusCode, 403);
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('the JSON API answers a repeated submission the same as before (202), with or without a fresh link', async () => {
    const { campaign } = await readyCampaign(t.app);
    const first = await submit(t.app, campaign.slug, supporter('api'));
    const second = await submit(t.app, campaign.slug, supporter('api'));
    assert.equal(first.statusCode, 202);
    assert.equal(second.body, first.body);
  });
});

describe('corrections and resends share the form\'s rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
  });
  after(() => t.close());

  it('the fourth post in a minute from one client (form or correction) is a 429 page and sends nothing', async () => {
    const { campaign, ticked } = await readyCampaign(t.app);
    const { location } = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer('limit@example.org', ticked)));
    assert.equal((await postForm(t.app, location, [['email', 'limit@example.org']])).statusCode, 303);
    assert.equal((await postForm(t.app, location, [['email', 'limit@example.org']])).statusCode, 303);
    const limited = await postForm(t.app, location, [['email', 'limit2@example.org']]);
    assert.equal(limited.statusCode, 429);
    assert.ok(limited.headers['retry-after']);
    assert.match(limited.body, /Too many attempts/);
    assert.equal(await t.app.store.sql.value("SELECT count(*) FROM supporters WHERE email = 'limit2@example.org'"), 0);
  });
});
