import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { followSigned, postForm } from './helpers/pages.js';
import { confirmationTokens, readyCampaign, submit, supporter, tableCounts } from './helpers/supporters.js';

const signer = (n: number, extra: [string, string][] = []): [string, string][] => [
  ['name', `Supporter ${n}`],
  ['email', `supporter${n}@example.org`],
  ['country', 'KZ'],
  ['city', 'Almaty'],
  ...extra,
];

describe('action page', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  it('shows the campaign, its recipients, progress, timeline, letter preview and a labelled form; everything escaped', async () => {
    const { campaign } = await readyCampaign(t.app, {
      title: 'Free <script>alert(1)</script> Pastor Makset',
      story: 'Arrested on 5 September.\n\nHe faces <b>extradition</b>.',
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/updates`,
      headers: auth,
      payload: { title: 'UPDATE: court hearing', body: 'The hearing was postponed.' },
    });
    const res = await t.app.inject({ url: `/c/${campaign.slug}` });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    const html = res.body;
    assert.ok(!html.includes('<script>alert(1)'), 'a title is text, never markup');
    assert.match(html, /<h1 id="title">Free &lt;script&gt;alert\(1\)&lt;\/script&gt; Pastor Makset<\/h1>/);
    assert.match(html, /He faces &lt;b&gt;extradition&lt;\/b&gt;/);
    assert.match(html, /UPDATE: court hearing/);
    assert.match(html, /<strong data-count="supporters">0<\/strong> supporters of <strong data-count="goal">5,000<\/strong>/);
    assert.ok(html.includes(`<div class="progress" data-live-count="${campaign.slug}">`), 'the script keeps the count live');
    // The recipients are listed once: as the choice of whom to write to.
    assert.match(html, /<label for="f-target-0">Mr Daulbayev<span class="hint role">Prosecutor General of Kazakhstan<\/span><\/label>/);
    assert.equal(html.split('Prosecutor General of Kazakhstan').length - 1, 1, 'no second list of recipients');
    assert.ok(!html.includes('prosecutor-general@example.kz'), "a target's address is never on the page");
    assert.match(html, /id="preview-text"[^>]*>Dear Mr Daulbayev,/);
    for (const id of ['f-name', 'f-email', 'f-city', 'f-country', 'f-note', 'f-consentUpdates']) assert.match(html, new RegExp(`<label for="${id}"`));
    assert.match(html, /<input type="checkbox" name="consentUpdates" value="true" id="f-consentUpdates">/, 'consent is not ticked by default');
    assert.match(html, /<option value="KZ">Kazakhstan<\/option>/);
    assert.ok(!html.includes('_csrf'), 'the public form carries no token');
    assert.equal(res.headers['set-cookie'], undefined, 'the action page sets no cookie');
    const csp = res.headers['content-security-policy'] as string;
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['cache-control'], 'no-store');
    // The page's own assets are the only ones, served with a long cache.
    const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(
      assets.map((a) => a.replace(/\.[\w-]{10}\./, '.')),
      ['/assets/icon.svg', '/assets/pages.css', '/assets/pages.js'],
      'the icon, the stylesheet and the script, each under a content-hashed name',
    );
    for (const url of assets) {
      const asset = await t.app.inject({ url });
      assert.equal(asset.statusCode, 200);
      assert.match(asset.headers['cache-control'] as string, /immutable/);
    }
    assert.ok(!/(?:href|src)="https?:/.test(html.replace(/<a [^>]*>/g, '')), 'no external resource');
  });

  it('tells a site a link is shared on what the campaign is: its title, summary and address, escaped', async () => {
    const { campaign } = await readyCampaign(t.app, { title: 'Free "Makset" <now>', summary: 'A refugee & pastor faces extradition.' });
    const page = await t.app.inject({ method: 'GET', url: `/c/${campaign.slug}` });
    assert.match(page.body, /<meta property="og:title" content="Free &quot;Makset&quot; &lt;now&gt;">/);
    assert.match(page.body, /<meta property="og:description" content="A refugee &amp; pastor faces extradition.">/);
    assert.match(page.body, new RegExp(`<meta property="og:url" content="http://localhost:3000/c/${campaign.slug}">`));
    // A large card: the page has a generated image of its title and count (pages-share-card.test.ts).
    assert.match(page.body, /<meta name="twitter:card" content="summary_large_image">/);
    assert.match(page.body, new RegExp(`<meta property="og:image" content="http://localhost:3000/c/${campaign.slug}/card.png">`));
    const other = await t.app.inject({ method: 'GET', url: '/' });
    assert.doesNotMatch(other.body, /og:title/, 'only campaign pages are share cards');
  });

  it('is 404 as a page for a draft or unknown campaign', async () => {
    const draft = await createCampaign(t.app, { status: 'draft' });
    for (const url of [`/c/${draft.slug}`, '/c/no-such-campaign']) {
      const res = await t.app.inject({ url });
      assert.equal(res.statusCode, 404);
      assert.match(res.headers['content-type'] as string, /^text\/html/);
      assert.match(res.body, /<h1>Not found<\/h1>/);
    }
  });

  it('re-renders the form with each error next to its field, the input kept, and stores nothing', async () => {
    const { campaign } = await readyCampaign(t.app);
    const before = await tableCounts(t.app);
    const res = await postForm(
      t.app,
      `/c/${campaign.slug}`,
      [
        ['name', 'Jane <b>Roe</b>'],
        ['email', 'not-an-address'],
        ['country', ''],
        ['note', 'Please let him stay.'],
        ['consentUpdates', 'true'],
      ],
    );
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /id="f-email-error"><span class="visually-hidden">Error: <\/span>Enter a valid email address/);
    assert.match(res.body, /id="f-country-error"><span class="visually-hidden">Error: <\/span>Choose your country/);
    assert.ok(!res.body.includes('id="f-name-error"'));
    assert.match(res.body, /id="f-name" value="Jane &lt;b&gt;Roe&lt;\/b&gt;"/);
    assert.match(res.body, /id="f-email" value="not-an-address"/);
    assert.match(res.body, />Please let him stay\.<\/textarea>/);
    assert.match(res.body, /id="f-consentUpdates" checked/);
    assert.match(res.body, /aria-invalid="true"/);
    assert.match(res.body, /<a href="#f-email">Enter a valid email address/);
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('applies the campaign rules like the API: a forbidden phrase in the note is an error on the note', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app, { rules: { forbiddenPhrases: ['Open Doors'], noteMaxLength: 1000 } });
    const before = await tableCounts(t.app);
    const res = await postForm(
      t.app,
      `/c/${campaign.slug}`,
      [...signer(1, [['note', 'Open Doors asked me to write.'], ['targetIds', prosecutor.id]])],
    );
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /id="f-note-error"><span class="visually-hidden">Error: <\/span>The letter contains &quot;Open Doors&quot;/);
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('shows the campaign\'s writing guidance beside the note, escaped, and in the public view', async () => {
    const guidance = 'Do not mention any organization <b>at all</b>: letters are read by the prison.';
    const { campaign } = await readyCampaign(t.app, { rules: { forbiddenPhrases: [], noteMaxLength: 1000, guidance } });
    const page = await t.app.inject({ url: `/c/${campaign.slug}` });
    assert.match(page.body, /<p class="guidance" id="f-note-guidance"><strong>Please note:<\/strong> Do not mention any organization &lt;b&gt;at all&lt;\/b&gt;: letters are read by the prison\.<\/p>/);
    assert.match(page.body, /<textarea name="note" id="f-note"[^>]*aria-describedby="f-note-hint f-note-guidance"/);
    assert.equal((await t.app.inject({ url: `/api/v1/actions/${campaign.slug}` })).json().rules.guidance, guidance);
    const plain = await readyCampaign(t.app);
    assert.doesNotMatch((await t.app.inject({ url: `/c/${plain.campaign.slug}` })).body, /f-note-guidance/);
  });

  it('asks for at least one recipient when every target is unticked', async () => {
    const { campaign } = await readyCampaign(t.app);
    const res = await postForm(t.app, `/c/${campaign.slug}`, [...signer(1)]);
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /id="f-targetIds-error">.*Choose at least one person/);
  });

  it('accepts a valid post exactly like the API and redirects to "check your inbox", setting no cookie', async () => {
    const { campaign, prosecutor, ambassador } = await readyCampaign(t.app);
    const before = await tableCounts(t.app);
    const posted = await postForm(
      t.app,
      `/c/${campaign.slug}`,
      [...signer(1), ['targetIds', prosecutor.id], ['targetIds', ambassador.id], ['consentUpdates', 'true'], ['website', '']],
    );
    assert.equal(posted.headers['set-cookie'], undefined);
    const res = await followSigned(t.app, posted);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<h1>Check your inbox<\/h1>/);
    assert.equal(res.headers['set-cookie'], undefined);
    const after = await tableCounts(t.app);
    assert.equal(after.supporters - before.supporters, 1);
    assert.equal(after.letters - before.letters, 2);
    assert.ok((await confirmationTokens(t.app)).has('supporter1@example.org'));
    assert.equal(await t.app.store.sql.value('SELECT consent_updates FROM supporters WHERE campaign_id = ?', [campaign.id]), 1);
  });

  it('reads a ticked checkbox\'s "on" (and "true", "1") as consent, and its absence as none', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const cases = [['on', 1], ['true', 1], ['1', 1], [null, 0]] as const;
    for (const [i, [value, expected]] of cases.entries()) {
      const consent: [string, string][] = value ? [['consentUpdates', value]] : [];
      const res = await postForm(t.app, `/c/${campaign.slug}`, [...signer(11 + i), ['targetIds', prosecutor.id], ...consent]);
      assert.equal(res.statusCode, 303);
      const consented = await t.app.store.sql.value('SELECT consent_updates FROM supporters WHERE campaign_id = ? AND email = ?', [campaign.id, `supporter${11 + i}@example.org`]);
      assert.equal(consented, expected, `consentUpdates=${value ?? '(absent)'}`);
    }
  });

  it('writes to only the ticked target', async () => {
    const { campaign, ambassador } = await readyCampaign(t.app);
    const res = await postForm(t.app, `/c/${campaign.slug}`, [...signer(2), ['targetIds', ambassador.id]]);
    assert.equal(res.statusCode, 303);
    const rows = await t.app.store.sql.all<{ t: string }>('SELECT target_id AS t FROM letters WHERE campaign_id = ?', [campaign.id]);
    assert.deepEqual(rows.map((r) => r.t), [ambassador.id]);
  });

  it('looks successful to a bot that fills the honeypot, and stores nothing', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const before = await tableCounts(t.app);
    const res = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, [...signer(3), ['targetIds', prosecutor.id], ['website', 'http://spam.example.org']]));
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<h1>Check your inbox<\/h1>/);
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('refuses a post another site makes a browser send (Fetch metadata, else Origin) with a 403 page, and stores nothing', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const before = await tableCounts(t.app);
    const refused: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'https://campaigns.example.org' },
      { 'sec-fetch-site': 'cross-site', host: 'chorus.example.org', origin: 'https://chorus.example.org' },
      { origin: 'https://evil.example.org' },
      { origin: 'null' },
    ];
    for (const headers of refused) {
      const res = await postForm(t.app, `/c/${campaign.slug}`, [...signer(4), ['targetIds', prosecutor.id]], '', headers);
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.match(res.headers['content-type'] as string, /^text\/html/);
      assert.match(res.body, /<h1>Your letter was not sent<\/h1>/);
    }
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('accepts a post from its own page (Fetch metadata, or Origin naming this host or PUBLIC_URL) and from a client that sends neither', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const accepted: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' },
      { 'sec-fetch-site': 'none' },
      { host: 'chorus.example.org', origin: 'https://chorus.example.org' },
      { host: '127.0.0.1:3000', origin: 'http://localhost:3000' },
      {},
    ];
    for (const [i, headers] of accepted.entries()) {
      const res = await postForm(t.app, `/c/${campaign.slug}`, [...signer(20 + i), ['targetIds', prosecutor.id]], '', headers);
      assert.equal(res.statusCode, 303, JSON.stringify(headers));
      assert.ok((await confirmationTokens(t.app)).has(`supporter${20 + i}@example.org`));
    }
  });

  it('shows a paused campaign without a form, and a post to it is a 409 page', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'paused' } });
    const page = await t.app.inject({ url: `/c/${campaign.slug}` });
    assert.match(page.body, /This campaign is paused/);
    assert.ok(!page.body.includes('id="action-form"'));
    const res = await postForm(t.app, `/c/${campaign.slug}`, [...signer(5), ['targetIds', prosecutor.id]]);
    assert.equal(res.statusCode, 409);
    assert.match(res.body, /This campaign is paused/);
  });

  it('a campaign with one target and no confirmation shows no target choice and says the letter is on its way', async () => {
    const campaign = await createCampaign(t.app, { confirmation: 'none' });
    await createTarget(t.app, campaign.id);
    await createTemplate(t.app, campaign.id);
    const page = await t.app.inject({ url: `/c/${campaign.slug}` });
    assert.ok(!page.body.includes('name="targetIds"'));
    const res = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer(6)));
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /Your letter is on its way/);
    // Without confirmation the page shows the count as published (at most once a minute), not one this letter just moved.
    assert.match(res.body, /<strong data-count="supporters">0<\/strong> supporters</);
    assert.ok(res.body.includes(`<div class="progress" data-live-count="${campaign.slug}">`), 'the signed page counts live too');
  });

  it('leaves /docs and the JSON API without the pages\' CSP, and the API still refuses form bodies', async () => {
    const docs = await t.app.inject({ url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.equal(docs.headers['content-security-policy'], undefined);
    const { campaign } = await readyCampaign(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/actions/${campaign.slug}/letters`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(signer(7)).toString(),
    });
    assert.equal(res.statusCode, 415);
  });
});

