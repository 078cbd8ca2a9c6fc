import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { hour, manualClock, minute } from './helpers/delivery.js';
import { formSession, postForm } from './helpers/pages.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

const count = async (t: TestApp, slug: string) => (await t.app.inject({ url: `/api/v1/actions/${slug}/count` })).json().supporters as number;

describe('confirmation and unsubscribe pages', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  it('GET shows the letters and a Confirm form and changes nothing; POST confirms once and answers with the thank-you page (200), again on a second POST', async () => {
    const { campaign } = await readyCampaign(t.app);
    await submit(t.app, campaign.slug, { ...supporter(1), note: 'Free him <now>.' });
    const token = (await confirmationTokens(t.app)).get('supporter1@example.org')!;

    const page = await t.app.inject({ url: `/confirm/${token}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<form method="post" action="\/confirm\/[\w-]+">/);
    assert.match(page.body, /To Mr Daulbayev, Prosecutor General of Kazakhstan/);
    assert.match(page.body, /Free him &lt;now&gt;\./);
    assert.match(page.headers['content-security-policy'] as string, /default-src 'self'/);
    assert.equal(await count(t, campaign.slug), 0, 'a GET confirms nothing');

    const thanks = await t.app.inject({ method: 'POST', url: `/confirm/${token}` });
    assert.equal(thanks.statusCode, 200);
    assert.match(thanks.headers['content-type'] as string, /^text\/html/);
    assert.equal(await count(t, campaign.slug), 1);
    assert.match(thanks.body, /Your letter is confirmed and on its way/);
    assert.match(thanks.body, /Thank you!/);
    assert.match(thanks.body, /<strong data-count="supporters">1<\/strong> supporter of/);
    assert.match(thanks.body, /href="mailto:\?subject(=|&#x3D;)/);
    assert.match(thanks.body, /href="https:\/\/wa\.me\/\?text(=|&#x3D;)[^"]*localhost%3A3000%2Fc%2F/);

    const again = await t.app.inject({ method: 'POST', url: `/confirm/${token}` });
    assert.equal(again.statusCode, 200);
    assert.match(again.body, /<h1>Thank you!<\/h1>/);
    assert.match(again.body, /You have already confirmed this letter/);
    assert.equal(await count(t, campaign.slug), 1, 'confirming twice counts once');
    const seen = await t.app.inject({ url: `/confirm/${token}` });
    assert.match(seen.body, /You have already confirmed this letter/);
    assert.ok(!seen.body.includes('<form method="post"'));
  });

  it('an unknown or expired link is a 404 page', async () => {
    for (const url of ['/confirm/aaaaaaaaaaaaaaaaaaaaaaaa', '/unsubscribe/aaaaaaaaaaaaaaaaaaaaaaaa', '/confirm/short', `/c/${'x'.repeat(65)}`]) {
      const res = await t.app.inject({ url });
      assert.equal(res.statusCode, 404);
      assert.match(res.body, /This page does not exist, or the link has expired/);
    }
    const post = await t.app.inject({ method: 'POST', url: '/confirm/aaaaaaaaaaaaaaaaaaaaaaaa' });
    assert.equal(post.statusCode, 404);
  });

  it('unsubscribe: GET asks, RFC 8058 one-click POST works without cookies or CSRF, in any body, and is idempotent', async () => {
    const { campaign } = await readyCampaign(t.app);
    await submit(t.app, campaign.slug, { ...supporter(2), consentUpdates: true });
    const token = (await confirmationTokens(t.app)).get('supporter2@example.org')!;
    await t.app.inject({ method: 'POST', url: `/confirm/${token}` });
    await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/updates`, headers: auth, payload: { title: 'Hearing moved', body: 'To 3 May.', notify: true } });
    const payload = (await t.app.store.sql.value<string>("SELECT payload FROM outbox WHERE kind = 'update'"))!;
    const url = new URL(JSON.parse(payload).unsubscribeUrl as string).pathname;
    const consent = () => t.app.store.sql.value("SELECT consent_updates FROM supporters WHERE email = 'supporter2@example.org'");

    const page = await t.app.inject({ url });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Stop receiving updates about &quot;/);
    assert.equal(await consent(), 1, 'a GET unsubscribes nobody');

    const oneClick = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    assert.equal(oneClick.statusCode, 200);
    assert.match(oneClick.body, /You will receive no more updates/);
    assert.equal(await consent(), 0);
    const boundary = 'x-boundary';
    const multipart = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
    });
    assert.equal(multipart.statusCode, 200);
    assert.equal(await consent(), 0);
    const after = await t.app.inject({ url });
    assert.match(after.body, /You will receive no more updates/);
  });
});

