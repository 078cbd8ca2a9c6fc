import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { readyCampaign, submit, supporter, tableCounts } from './helpers/supporters.js';

describe('submitting letters: bad input changes nothing', () => {
  let t: TestApp;
  let slug: string;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '10000' });
    const r = await readyCampaign(t.app, {
      rules: { forbiddenPhrases: ['Open Doors'], noteMaxLength: 40 },
    });
    slug = r.campaign.slug;
  });
  after(() => t.close());

  const rejects: [string, Record<string, unknown>, string][] = [
    ['an unknown field', { ...supporter(), admin: true }, 'admin'],
    ['CR/LF in the name', { ...supporter(), name: 'Jane\r\nBcc: victim@example.org' }, 'name'],
    ['a NUL in the city', { ...supporter(), city: 'Alma\u0000ty' }, 'city'],
    ['a C1 control in the name', { ...supporter(), name: 'Jane\u0085Roe' }, 'name'],
    ['a bidi override in the name', { ...supporter(), name: 'Jane \u202eeoR' }, 'name'],
    ['an invalid email', { ...supporter(), email: 'not-an-address' }, 'email'],
    ['an email with a newline', { ...supporter(), email: 'a@example.org\nBcc: b@example.org' }, 'email'],
    ['a country that is not ISO 3166-1', { ...supporter(), country: 'XX' }, 'country'],
    ['a three-letter country', { ...supporter(), country: 'KAZ' }, 'country'],
    ['a missing name', { email: 'x@example.org', country: 'KZ' }, 'name'],
    ['a note over the hard ceiling', { ...supporter(), note: 'x'.repeat(5001) }, 'note'],
    ['targetIds that is not a list', { ...supporter(), targetIds: 'tgt_1' }, 'targetIds'],
  ];
  for (const [what, payload, path] of rejects) {
    it(`rejects ${what} with 422 naming ${path}`, async () => {
      const before = await tableCounts(t.app);
      const res = await submit(t.app, slug, payload);
      assert.equal(res.statusCode, 422, res.body);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      const problem = res.json();
      assert.equal(problem.status, 422);
      assert.ok(problem.errors.some((e: { path: string }) => e.path === path), JSON.stringify(problem.errors));
      assert.deepEqual(await tableCounts(t.app), before);
    });
  }

  it('enforces the campaign note limit and forbidden phrases (case-insensitive), naming the phrase', async () => {
    const before = await tableCounts(t.app);
    const long = await submit(t.app, slug, { ...supporter(), note: 'y'.repeat(41) });
    assert.equal(long.statusCode, 422);
    assert.equal(long.json().errors[0].path, 'note');
    const phrase = await submit(t.app, slug, { ...supporter(), note: 'I read it at OPEN DOORS.' });
    assert.equal(phrase.statusCode, 422);
    assert.match(phrase.json().detail, /"Open Doors"/);
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('checks the note against the rules even when the template does not print it (digests and exports do)', async () => {
    const r = await readyCampaign(t.app, { rules: { forbiddenPhrases: ['Open Doors'], noteMaxLength: 200 } });
    const silent = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${r.campaign.id}/templates`,
      headers: auth,
      payload: { name: 'No note', locale: 'en', subject: 'Release him', body: '{{target.salutation}},\n\nRelease him.\n{{supporter.name}}\n' },
    });
    assert.equal(silent.statusCode, 201, silent.body);
    const before = await tableCounts(t.app);
    const res = await submit(t.app, r.campaign.slug, { ...supporter('silent'), templateId: silent.json().id, note: 'Open Doors sent me.' });
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().errors[0].path, 'note');
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('rejects an unknown target with 422', async () => {
    const res = await submit(t.app, slug, { ...supporter(), targetIds: ['tgt_nope'] });
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().errors[0].path, 'targetIds');
  });

  it('answers 404 for a draft or unknown campaign and 409 for paused, closed or won ones', async () => {
    const draft = await readyCampaign(t.app, { status: 'draft' });
    assert.equal((await submit(t.app, draft.campaign.slug, supporter())).statusCode, 404);
    assert.equal((await t.app.inject({ url: `/api/v1/actions/${draft.campaign.slug}` })).statusCode, 404);
    assert.equal((await submit(t.app, 'no-such-campaign', supporter())).statusCode, 404);
    for (const status of ['paused', 'won'] as const) {
      const c = await readyCampaign(t.app);
      const moved = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${c.campaign.id}`, headers: auth, payload: { status } });
      assert.equal(moved.statusCode, 200);
      const before = await tableCounts(t.app);
      const res = await submit(t.app, c.campaign.slug, supporter());
      assert.equal(res.statusCode, 409, `${status}: ${res.body}`);
      assert.deepEqual(await tableCounts(t.app), before);
    }
  });

  it('takes a filled honeypot as success and stores nothing', async () => {
    const before = await tableCounts(t.app);
    const res = await submit(t.app, slug, { ...supporter('bot'), website: 'http://spam.example.org' });
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json(), { status: 'pending_confirmation' });
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('writes one letter per selected target and keeps supporter text as data, never template source', async () => {
    const r = await readyCampaign(t.app);
    const res = await submit(t.app, r.campaign.slug, { ...supporter('tpl'), name: '{{campaign.title}}', targetIds: [r.ambassador.id] });
    assert.equal(res.statusCode, 202, res.body);
    const rows = await t.app.store.sql.all<{ target_id: string; body: string }>('SELECT target_id, body FROM letters WHERE campaign_id = ?', [r.campaign.id]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.target_id, r.ambassador.id);
    assert.match(rows[0]!.body, /\{\{campaign\.title\}\}/);
  });
});