describe('action form rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '2' });
  });
  after(() => t.close());

  it('limits form posts per client like the API, with a page and Retry-After', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const post = (n: number) => postForm(t.app, `/c/${campaign.slug}`, [...signer(n), ['targetIds', prosecutor.id]]);
    assert.equal((await post(1)).statusCode, 303);
    assert.equal((await post(2)).statusCode, 303);
    const limited = await post(3);
    assert.equal(limited.statusCode, 429);
    assert.ok(limited.headers['retry-after']);
    assert.match(limited.body, /Too many attempts/);
    assert.equal(await t.app.store.sql.value("SELECT count(*) FROM supporters WHERE email = 'supporter3@example.org'"), 0);
  });
});

describe('public letter preview', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  it('renders exactly what would be sent, with placeholders for what is not typed yet, and stores nothing', async () => {
    const { campaign, ambassador } = await readyCampaign(t.app);
    const before = await tableCounts(t.app);
    const url = `/api/v1/actions/${campaign.slug}/preview`;
    const empty = await t.app.inject({ method: 'POST', url, payload: {} });
    assert.equal(empty.statusCode, 200);
    assert.match(empty.json().text, /\[your name\]\n\[your country\]/);
    const res = await t.app.inject({ method: 'POST', url, payload: { targetId: ambassador.id, supporter: { name: 'Jane Roe', country: 'IE', city: 'Cork', note: 'Please.' } } });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.to, 'Ambassador of Kazakhstan');
    assert.match(body.text, /^Your Excellency,/);
    assert.match(body.text, /Please\.\nYours sincerely,\nJane Roe\nCork, Ireland/);
    const submitted = await submit(t.app, campaign.slug, { ...supporter(1), targetIds: [ambassador.id] });
    assert.equal(submitted.statusCode, 202);
    assert.deepEqual((await tableCounts(t.app)).supporters, before.supporters + 1);
  });

  it('applies content rules, and is 404 for drafts and 422 for bad fields', async () => {
    const { campaign } = await readyCampaign(t.app, { rules: { forbiddenPhrases: ['Open Doors'], noteMaxLength: 10 } });
    const url = `/api/v1/actions/${campaign.slug}/preview`;
    const long = await t.app.inject({ method: 'POST', url, payload: { supporter: { note: 'far too long a note' } } });
    assert.equal(long.statusCode, 422);
    const bad = await t.app.inject({ method: 'POST', url, payload: { supporter: { country: 'XX' } } });
    assert.equal(bad.statusCode, 422);
    const draft = await createCampaign(t.app, { status: 'draft' });
    const hidden = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${draft.slug}/preview`, payload: {} });
    assert.equal(hidden.statusCode, 404);
  });
});
