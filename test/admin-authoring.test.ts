import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { formSession, postForm } from './helpers/pages.js';
import { readyCampaign, submit as sign, supporter } from './helpers/supporters.js';

/**
 * Organizers author campaigns in the dashboard: forms without JavaScript, a CSRF token on every
 * post, the API's own schemas and services behind them, errors next to their fields, and the
 * session limited to what its key's scopes allow.
 */
describe('dashboard authoring forms', () => {
  let t: TestApp;
  let admin: string;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
    admin = await signIn(ADMIN_KEY);
  });
  after(() => t.close());

  async function signIn(key: string) {
    const { cookie, token } = await formSession(t.app, '/admin');
    const res = await postForm(t.app, '/admin/sign-in', [['_csrf', token], ['key', key]], cookie);
    const session = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('chorus_admin='));
    assert.ok(session, `signed in: ${res.statusCode}`);
    return `${cookie}; ${session.split(';')[0]}`;
  }
  const keyWith = async (scopes: string[]) =>
    (await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: scopes.join('+'), scopes } })).json().key as string;
  /** Loads a form page and posts it with its own CSRF token, as a browser does. */
  async function submit(cookie: string, page: string, url: string, fields: [string, string][]) {
    const session = await formSession(t.app, page, cookie);
    return postForm(t.app, url, [['_csrf', session.token], ...fields], session.cookie);
  }
  const count = async (table: string) => Number((await t.app.store.sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n);

  const campaignFields = (slug: string): [string, string][] => [
    ['slug', slug],
    ['title', 'Free Pastor Makset'],
    ['summary', 'A refugee pastor faces extradition to Uzbekistan.'],
    ['story', 'He has spent 90 days in a Kazakh prison.'],
    ['status', 'draft'],
    ['goal', '3800'],
    ['closesAt', '2027-03-01T12:00'],
    ['locale', 'en'],
    ['confirmation', 'email'],
    ['delivery.mode', 'email'],
    ['delivery.perTargetPerHour', '60'],
    ['rules.guidance', "Don't mention any organizations."],
    ['rules.forbiddenPhrases', 'Open Doors\n\nVoice of the Martyrs'],
    ['rules.noteMaxLength', '800'],
    ['sender.name', ''],
  ];

  it('creates a campaign from the form through the API schema, then edits it', async () => {
    const res = await submit(admin, '/admin/campaigns/new', '/admin/campaigns', campaignFields('free-makset'));
    assert.equal(res.statusCode, 303, res.body.slice(0, 500));
    const location = String(res.headers.location);
    assert.match(location, /^\/admin\/campaigns\/cmp_[\w-]+\?done=created#main$/);
    const id = /campaigns\/([^?]+)/.exec(location)![1]!;
    const stored = (await t.app.inject({ url: `/api/v1/campaigns/${id}`, headers: auth })).json();
    assert.equal(stored.slug, 'free-makset');
    assert.equal(stored.goal, 3800);
    assert.equal(stored.closesAt, '2027-03-01T12:00:00Z');
    assert.deepEqual(stored.delivery, { mode: 'email', perTargetPerHour: 60 });
    assert.deepEqual(stored.rules, { forbiddenPhrases: ['Open Doors', 'Voice of the Martyrs'], noteMaxLength: 800, guidance: "Don't mention any organizations." });
    assert.equal(stored.sender, null);
    const dashboard = await t.app.inject({ url: location, headers: { cookie: admin } });
    assert.match(dashboard.body, /The campaign has been created/);

    // The edit form shows the stored values; clearing the goal stores null.
    const edit = await t.app.inject({ url: `/admin/campaigns/${id}/edit`, headers: { cookie: admin } });
    assert.match(edit.body, /name="goal" id="f-goal" value="3800"/);
    assert.match(edit.body, /<textarea name="rules.forbiddenPhrases"[^>]*>Open Doors\nVoice of the Martyrs<\/textarea>/);
    const fields = campaignFields('ignored').filter(([k]) => !['slug', 'status', 'sender.name'].includes(k)).map(([k, v]): [string, string] => (k === 'goal' ? [k, ''] : k === 'title' ? [k, 'Free Pastor Makset now'] : [k, v]));
    const saved = await submit(admin, `/admin/campaigns/${id}/edit`, `/admin/campaigns/${id}/edit`, [...fields, ['sender.name', 'Friends of Makset'], ['sender.postalAddress.lines', 'PO Box 12'], ['sender.postalAddress.city', 'Berlin'], ['sender.postalAddress.country', 'de']]);
    assert.equal(saved.statusCode, 303, /<ul><li>.*?<\/ul>/s.exec(saved.body)?.[0]);
    const after = (await t.app.inject({ url: `/api/v1/campaigns/${id}`, headers: auth })).json();
    assert.equal(after.title, 'Free Pastor Makset now');
    assert.equal(after.goal, null);
    assert.deepEqual(after.sender, { name: 'Friends of Makset', postalAddress: { lines: ['PO Box 12'], city: 'Berlin', country: 'DE' } });
  });

  it('shows the schema\'s errors next to their fields and in the summary, keeps what was typed, and stores nothing', async () => {
    const before = await count('campaigns');
    const fields = campaignFields('Not A Slug').map(([k, v]): [string, string] => (k === 'title' ? [k, ''] : k === 'goal' ? [k, 'lots'] : k === 'closesAt' ? [k, 'soon'] : [k, v]));
    const res = await submit(admin, '/admin/campaigns/new', '/admin/campaigns', fields);
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /<title>Error: New campaign/);
    assert.match(res.body, /<form method="post" action="\/admin\/campaigns#error-summary"/);
    assert.match(res.body, /class="error-summary" id="error-summary"/);
    for (const f of ['slug', 'title', 'goal', 'closesAt']) {
      assert.match(res.body, new RegExp(`<span class="field-error" id="f-${f}-error">`), f);
      assert.match(res.body, new RegExp(`<li><a href="#f-${f}">`), `summary links ${f}`);
      assert.match(res.body, new RegExp(`id="f-${f}"[^>]*aria-describedby="[^"]*f-${f}-error"`), `${f} is described by its error`);
    }
    assert.match(res.body, /id="f-slug-error"><span class="visually-hidden">Error: <\/span>use 2 to 63 lower-case letters/);
    assert.match(res.body, /value="Not A Slug"/);
    assert.match(res.body, /<textarea name="story"[^>]*>He has spent 90 days/);
    assert.equal(await count('campaigns'), before);

    // A slug taken is the service's 409, shown at the slug.
    const taken = await submit(admin, '/admin/campaigns/new', '/admin/campaigns', campaignFields('free-makset'));
    assert.equal(taken.statusCode, 422);
    assert.match(taken.body, /id="f-slug-error">.*already exists/);
    assert.equal(await count('campaigns'), before);
  });

  it('refuses a post without the CSRF token, or with a forged one, and stores nothing', async () => {
    const before = await count('campaigns');
    const none = await postForm(t.app, '/admin/campaigns', campaignFields('no-token'), admin);
    assert.equal(none.statusCode, 403);
    const { cookie } = await formSession(t.app, '/admin/campaigns/new', admin);
    const forged = await postForm(t.app, '/admin/campaigns', [['_csrf', 'forged-token'], ...campaignFields('forged')], cookie);
    assert.equal(forged.statusCode, 403);
    const campaign = await createCampaign(t.app);
    const target = await postForm(t.app, `/admin/campaigns/${campaign.id}/targets`, [['name', 'X'], ['title', 'Y'], ['organization', 'Z'], ['email', 'x@example.org']], cookie);
    assert.equal(target.statusCode, 403);
    assert.equal(await count('campaigns'), before + 1);
    assert.equal(await count('targets'), 0);
  });

  it('lets a session do only what its key\'s scopes allow', async () => {
    const lettersOnly = await signIn(await keyWith(['letters']));
    const before = await count('campaigns');
    // Even with a valid token of its own, a key without the campaigns scope cannot post the form.
    const { token, cookie } = await formSession(t.app, '/admin', lettersOnly);
    const refused = await postForm(t.app, '/admin/campaigns', [['_csrf', token], ...campaignFields('no-scope')], cookie);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /lacks the &quot;campaigns&quot; scope/);
    assert.equal(await count('campaigns'), before);
    assert.equal((await t.app.inject({ url: '/admin/campaigns/new', headers: { cookie: lettersOnly } })).statusCode, 403);

    // The campaigns scope alone may edit a recipient, but not where its letters go (as in the API).
    const campaign = await createCampaign(t.app);
    const target = await createTarget(t.app, campaign.id);
    const campaignsOnly = await signIn(await keyWith(['campaigns']));
    const page = `/admin/campaigns/${campaign.id}/targets/${target.id}`;
    const form = await t.app.inject({ url: page, headers: { cookie: campaignsOnly } });
    assert.match(form.body, /name="email" id="f-email" value="prosecutor-general@example.kz"[^>]*readonly/);
    const base: [string, string][] = [['name', 'Mr Daulbayev'], ['title', 'Prosecutor General'], ['organization', 'Office of the Prosecutor General']];
    const moved = await submit(campaignsOnly, page, page, [...base, ['email', 'attacker@example.org']]);
    assert.equal(moved.statusCode, 403);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, headers: auth })).json().email, 'prosecutor-general@example.kz');
    const renamed = await submit(campaignsOnly, page, page, [...base, ['email', 'prosecutor-general@example.kz']]);
    assert.equal(renamed.statusCode, 303, renamed.body.slice(0, 300));
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, headers: auth })).json().title, 'Prosecutor General');
  });

  it('adds, edits and removes recipients with languages and countries, the removal after a confirmation', async () => {
    const campaign = await createCampaign(t.app);
    const url = `/admin/campaigns/${campaign.id}/targets`;
    const bad = await submit(admin, url, url, [['name', 'Ambassador'], ['title', 'Ambassador of Kazakhstan'], ['organization', 'Embassy'], ['countries', 'DE, XX'], ['locale', 'not a tag']]);
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /id="f-countries-error"/);
    assert.match(bad.body, /id="f-locale-error"/);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth })).json().items.length, 0);
    // The service's own rule: an email campaign's recipient needs an email address.
    const noEmail = await submit(admin, url, url, [['name', 'Ambassador'], ['title', 'Ambassador of Kazakhstan'], ['organization', 'Embassy'], ['countries', 'de at']]);
    assert.equal(noEmail.statusCode, 422);
    assert.match(noEmail.body, /id="f-email-error">.*required in email delivery mode/);

    const added = await submit(admin, url, url, [['name', 'Ambassador Nurlan'], ['title', 'Ambassador of Kazakhstan to Germany'], ['organization', 'Embassy of Kazakhstan'], ['email', 'embassy@example.kz'], ['countries', 'de, at; ch'], ['locale', 'ru']]);
    assert.equal(added.statusCode, 303, added.body.slice(0, 300));
    const [target] = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth })).json().items;
    assert.deepEqual(target.countries, ['DE', 'AT', 'CH']);
    assert.equal(target.locale, 'ru');
    const list = await t.app.inject({ url, headers: { cookie: admin } });
    assert.match(list.body, /Ambassador Nurlan/);
    assert.match(list.body, /DE, AT, CH/);

    const page = `${url}/${target.id}`;
    const asked = await submit(admin, page, `${page}/remove`, []);
    assert.equal(asked.statusCode, 200);
    assert.match(asked.body, /Remove Ambassador Nurlan\?/);
    assert.match(asked.body, /name="confirm" value="yes"/);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth })).json().items.length, 1);
    const removed = await submit(admin, page, `${page}/remove`, [['confirm', 'yes']]);
    assert.equal(removed.statusCode, 303);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth })).json().items.length, 0);
  });

  it('writes a template and its translation, previews a draft for a sample supporter and each recipient, and saves versions', async () => {
    const campaign = await createCampaign(t.app);
    await createTarget(t.app, campaign.id, { name: 'Mr Daulbayev' });
    await createTarget(t.app, campaign.id, { name: 'Ambassador Nurlan', email: 'embassy@example.kz', locale: 'ru', salutation: 'Уважаемый посол' });
    const original = await createTemplate(t.app, campaign.id);
    const base = `/admin/campaigns/${campaign.id}/templates`;
    const page = `${base}/${original.id}`;
    const body = '{{target.salutation}},\n\nPlease release Pastor Makset.\n\n{{supporter.name}}, {{supporter.city}}';
    const fields: [string, string][] = [['name', 'Appeal'], ['locale', 'en'], ['translationOf', ''], ['subject', 'Release Pastor Makset'], ['body', body], ['sample.name', 'Hans Müller'], ['sample.city', 'Köln'], ['sample.country', 'DE']];

    // A field letters may not use is the template rule's error, at the body; nothing changes.
    const unsafe = await submit(admin, page, page, [...fields.map(([k, v]): [string, string] => (k === 'body' ? [k, '{{supporter.email}} {{lookup this "x"}}'] : [k, v])), ['intent', 'preview']]);
    assert.equal(unsafe.statusCode, 422);
    assert.match(unsafe.body, /id="f-body-error"/);

    const preview = await submit(admin, page, page, [...fields, ['intent', 'preview']]);
    assert.equal(preview.statusCode, 200, preview.body.slice(0, 400));
    assert.match(preview.body, /Dear Mr Daulbayev,\n\nPlease release Pastor Makset\.\n\nHans Müller, Köln/);
    // No translation into Russian yet: the ambassador would get the draft, in English.
    assert.match(preview.body, /Уважаемый посол,\n\nPlease release Pastor Makset/);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/templates/${original.id}`, headers: auth })).json().version, 1, 'a preview saves nothing');

    const saved = await submit(admin, page, page, fields);
    assert.equal(saved.statusCode, 303);
    const v2 = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/templates/${original.id}`, headers: auth })).json();
    assert.equal(v2.version, 2);
    assert.equal(v2.body, body);

    const translation: [string, string][] = [['name', 'Appeal (ru)'], ['locale', 'ru'], ['translationOf', original.id], ['subject', 'Освободите пастора Максета'], ['body', '{{target.salutation}},\n\nПрошу освободить пастора Максета.\n\n{{supporter.name}}']];
    const made = await submit(admin, `${base}/new?translationOf=${original.id}`, base, translation);
    assert.equal(made.statusCode, 303, made.body.slice(0, 400));
    // A second translation into the same language is the service's own refusal, at the language.
    const twin = await submit(admin, `${base}/new`, base, translation);
    assert.equal(twin.statusCode, 422);
    assert.match(twin.body, /id="f-locale-error">.*already has a translation in ru/);

    const withTranslation = await submit(admin, page, page, [...fields, ['intent', 'preview']]);
    assert.match(withTranslation.body, /Уважаемый посол,\n\nПрошу освободить пастора Максета\.\n\nHans Müller/);
    const list = await t.app.inject({ url: base, headers: { cookie: admin } });
    assert.match(list.body, /<td class="num" data-label="Version">2<\/td>/);
    assert.match(list.body, />ru<\/a> <span class="hint">v1<\/span>/);
  });

  it('records and deletes target responses, and adds and deletes offline counts after a confirmation naming the numbers', async () => {
    const campaign = await createCampaign(t.app);
    const target = await createTarget(t.app, campaign.id);
    const page = `/admin/campaigns/${campaign.id}/targets/${target.id}`;
    const bad = await submit(admin, page, `${page}/responses`, [['receivedAt', '12 May'], ['channel', 'letter'], ['summary', '']]);
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /id="f-receivedAt-error"/);
    assert.match(bad.body, /id="f-summary-error"/);
    assert.equal(await count('target_responses'), 0);
    const ok = await submit(admin, page, `${page}/responses`, [['receivedAt', '2026-11-30'], ['channel', 'letter'], ['summary', 'The office replied that the case is under review.'], ['public', 'true']]);
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 300));
    const [response] = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}/responses`, headers: auth })).json().items;
    assert.equal(response.public, true);
    assert.match((await t.app.inject({ url: page, headers: { cookie: admin } })).body, /the case is under review/);
    const gone = await submit(admin, page, `${page}/responses/${response.id}/delete`, []);
    assert.equal(gone.statusCode, 303);
    assert.equal(await count('target_responses'), 0);

    const offline = `/admin/campaigns/${campaign.id}/offline-counts`;
    const wrong = await submit(admin, offline, offline, [['supporters', '-3'], ['letters', 'many'], ['source', '']]);
    assert.equal(wrong.statusCode, 422);
    for (const f of ['supporters', 'letters', 'source']) assert.match(wrong.body, new RegExp(`id="f-${f}-error"`), f);
    assert.equal(await count('offline_counts'), 0);
    const added = await submit(admin, offline, offline, [['supporters', '120'], ['letters', '118'], ['source', 'petition sheets, Almaty church, 12 May']]);
    assert.equal(added.statusCode, 303);
    const counts = (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` })).json();
    assert.equal(counts.offline.supporters, 120);
    const [entry] = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/offline-counts`, headers: auth })).json().items;
    const asked = await submit(admin, offline, `${offline}/${entry.id}/delete`, []);
    assert.equal(asked.statusCode, 200);
    assert.match(asked.body, /drop by 120 supporters and 118 letters/);
    assert.equal(await count('offline_counts'), 1);
    assert.equal((await submit(admin, offline, `${offline}/${entry.id}/delete`, [['confirm', 'yes']])).statusCode, 303);
    assert.equal(await count('offline_counts'), 0);
  });

  it('takes a story of the API\'s full 50,000 characters, in Cyrillic, through the form', async () => {
    const campaign = await createCampaign(t.app);
    const story = 'Ж'.repeat(50_000);
    const page = `/admin/campaigns/${campaign.id}/edit`;
    const res = await submit(admin, page, page, [['title', 'Длинная история'], ['summary', 'Кратко.'], ['story', story], ['delivery.mode', 'email'], ['rules.noteMaxLength', '1000']]);
    assert.equal(res.statusCode, 303, res.body.slice(0, 300));
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}`, headers: auth })).json().story, story);
    const tooLong = await submit(admin, page, page, [['title', 'x'], ['summary', 'y'], ['story', `${story}Ж`], ['delivery.mode', 'email']]);
    assert.equal(tooLong.statusCode, 422);
    assert.match(tooLong.body, /id="f-story-error"/);
  });

  it('asks before winning, closing, mailing an update or releasing held letters, naming how many people or letters', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app, { confirmation: 'none' });
    for (const n of [1, 2, 3]) await sign(t.app, campaign.slug, { ...supporter(`c${n}`), consentUpdates: n !== 3 });
    const page = `/admin/campaigns/${campaign.id}`;
    const status = async () => (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}`, headers: auth })).json().status;

    const won = await submit(admin, page, `${page}/status`, [['status', 'won']]);
    assert.equal(won.statusCode, 200);
    assert.match(won.body, /3 supporters have signed it/);
    assert.match(won.body, /name="status" value="won"/);
    assert.equal(await status(), 'active');
    assert.equal((await submit(admin, page, `${page}/status`, [['status', 'won'], ['confirm', 'yes']])).statusCode, 303);
    assert.equal(await status(), 'won');

    const outbox = async () => Number((await t.app.store.sql.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind = 'update'"))!.n);
    const mail = await submit(admin, page, `${page}/updates`, [['title', 'We won'], ['body', 'He is free.'], ['notify', 'true']]);
    assert.equal(mail.statusCode, 200);
    assert.match(mail.body, /Email this update to 2 supporters\?/);
    assert.equal((await campaigns()).length, 0, 'nothing posted before the confirmation');
    assert.equal(await outbox(), 0);
    const sent = await submit(admin, page, `${page}/updates`, [['title', 'We won'], ['body', 'He is free.'], ['notify', 'true'], ['confirm', 'yes']]);
    assert.equal(sent.statusCode, 303);
    assert.equal((await campaigns()).length, 1);
    assert.equal(await outbox(), 2);
    assert.match((await t.app.inject({ url: page, headers: { cookie: admin } })).body, /<h3>We won <span class="hint"><time[^>]*>[^<]*<\/time> · emailed to supporters<\/span><\/h3>\s*<p class="update-body">He is free\.<\/p>/);

    // Held letters show their recipient and reason; releasing them all asks first, with the count.
    const letters = (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?targetId=${prosecutor.id}`, headers: auth })).json().items as { id: string }[];
    // No worker runs here: the letters are still queued, so moderation can hold them.
    const heldIds: string[] = [];
    for (const l of letters.slice(0, 2)) {
      const r = await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${l.id}`, headers: auth, payload: { status: 'held' } });
      if (r.statusCode === 200) heldIds.push(l.id);
    }
    assert.equal(heldIds.length, 2);
    const dashboard = await t.app.inject({ url: page, headers: { cookie: admin } });
    assert.match(dashboard.body, /<td data-label="Recipient">Mr Daulbayev<\/td>\s*<td data-label="Why held"><span class="error-text">Held for moderation<\/span><\/td>/);
    assert.match(dashboard.body, /Release all 2 letters shown/);
    const ids = heldIds.map((id): [string, string] => ['letterIds', id]);
    const ask = await submit(admin, page, `${page}/held/release`, ids);
    assert.equal(ask.statusCode, 200);
    assert.match(ask.body, /Release 2 held letters\?/);
    const held = async () => (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?status=held`, headers: auth })).json().items.length;
    assert.equal(await held(), 2);
    // Moderation is the letters scope's: a campaigns-only session cannot post it, confirmed or not.
    const campaignsOnly = await signIn(await keyWith(['campaigns']));
    assert.equal((await submit(campaignsOnly, page, `${page}/held/release`, [...ids, ['confirm', 'yes']])).statusCode, 403);
    assert.equal(await held(), 2);
    const released = await submit(admin, page, `${page}/held/release`, [...ids, ['confirm', 'yes']]);
    assert.equal(released.statusCode, 303);
    assert.equal(await held(), 0);

    async function campaigns() {
      return (await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/updates`, headers: auth })).json().items as unknown[];
    }
  });
});