describe('embeddable counter and badge', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  it('may be framed by any site, is cacheable, and shows the count', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    for (let i = 0; i < 3; i++) await submit(t.app, campaign.slug, supporter(i));
    const counter = await t.app.inject({ url: `/embed/${campaign.slug}/counter` });
    assert.equal(counter.statusCode, 200);
    assert.match(counter.headers['content-security-policy'] as string, /frame-ancestors \*/);
    assert.equal(counter.headers['x-frame-options'], undefined);
    assert.match(counter.headers['cache-control'] as string, /^public, max-age=60/);
    assert.match(counter.body, /<body class="embed">/);
    assert.match(counter.body, /data-live-count="[^"]+"/);
    assert.match(counter.body, /<strong data-count="supporters">3<\/strong> supporters of/);

    const badge = await t.app.inject({ url: `/embed/${campaign.slug}/badge.svg` });
    assert.equal(badge.statusCode, 200);
    assert.match(badge.headers['content-type'] as string, /^image\/svg\+xml/);
    assert.equal(badge.headers['cross-origin-resource-policy'], 'cross-origin');
    assert.match(badge.body, /<text[^>]*>3 supporters<\/text>/);

    const page = await t.app.inject({ url: `/c/${campaign.slug}` });
    assert.match(page.headers['content-security-policy'] as string, /frame-ancestors 'none'/, 'only the embed routes may be framed');
    assert.equal((await t.app.inject({ url: '/embed/no-such/badge.svg' })).statusCode, 404);
  });

  it('formats large counts for the locale', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, supporter('big'));
    // 3,800 people (the Open Doors campaign's figure) would take a while to submit one by one.
    await t.app.store.sql.run("UPDATE counters SET value = 3801 WHERE campaign_id = ? AND name = 'supporters'", [campaign.id]);
    const badge = await t.app.inject({ url: `/embed/${campaign.slug}/badge.svg` });
    assert.match(badge.body, />3,801 supporters</);
  });

  it('escapes the campaign title in the badge', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none', title: 'Free <b>"Ali" & Co</b>' });
    const badge = await t.app.inject({ url: `/embed/${campaign.slug}/badge.svg` });
    assert.equal(badge.statusCode, 200);
    assert.match(badge.body, /<title>Free &lt;b&gt;&quot;Ali&quot; &amp; Co&lt;\/b&gt;: 0 supporters<\/title>/);
    assert.doesNotMatch(badge.body, /<b>/);
  });
});

