import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';

const postal = { lines: ['SI-12 (ETs 166/1)', 'Alash Tas Zhol street 30/1'], city: 'Astana', postcode: '010000', country: 'KZ' };
const fixedNow = new Date('2026-03-01T10:00:00.000Z');

function api(app: FastifyInstance) {
  return {
    get: (url: string) => app.inject({ method: 'GET', url, headers: auth }),
    post: (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: auth, payload: payload as object }),
    patch: (url: string, payload: unknown) => app.inject({ method: 'PATCH', url, headers: auth, payload: payload as object }),
    delete: (url: string) => app.inject({ method: 'DELETE', url, headers: auth }),
  };
}

describe('organizer API: campaigns', () => {
  let t: TestApp;
  let http: ReturnType<typeof api>;
  before(async () => {
    t = await buildTestApp();
    http = api(t.app);
  });
  after(() => t.close());

  it('creates a campaign with the documented defaults and reads it back', async () => {
    const res = await http.post('/api/v1/campaigns', { slug: 'free-makset', title: 'Free Makset', summary: 'A refugee pastor.' });
    assert.equal(res.statusCode, 201, res.body);
    const c = res.json();
    assert.match(c.id, /^cmp_/);
    assert.equal(c.status, 'draft');
    assert.equal(c.locale, 'en');
    assert.equal(c.confirmation, 'email');
    assert.deepEqual(c.delivery, { mode: 'email' });
    assert.deepEqual(c.rules, { forbiddenPhrases: [], noteMaxLength: 1000 });
    assert.match(c.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const got = await http.get(`/api/v1/campaigns/${c.id}`);
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), c);
  });

  it('updates fields with PATCH', async () => {
    const c = await createCampaign(t.app, { status: 'draft' });
    const res = await http.patch(`/api/v1/campaigns/${c.id}`, { title: 'A new title', goal: 3800, rules: { forbiddenPhrases: ['Forum 18'], noteMaxLength: 500 } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().title, 'A new title');
    assert.equal(res.json().goal, 3800);
    assert.deepEqual((await http.get(`/api/v1/campaigns/${c.id}`)).json().rules, { forbiddenPhrases: ['Forum 18'], noteMaxLength: 500 });
  });

  it('creates a campaign only as draft or active; the other statuses are reached by moving it', async () => {
    for (const status of ['paused', 'won', 'closed']) {
      const res = await http.post('/api/v1/campaigns', { slug: `born-${status}`, title: 'T', summary: 'S', status });
      assert.equal(res.statusCode, 422, `${status}: ${res.body}`);
      assert.equal((await http.get(`/api/v1/actions/born-${status}`)).statusCode, 404);
    }
  });

  it('answers 404 for an unknown campaign', async () => {
    for (const res of [
      await http.get('/api/v1/campaigns/cmp_nope'),
      await http.patch('/api/v1/campaigns/cmp_nope', { title: 'x' }),
      await http.post('/api/v1/campaigns/cmp_nope/targets', { name: 'a', title: 'b', organization: 'c', email: 'a@example.org' }),
    ]) {
      assert.equal(res.statusCode, 404);
      assert.equal(res.headers['content-type'], 'application/problem+json');
    }
  });

  it('refuses a duplicate slug with 409 and an invalid slug with 422', async () => {
    const first = await http.post('/api/v1/campaigns', { slug: 'same-slug', title: 'One', summary: 'S' });
    assert.equal(first.statusCode, 201);
    const dup = await http.post('/api/v1/campaigns', { slug: 'same-slug', title: 'Two', summary: 'S' });
    assert.equal(dup.statusCode, 409);
    assert.match(dup.json().detail, /same-slug/);
    for (const slug of ['Upper', '-lead', 'a', 'x'.repeat(64), 'sp ace', 'ü-nicode']) {
      const bad = await http.post('/api/v1/campaigns', { slug, title: 'T', summary: 'S' });
      assert.equal(bad.statusCode, 422, slug);
      assert.equal(bad.json().errors[0].path, 'slug');
    }
  });

  it('pages through the list with limit and cursor, each campaign exactly once', async () => {
    const fresh = await buildTestApp();
    try {
      const h = api(fresh.app);
      const made = new Set<string>();
      for (let i = 0; i < 7; i++) made.add((await createCampaign(fresh.app)).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await h.get(`/api/v1/campaigns?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(res.statusCode, 200);
        const page = res.json() as { items: { id: string }[]; nextCursor: string | null };
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((c) => c.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(new Set(seen), made);
      assert.equal(seen.length, 7);

      const all = (await h.get('/api/v1/campaigns')).json();
      assert.equal(all.items.length, 7, 'default limit is 50');
      for (const url of ['/api/v1/campaigns?cursor=garbage', `/api/v1/campaigns/${seen[0]}/letters?cursor=garbage`]) {
        const bad = await h.get(url);
        assert.equal(bad.statusCode, 422, `${url}: a cursor that no page handed out`);
        assert.equal(bad.json().errors[0].path, 'querystring.cursor');
      }
      assert.equal(all.nextCursor, null);
      assert.equal((await h.get('/api/v1/campaigns?limit=500')).statusCode, 200);
      for (const q of ['limit=0', 'limit=501', 'limit=abc']) {
        const res = await h.get(`/api/v1/campaigns?${q}`);
        assert.equal(res.statusCode, 422, q);
        assert.equal(res.json().errors[0].path, 'querystring.limit');
      }
    } finally {
      await fresh.close();
    }
  });

  describe('status machine (API.md): allowed moves 200, every other move 409', () => {
    const statuses = ['draft', 'active', 'paused', 'won', 'closed'] as const;
    const allowed = new Set(['draft>active', 'active>paused', 'paused>active', 'active>won', 'active>closed', 'paused>won', 'paused>closed', 'won>closed']);
    /** The shortest allowed path from draft to each status. */
    const pathTo: Record<(typeof statuses)[number], string[]> = {
      draft: [],
      active: ['active'],
      paused: ['active', 'paused'],
      won: ['active', 'won'],
      closed: ['active', 'closed'],
    };

    for (const from of statuses) {
      for (const to of statuses) {
        if (from === to) continue;
        const ok = allowed.has(`${from}>${to}`);
        it(`${from} → ${to}: ${ok ? 200 : 409}`, async () => {
          const c = await createCampaign(t.app, { status: 'draft' });
          for (const step of pathTo[from]) assert.equal((await http.patch(`/api/v1/campaigns/${c.id}`, { status: step })).statusCode, 200);
          const res = await http.patch(`/api/v1/campaigns/${c.id}`, { status: to, title: 'Changed alongside' });
          assert.equal(res.statusCode, ok ? 200 : 409, res.body);
          const now = (await http.get(`/api/v1/campaigns/${c.id}`)).json();
          assert.equal(now.status, ok ? to : from);
          // A refused move changes nothing else in the same request either.
          assert.equal(now.title === 'Changed alongside', ok);
          if (!ok) assert.equal(res.headers['content-type'], 'application/problem+json');
        });
      }
    }

    it('a PATCH naming the current status is not a move: 200, nothing changes', async () => {
      const c = await createCampaign(t.app, { status: 'draft' });
      const res = await http.patch(`/api/v1/campaigns/${c.id}`, { status: 'draft' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().status, 'draft');
    });

    it('rejects an unknown status with 422', async () => {
      const c = await createCampaign(t.app, { status: 'draft' });
      assert.equal((await http.patch(`/api/v1/campaigns/${c.id}`, { status: 'archived' })).statusCode, 422);
    });
  });

  describe('timeline updates', () => {
    it('stores dated entries, newest first', async () => {
      const c = await createCampaign(t.app);
      const first = await http.post(`/api/v1/campaigns/${c.id}/updates`, { title: 'Hearing set', body: 'The court sits on Monday.' });
      assert.equal(first.statusCode, 201, first.body);
      assert.equal(first.json().campaignId, c.id);
      assert.equal(first.json().notify, false);
      assert.ok(Date.parse(first.json().createdAt));
      const second = await http.post(`/api/v1/campaigns/${c.id}/updates`, { title: 'Released', body: 'He is home.' });
      assert.equal(second.statusCode, 201);
      const list = (await http.get(`/api/v1/campaigns/${c.id}/updates`)).json();
      assert.deepEqual(list.items.map((u: { title: string }) => u.title), ['Released', 'Hearing set']);
    });

    it('an update naming a status moves the campaign through the same status machine', async () => {
      const c = await createCampaign(t.app);
      const won = await http.post(`/api/v1/campaigns/${c.id}/updates`, { title: 'Extradition refused', body: 'He stays.', status: 'won' });
      assert.equal(won.statusCode, 201, won.body);
      assert.equal((await http.get(`/api/v1/campaigns/${c.id}`)).json().status, 'won');
      const back = await http.post(`/api/v1/campaigns/${c.id}/updates`, { title: 'Reopened', body: 'No.', status: 'active' });
      assert.equal(back.statusCode, 409);
      const list = (await http.get(`/api/v1/campaigns/${c.id}/updates`)).json();
      assert.deepEqual(list.items.map((u: { title: string }) => u.title), ['Extradition refused'], 'the refused update was not stored');
    });

    it('validates the entry', async () => {
      const c = await createCampaign(t.app);
      const res = await http.post(`/api/v1/campaigns/${c.id}/updates`, { title: '', body: 'x', colour: 'red' });
      assert.equal(res.statusCode, 422);
      const paths = res.json().errors.map((e: { path: string }) => e.path);
      assert.ok(paths.includes('title') && paths.includes('colour'), JSON.stringify(paths));
    });
  });
});

describe('organizer API: targets', () => {
  let t: TestApp;
  let http: ReturnType<typeof api>;
  before(async () => {
    t = await buildTestApp();
    http = api(t.app);
  });
  after(() => t.close());

  const official = { name: 'Mr Daulbayev', title: 'Prosecutor General', organization: 'Office of Public Prosecutor' };

  it('email mode needs an email, postal mode a postal address (else 422)', async () => {
    const emailCampaign = await createCampaign(t.app, { delivery: { mode: 'email' } });
    const noEmail = await http.post(`/api/v1/campaigns/${emailCampaign.id}/targets`, { ...official, postalAddress: postal });
    assert.equal(noEmail.statusCode, 422);
    assert.deepEqual(noEmail.json().errors.map((e: { path: string }) => e.path), ['email']);

    const digest = await createCampaign(t.app, { delivery: { mode: 'digest', digestEveryMinutes: 60 } });
    assert.equal((await http.post(`/api/v1/campaigns/${digest.id}/targets`, official)).statusCode, 422);

    const postalCampaign = await createCampaign(t.app, { delivery: { mode: 'postal' } });
    const noAddress = await http.post(`/api/v1/campaigns/${postalCampaign.id}/targets`, { ...official, email: 'pg@example.kz' });
    assert.equal(noAddress.statusCode, 422);
    assert.deepEqual(noAddress.json().errors.map((e: { path: string }) => e.path), ['postalAddress']);

    const ok = await http.post(`/api/v1/campaigns/${postalCampaign.id}/targets`, { ...official, postalAddress: postal });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.deepEqual(ok.json().postalAddress, postal);
    assert.equal(ok.json().email, null);
    assert.equal((await http.get(`/api/v1/campaigns/${postalCampaign.id}/targets`)).json().items.length, 1);
  });

  it('validates addresses', async () => {
    const c = await createCampaign(t.app);
    for (const [body, path] of [
      [{ ...official, email: 'not-an-address' }, 'email'],
      [{ ...official, email: 'a@example.org\r\nBcc: x@example.org' }, 'email'],
      [{ ...official, email: 'a@example.org', postalAddress: { ...postal, country: 'XX' } }, 'postalAddress.country'],
      [{ ...official, email: 'a@example.org', postalAddress: { ...postal, lines: [] } }, 'postalAddress.lines'],
      [{ ...official, email: 'a@example.org', name: 'Evil\nHeader' }, 'name'],
    ] as const) {
      const res = await http.post(`/api/v1/campaigns/${c.id}/targets`, body);
      assert.equal(res.statusCode, 422, JSON.stringify(body));
      assert.ok(res.json().errors.some((e: { path: string }) => e.path === path), res.body);
    }
  });

  it('changing the delivery mode is 422 while a target lacks the address it needs', async () => {
    const c = await createCampaign(t.app, { delivery: { mode: 'email' } });
    const withBoth = await createTarget(t.app, c.id, { postalAddress: postal });
    const emailOnly = await createTarget(t.app, c.id, { name: 'Ambassador' });
    const res = await http.patch(`/api/v1/campaigns/${c.id}`, { delivery: { mode: 'postal' } });
    assert.equal(res.statusCode, 422);
    assert.match(JSON.stringify(res.json().errors), new RegExp(emailOnly.id));
    assert.doesNotMatch(JSON.stringify(res.json().errors), new RegExp(withBoth.id));
    assert.deepEqual((await http.get(`/api/v1/campaigns/${c.id}`)).json().delivery, { mode: 'email' });

    // Once the target without a postal address is gone, the switch is allowed.
    assert.equal((await http.delete(`/api/v1/campaigns/${c.id}/targets/${emailOnly.id}`)).statusCode, 204);
    const switched = await http.patch(`/api/v1/campaigns/${c.id}`, { delivery: { mode: 'postal' } });
    assert.equal(switched.statusCode, 200, switched.body);
    assert.equal(switched.json().delivery.mode, 'postal');
  });

  it('PATCH updates a target, but not into one that lacks its needed address', async () => {
    const c = await createCampaign(t.app);
    const target = await createTarget(t.app, c.id);
    const renamed = await http.patch(`/api/v1/campaigns/${c.id}/targets/${target.id}`, { salutation: 'Dear Prosecutor General' });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.equal(renamed.json().salutation, 'Dear Prosecutor General');
    assert.equal(renamed.json().email, 'prosecutor-general@example.kz');

    const stripped = await http.patch(`/api/v1/campaigns/${c.id}/targets/${target.id}`, { email: null });
    assert.equal(stripped.statusCode, 422);
    assert.equal((await http.get(`/api/v1/campaigns/${c.id}/targets/${target.id}`)).json().email, 'prosecutor-general@example.kz');

    assert.equal((await http.patch(`/api/v1/campaigns/${c.id}/targets/${target.id}`, { nickname: 'x' })).statusCode, 422);
    assert.equal((await http.patch(`/api/v1/campaigns/${c.id}/targets/${target.id}`, {})).statusCode, 422);
  });

  it('DELETE is a soft delete: 204, then 404 everywhere, and gone from the list', async () => {
    const c = await createCampaign(t.app);
    const keep = await createTarget(t.app, c.id);
    const gone = await createTarget(t.app, c.id, { name: 'Ambassador' });
    assert.equal((await http.delete(`/api/v1/campaigns/${c.id}/targets/${gone.id}`)).statusCode, 204);
    assert.equal((await http.get(`/api/v1/campaigns/${c.id}/targets/${gone.id}`)).statusCode, 404);
    assert.equal((await http.patch(`/api/v1/campaigns/${c.id}/targets/${gone.id}`, { name: 'x' })).statusCode, 404);
    assert.equal((await http.delete(`/api/v1/campaigns/${c.id}/targets/${gone.id}`)).statusCode, 404);
    const list = (await http.get(`/api/v1/campaigns/${c.id}/targets`)).json();
    assert.deepEqual(list.items.map((x: { id: string }) => x.id), [keep.id]);
    // The row is kept (letters may point at it), only marked deleted.
    assert.ok(await t.app.store.sql.value('SELECT deleted_at FROM targets WHERE id = ?', [gone.id]));
  });

  it('a target is only reachable through its own campaign', async () => {
    const a = await createCampaign(t.app);
    const b = await createCampaign(t.app);
    const target = await createTarget(t.app, a.id);
    assert.equal((await http.get(`/api/v1/campaigns/${b.id}/targets/${target.id}`)).statusCode, 404);
    assert.equal((await http.delete(`/api/v1/campaigns/${b.id}/targets/${target.id}`)).statusCode, 404);
    assert.equal((await http.get(`/api/v1/campaigns/${a.id}/targets/${target.id}`)).statusCode, 200);
  });
});

describe('organizer API: templates and preview', () => {
  let t: TestApp;
  let http: ReturnType<typeof api>;
  before(async () => {
    t = await buildTestApp({}, { clock: { now: () => fixedNow } });
    http = api(t.app);
  });
  after(() => t.close());

  const everyField =
    'To {{target.title}} {{target.name}}, {{target.organization}}\n{{target.salutation}},\n\n' +
    'Re: {{campaign.title}}\n{{#if supporter.note}}{{supporter.note}}\n{{/if}}{{#unless supporter.city}}(no city)\n{{/unless}}' +
    '{{supporter.name}} <{{supporter.email}}>\n{{#if supporter.city}}{{supporter.city}}, {{else}}somewhere in {{/if}}{{supporter.countryName}} ({{supporter.country}})\n{{date}}\n';

  it('creates, lists and reads templates; another campaign cannot read them', async () => {
    const c = await createCampaign(t.app);
    const res = await http.post(`/api/v1/campaigns/${c.id}/templates`, { name: 'Every field', subject: 'For {{target.name}}', body: everyField });
    assert.equal(res.statusCode, 201, res.body);
    const tpl = res.json();
    assert.match(tpl.id, /^tpl_/);
    assert.equal(tpl.locale, 'en');
    assert.equal(tpl.body, everyField);
    assert.deepEqual((await http.get(`/api/v1/campaigns/${c.id}/templates`)).json().items, [tpl]);
    assert.deepEqual((await http.get(`/api/v1/campaigns/${c.id}/templates/${tpl.id}`)).json(), tpl);
    const other = await createCampaign(t.app);
    assert.equal((await http.get(`/api/v1/campaigns/${other.id}/templates/${tpl.id}`)).statusCode, 404);
    assert.equal((await http.post('/api/v1/campaigns/cmp_nope/templates', { name: 'x', subject: 's', body: 'b' })).statusCode, 404);
  });

  it('preview returns exactly subject and text, plain text unescaped', async () => {
    const c = await createCampaign(t.app, { title: 'Stop the extradition' });
    const target = await createTarget(t.app, c.id);
    const tpl = await createTemplate(t.app, c.id, { subject: '  Appeal   for {{supporter.name}}  ', body: everyField });
    const res = await http.post(`/api/v1/campaigns/${c.id}/preview`, {
      templateId: tpl.id,
      targetId: target.id,
      supporter: { name: "Siobhán O'Brien", email: 'siobhan@example.org', country: 'ie', city: 'Cork', note: 'Fish & chips <b>bold</b> "quoted"' },
    });
    assert.equal(res.statusCode, 200, res.body);
    // API.md part 2: the letter's locale and originality too; no translation when it goes out in the chosen template's language.
    assert.deepEqual(Object.keys(res.json()).sort(), ['locale', 'originality', 'subject', 'text']);
    assert.equal(res.json().locale, 'en');
    assert.equal(res.json().subject, "Appeal for Siobhán O'Brien");
    assert.equal(
      res.json().text,
      'To Prosecutor General of Kazakhstan Mr Daulbayev, Kazakhstan State Office of Public Prosecutor\nDear Mr Daulbayev,\n\n' +
        'Re: Stop the extradition\nFish & chips <b>bold</b> "quoted"\n' +
        "Siobhán O'Brien <siobhan@example.org>\nCork, Ireland (IE)\nMarch 1, 2026\n",
    );
  });

  it('missing optional values render empty; the first target and template are the defaults', async () => {
    const c = await createCampaign(t.app);
    await createTarget(t.app, c.id, { salutation: null });
    await createTemplate(t.app, c.id, { body: everyField });
    const res = await http.post(`/api/v1/campaigns/${c.id}/preview`, { supporter: { name: 'Jane Roe', country: 'KZ' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.json().text, /^To Prosecutor General of Kazakhstan Mr Daulbayev, .*\nDear Prosecutor General of Kazakhstan,\n\nRe: .*\n\(no city\)\nJane Roe <>\nsomewhere in Kazakhstan \(KZ\)\nMarch 1, 2026\n$/);
  });

  it('supporter text is data, never template source', async () => {
    const c = await createCampaign(t.app);
    await createTarget(t.app, c.id);
    await createTemplate(t.app, c.id);
    const res = await http.post(`/api/v1/campaigns/${c.id}/preview`, {
      supporter: { name: '{{supporter.email}}', email: 'secret@example.org', country: 'DE', city: '{{#each this}}{{@key}}{{/each}}', note: '{{> partial}} {{constructor.constructor}} {{{target.name}}}' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const { text } = res.json();
    assert.ok(text.includes('\n{{> partial}} {{constructor.constructor}} {{{target.name}}}\n'), text);
    assert.ok(text.includes('\n{{supporter.email}}\n{{#each this}}{{@key}}{{/each}}, Germany'), text);
    assert.ok(!text.includes('secret@example.org'));
  });

  it('content rules: a forbidden phrase (any case) is 422 naming it; so is a note over noteMaxLength', async () => {
    const c = await createCampaign(t.app, { rules: { forbiddenPhrases: ['Open Doors', 'Forum 18'], noteMaxLength: 30 } });
    await createTarget(t.app, c.id);
    await createTemplate(t.app, c.id);
    const preview = (supporter: Record<string, string>) =>
      http.post(`/api/v1/campaigns/${c.id}/preview`, { supporter: { name: 'Jane Roe', country: 'KZ', ...supporter } });

    const phrase = await preview({ note: 'I read it on OPEN doors' });
    assert.equal(phrase.statusCode, 422);
    assert.equal(phrase.headers['content-type'], 'application/problem+json');
    assert.match(phrase.json().detail, /"Open Doors"/);
    assert.deepEqual(phrase.json().errors, [{ path: 'note', message: 'must not contain "Open Doors"' }]);

    const inName = await preview({ name: 'forum 18 reader' });
    assert.equal(inName.statusCode, 422);
    assert.match(inName.json().detail, /"Forum 18"/);

    const long = await preview({ note: 'x'.repeat(31) });
    assert.equal(long.statusCode, 422);
    assert.deepEqual(long.json().errors, [{ path: 'note', message: 'must be at most 30 characters' }]);

    // Characters, not bytes: 30 Cyrillic letters (60 bytes) fit.
    assert.equal((await preview({ note: 'д'.repeat(30) })).statusCode, 200);
  });

  it('a forbidden phrase in the organizer’s own template is caught too', async () => {
    const c = await createCampaign(t.app, { rules: { forbiddenPhrases: ['voice of the martyrs'], noteMaxLength: 100 } });
    await createTarget(t.app, c.id);
    await createTemplate(t.app, c.id, { body: 'As Voice of the Martyrs reported, {{supporter.name}}' });
    const res = await http.post(`/api/v1/campaigns/${c.id}/preview`, { supporter: { name: 'Jane Roe', country: 'KZ' } });
    assert.equal(res.statusCode, 422);
    assert.match(res.json().detail, /voice of the martyrs/);
  });

  it('preview validates its request and needs a template and a target', async () => {
    const c = await createCampaign(t.app);
    const noTemplate = await http.post(`/api/v1/campaigns/${c.id}/preview`, { supporter: { name: 'A', country: 'KZ' } });
    assert.equal(noTemplate.statusCode, 422);
    await createTemplate(t.app, c.id);
    const noTarget = await http.post(`/api/v1/campaigns/${c.id}/preview`, { supporter: { name: 'A', country: 'KZ' } });
    assert.equal(noTarget.statusCode, 422);
    await createTarget(t.app, c.id);
    assert.equal((await http.post(`/api/v1/campaigns/${c.id}/preview`, { targetId: 'tgt_nope', supporter: { name: 'A', country: 'KZ' } })).statusCode, 404);
    assert.equal((await http.post(`/api/v1/campaigns/${c.id}/preview`, { templateId: 'tpl_nope', supporter: { name: 'A', country: 'KZ' } })).statusCode, 404);
    const bad = await http.post(`/api/v1/campaigns/${c.id}/preview`, { supporter: { name: '', country: 'ZZ', ssn: '1' } });
    assert.equal(bad.statusCode, 422);
    const paths = bad.json().errors.map((e: { path: string }) => e.path).sort();
    assert.deepEqual(paths, ['supporter.country', 'supporter.name', 'supporter.ssn']);
  });
});

describe('timestamps', () => {
  let t: TestApp;
  let now = new Date('2026-03-01T10:00:00.000Z');
  before(async () => {
    t = await buildTestApp({}, { clock: { now: () => now } });
  });
  after(() => t.close());

  it('an edit moves updatedAt and never createdAt, for campaigns and targets', async () => {
    const c = await createCampaign(t.app);
    const target = await createTarget(t.app, c.id);
    now = new Date('2026-03-02T12:00:00.000Z');
    const patch = (url: string, payload: object) => t.app.inject({ method: 'PATCH', url, headers: auth, payload });
    const campaign = await patch(`/api/v1/campaigns/${c.id}`, { title: 'Renamed' });
    const renamed = await patch(`/api/v1/campaigns/${c.id}/targets/${target.id}`, { salutation: 'Dear Sir' });
    for (const [res, url] of [[campaign, `/api/v1/campaigns/${c.id}`], [renamed, `/api/v1/campaigns/${c.id}/targets/${target.id}`]] as const) {
      assert.equal(res.statusCode, 200, res.body);
      const stored = (await t.app.inject({ url, headers: auth })).json();
      assert.equal(stored.createdAt, '2026-03-01T10:00:00.000Z');
      assert.equal(stored.updatedAt, '2026-03-02T12:00:00.000Z');
    }
  });
});