describe('organizer dashboard', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  async function signIn(key = ADMIN_KEY) {
    const { cookie, token } = await formSession(t.app, '/admin');
    const res = await postForm(t.app, '/admin/sign-in', [['_csrf', token], ['key', key]], cookie);
    const session = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('chorus_admin='));
    return { res, cookie: session ? `${cookie}; ${session.split(';')[0]}` : cookie, session };
  }

  it('asks for a key; a wrong one is refused; the right one opens an HttpOnly, SameSite=Strict session', async () => {
    const page = await t.app.inject({ url: '/admin' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<input type="password" name="key"/);
    const wrong = await signIn('not-a-valid-key-0000000000');
    assert.equal(wrong.res.statusCode, 401);
    assert.equal(wrong.session, undefined);
    const right = await signIn();
    assert.equal(right.res.statusCode, 303);
    assert.match(right.session!, /HttpOnly/);
    assert.match(right.session!, /SameSite=Strict/);
    assert.match(right.session!, /Path=\/admin/);
    const list = await t.app.inject({ url: '/admin', headers: { cookie: right.cookie } });
    assert.match(list.body, /<h1>Campaigns<\/h1>/);
    assert.match(list.body, /Sign out/);
  });

  it('keeps the key out of the cookie and the database; signing out or revoking the key ends the session', async () => {
    const minted = (await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'laptop', scopes: ['campaigns'] } })).json();
    const opened = async () => {
      const s = await signIn(minted.key);
      return { ...s, token: decodeURIComponent(/^chorus_admin=([^;]*)/.exec(s.session!)![1]!) };
    };
    const page = (cookie: string) => t.app.inject({ url: '/admin', headers: { cookie } });

    const first = await opened();
    assert.notEqual(first.token, minted.key);
    const stored = await t.app.store.sql.all('SELECT token_hash, key_hash FROM admin_sessions');
    assert.ok(stored.length > 0);
    for (const row of stored) {
      assert.doesNotMatch(JSON.stringify(row), new RegExp(`${first.token}|${minted.key}`), 'only hashes at rest');
    }
    assert.match((await page(first.cookie)).body, /<h1>Campaigns<\/h1>/);

    // Signing out deletes the session: replaying the old cookie finds nothing.
    const { token: csrf } = await formSession(t.app, '/admin', first.cookie);
    const out = await postForm(t.app, '/admin/sign-out', [['_csrf', csrf]], first.cookie);
    assert.equal(out.statusCode, 303);
    assert.match((await page(first.cookie)).body, /<input type="password" name="key"/);

    // Revoking the key ends its other sessions at once.
    const second = await opened();
    assert.match((await page(second.cookie)).body, /<h1>Campaigns<\/h1>/);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${minted.id}`, headers: auth })).statusCode, 204);
    assert.match((await page(second.cookie)).body, /<input type="password" name="key"/);
  });

  it('without a session, pages redirect to the sign-in and actions are refused', async () => {
    const { campaign } = await readyCampaign(t.app);
    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}` });
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/admin');
    const csv = await t.app.inject({ url: `/admin/campaigns/${campaign.id}/letters.csv` });
    assert.equal(csv.statusCode, 303);
    const { cookie, token } = await formSession(t.app, '/admin');
    const post = await postForm(t.app, `/admin/campaigns/${campaign.id}/status`, [['_csrf', token], ['status', 'paused']], cookie);
    assert.equal(post.statusCode, 401);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}`, headers: auth })).json().status, 'active');
  });

  it('shows counts, progress, the chart, the delivery panel, and releases a held letter', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app, { confirmation: 'none', delivery: { mode: 'email', perTargetPerHour: 1 } });
    await submit(t.app, campaign.slug, { ...supporter('h'), name: 'Held <Writer>' });
    await submit(t.app, campaign.slug, supporter('q'));
    const letters = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters`, headers: auth })).json().items as {
      id: string;
      targetId: string;
      supporter: { name: string };
    }[];
    const held = letters.find((l) => l.supporter.name === 'Held <Writer>' && l.targetId === prosecutor.id)!;
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${held.id}`, headers: auth, payload: { status: 'held' } });
    // The panel counts as throttled what the worker has deferred under the limit: let it run once.
    await t.app.delivery.worker.drain();

    const { cookie } = await signIn();
    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<b>2<\/b><span>Supporters<\/span>/);
    assert.match(page.body, /2 supporters of 5,000/);
    assert.match(page.body, /<svg class="chart-bars"/);
    assert.match(page.body, /<rect class="bar"[^>]*><title>[^<]*: 2 supporters<\/title>/);
    assert.match(page.body, /Held &lt;Writer&gt;/);
    // One letter an hour per target (queued, of them throttled, sent, failed, held): the ambassador's second letter
    // waits for the next hour, shown as part of queued; the prosecutor's other one went and the held one stays.
    const row = (name: string) => {
      const m = new RegExp(`<strong>${name}</strong>.*?</td>\\s*<td class="num"[^>]*>(\\d+)(?:<span class="hint">(\\d+) of them waiting for the hourly limit</span>)?</td>${'\\s*<td class="num"[^>]*>(\\d+)</td>'.repeat(3)}`, 's').exec(page.body)!;
      return m.slice(1).map((v) => Number(v ?? 0));
    };
    assert.deepEqual(row('Ambassador of Kazakhstan'), [1, 1, 1, 0, 0]);
    assert.deepEqual(row('Mr Daulbayev'), [0, 0, 1, 0, 1]);
    assert.match(page.body, /include those waiting for the recipient(?:'|&#x27;)s hourly limit/);
    const release = /action="(\/admin\/letters\/[^"]+\/release)"/.exec(page.body)![1]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;

    const forged = await postForm(t.app, release, [['_csrf', 'forged']], cookie);
    assert.equal(forged.statusCode, 403);
    const done = await postForm(t.app, release, [['_csrf', token]], cookie);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, `/admin/campaigns/${campaign.id}?done=released`);
    const status = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?status=held`, headers: auth })).json().items;
    assert.equal(status.length, 0);
    const after = await t.app.inject({ url: done.headers.location as string, headers: { cookie } });
    assert.match(after.body, /The letter has been released/);
    assert.match(after.body, /No letters are held/);
  });

  it('changes the status, posts an update, and downloads the CSV', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, supporter('csv'));
    const { cookie } = await signIn();
    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie } });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    assert.match(page.body, /name="status" value="paused"/);
    assert.ok(!page.body.includes('name="status" value="draft"'), 'only allowed moves are offered');

    const paused = await postForm(t.app, `/admin/campaigns/${campaign.id}/status`, [['_csrf', token], ['status', 'paused']], cookie);
    assert.equal(paused.statusCode, 303);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}`, headers: auth })).json().status, 'paused');
    const illegal = await postForm(t.app, `/admin/campaigns/${campaign.id}/status`, [['_csrf', token], ['status', 'draft']], cookie);
    assert.equal(illegal.statusCode, 409);

    const empty = await postForm(t.app, `/admin/campaigns/${campaign.id}/updates`, [['_csrf', token], ['title', ''], ['body', 'x']], cookie);
    assert.equal(empty.statusCode, 422);
    assert.match(empty.body, /id="u-title-error">Enter a title/);
    const posted = await postForm(t.app, `/admin/campaigns/${campaign.id}/updates`, [['_csrf', token], ['title', 'UPDATE: hearing'], ['body', 'Moved to May.']], cookie);
    assert.equal(posted.statusCode, 303);
    const action = await t.app.inject({ url: `/c/${campaign.slug}` });
    assert.match(action.body, /UPDATE: hearing/);

    const csv = await t.app.inject({ url: `/admin/campaigns/${campaign.id}/letters.csv`, headers: { cookie } });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.match(csv.headers['content-disposition'] as string, /attachment/);
    assert.match(csv.body, /supportercsv@example\.org/);
  });

  it('makes a print run of the queued letters only, downloads its PDF and marks it mailed, all without JavaScript', async () => {
    const campaign = await createCampaign(t.app, { confirmation: 'none', delivery: { mode: 'postal' } });
    await createTarget(t.app, campaign.id, {
      name: 'Pastor Bakhytzhan Kashkumbayev',
      title: 'Prisoner',
      email: undefined,
      postalAddress: { lines: ['Institution SI-12'], city: 'Astana', postcode: '010000', country: 'KZ' },
    });
    await createTemplate(t.app, campaign.id);
    for (const n of ['pdf1', 'pdf2', 'pdf3', 'pdf4']) await submit(t.app, campaign.slug, supporter(n));
    const letters = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters`, headers: auth })).json().items as { id: string }[];
    const [mailed, held] = letters;
    await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/letters/mark-mailed`, headers: auth, payload: { ids: [mailed!.id] } });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${held!.id}`, headers: auth, payload: { status: 'held' } });
    const statuses = async () =>
      new Map(((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters`, headers: auth })).json().items as { id: string; status: string }[]).map((l) => [l.id, l.status]));
    const pages = (pdf: Buffer) => pdf.toString('latin1').match(/\/Type \/Page\b/g)?.length;

    const { cookie } = await signIn();
    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie } });
    assert.match(page.body, /<form method="post" action="\/admin\/campaigns\/[^"]+\/print-runs">/);
    assert.match(page.body, /Make a print run of the 2 queued letters/);
    assert.doesNotMatch(page.body, /href="\/admin\/campaigns\/[^"]+\/letters\.pdf"/, 'no download that prints every letter');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;

    assert.equal((await postForm(t.app, `/admin/campaigns/${campaign.id}/print-runs`, [['_csrf', 'forged']], cookie)).statusCode, 403);
    // The button asks first, naming the letters the run takes; nothing is made until confirmed.
    const asked = await postForm(t.app, `/admin/campaigns/${campaign.id}/print-runs`, [['_csrf', token]], cookie);
    assert.equal(asked.statusCode, 200);
    assert.match(asked.body, /Make a print run of 2 letters\?/);
    assert.doesNotMatch((await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie } })).body, /print-runs\/[^"]+\/letters\.pdf/);
    const made = await postForm(t.app, `/admin/campaigns/${campaign.id}/print-runs`, [['_csrf', token], ['confirm', 'yes']], cookie);
    assert.equal(made.statusCode, 303);
    assert.equal(made.headers.location, `/admin/campaigns/${campaign.id}?done=printed`);
    const listed = await t.app.inject({ url: made.headers.location as string, headers: { cookie } });
    assert.match(listed.body, /The print run has been made/);
    const pdfUrl = /href="(\/admin\/campaigns\/[^"]+\/print-runs\/[^"]+\/letters\.pdf)"/.exec(listed.body)![1]!;
    const markUrl = /action="(\/admin\/campaigns\/[^"]+\/print-runs\/[^"]+\/mailed)"/.exec(listed.body)![1]!;

    const pdf = await t.app.inject({ url: pdfUrl, headers: { cookie } });
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pages(pdf.rawPayload), 2, 'neither the held nor the already mailed letter is printed');

    // Released after the run was made: not printed, so marking the run leaves it queued.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${held!.id}`, headers: auth, payload: { status: 'queued' } });
    assert.equal((await postForm(t.app, markUrl, [['_csrf', 'forged']], cookie)).statusCode, 403);
    assert.equal((await statuses()).get(held!.id), 'queued');
    const ask = await postForm(t.app, markUrl, [['_csrf', token]], cookie);
    assert.match(ask.body, /Mark 2 letters as mailed\?/);
    assert.equal((await statuses()).get(held!.id), 'queued');
    const done = await postForm(t.app, markUrl, [['_csrf', token], ['confirm', 'yes']], cookie);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, `/admin/campaigns/${campaign.id}?done=mailed`);
    const after = await statuses();
    assert.equal([...after.values()].filter((s) => s === 'sent').length, 3);
    assert.equal(after.get(held!.id), 'queued');
    const end = await t.app.inject({ url: done.headers.location as string, headers: { cookie } });
    assert.match(end.body, /marked as mailed/);
    assert.match(end.body, /Make a print run of the 1 queued letter</);
    assert.doesNotMatch(end.body, /\/mailed"/, 'nothing of the run is left to mark');
  });

  it('a print run of an email campaign is refused', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    const { cookie } = await signIn();
    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie } });
    assert.doesNotMatch(page.body, /print-runs/);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    assert.equal((await postForm(t.app, `/admin/campaigns/${campaign.id}/print-runs`, [['_csrf', token]], cookie)).statusCode, 409);
  });

  it('a key without the letters scope sees no counts or supporters, and cannot release or download', async () => {
    const minted = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'desk', scopes: ['campaigns'] } });
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, { ...supporter('private'), name: 'Aigerim Private', city: 'Shymkent' });
    const letter = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters`, headers: auth })).json().items[0] as { id: string };
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${letter.id}`, headers: auth, payload: { status: 'held' } });
    const { cookie } = await signIn(minted.json().key);

    const list = await t.app.inject({ url: '/admin', headers: { cookie } });
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(`href="/admin/campaigns/${campaign.id}"`));
    assert.doesNotMatch(list.body, /Letters delivered|Awaiting confirmation/, 'counts need the letters scope');
    assert.match(list.body, /Counts need a key with the &quot;letters&quot; scope/);

    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie } });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Aigerim Private|Shymkent/, 'held letters name their supporters only for the letters scope');
    assert.doesNotMatch(page.body, /Delivery by recipient|<svg class="chart-bars"|letters\.csv/);
    assert.match(page.body, /Counts, delivery and held letters need a key with the &quot;letters&quot; scope/);
    assert.match(page.body, /name="status" value="paused"/, 'campaign changes stay with the campaigns scope');
    const csv = await t.app.inject({ url: `/admin/campaigns/${campaign.id}/letters.csv`, headers: { cookie } });
    assert.equal(csv.statusCode, 403);
    assert.match(csv.body, /Your key lacks the &quot;letters&quot; scope/);

    const admin = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie: (await signIn()).cookie } });
    assert.match(admin.body, /Aigerim Private/);
  });

  it('a key without the campaigns scope sees no campaigns', async () => {
    const minted = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'keys only', scopes: ['keys'] } });
    const { campaign } = await readyCampaign(t.app);
    const { cookie } = await signIn(minted.json().key);
    const list = await t.app.inject({ url: '/admin', headers: { cookie } });
    assert.equal(list.statusCode, 403);
    assert.doesNotMatch(list.body, /\/admin\/campaigns\//);
    assert.doesNotMatch(list.body, new RegExp(campaign.slug));
    assert.match(list.body, /Your key lacks the &quot;campaigns&quot; scope/);
    assert.match(list.body, /Sign out/, 'the session can still be ended');
    const page = await t.app.inject({ url: `/admin/campaigns/${campaign.id}`, headers: { cookie } });
    assert.equal(page.statusCode, 403);
    assert.doesNotMatch(page.body, new RegExp(campaign.slug));
  });
});

describe('dashboard session lifetime', () => {
  const clock = manualClock();
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({}, { clock });
  });
  after(() => t.close());

  it('lasts a working day: still signed in at 7 h 59 min, back at the sign-in form at 8 h 01 min', async () => {
    const { cookie, token } = await formSession(t.app, '/admin');
    const res = await postForm(t.app, '/admin/sign-in', [['_csrf', token], ['key', ADMIN_KEY]], cookie);
    const session = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('chorus_admin='))!;
    const signedIn = `${cookie}; ${session.split(';')[0]}`;
    const page = () => t.app.inject({ url: '/admin', headers: { cookie: signedIn } });

    clock.advance(7 * hour + 59 * minute);
    assert.match((await page()).body, /<h1>Campaigns<\/h1>/);
    clock.advance(2 * minute);
    const expired = (await page()).body;
    assert.match(expired, /<input type="password" name="key"/);
    assert.doesNotMatch(expired, /<h1>Campaigns<\/h1>/);
  });
});
