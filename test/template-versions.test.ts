import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { submit, supporter } from './helpers/supporters.js';

interface TemplateBody {
  id: string;
  name: string;
  subject: string;
  body: string;
  version: number;
  translationOf: string | null;
}

describe('template versions', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  const url = (campaignId: string, templateId = '') => `/api/v1/campaigns/${campaignId}/templates${templateId ? `/${templateId}` : ''}`;
  const getTemplate = (campaignId: string, id: string) => t.app.inject({ method: 'GET', url: url(campaignId, id), headers: auth });
  const patch = (campaignId: string, id: string, payload: unknown) => t.app.inject({ method: 'PATCH', url: url(campaignId, id), headers: auth, payload: payload as object });
  const remove = (campaignId: string, id: string) => t.app.inject({ method: 'DELETE', url: url(campaignId, id), headers: auth });
  const listed = async (campaignId: string) => (await t.app.inject({ method: 'GET', url: url(campaignId), headers: auth })).json().items as TemplateBody[];
  const letters = async (campaignId: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/letters?limit=500`, headers: auth })).json().items as { id: string; templateId: string; templateVersion: number; supporter: { email: string } }[];
  const storedBody = async (letterId: string) => await t.app.store.sql.value<string>('SELECT body FROM letters WHERE id = ?', [letterId]);

  async function campaignWithTypo() {
    const campaign = await createCampaign(t.app, { confirmation: 'none' });
    await createTarget(t.app, campaign.id);
    const template = (await createTemplate(t.app, campaign.id, { body: '{{target.salutation}},\n\nArticle 33 of the 1951 Refugee Convnetion forbids refoulement.\n\n{{supporter.name}}\n' })) as unknown as TemplateBody;
    return { campaign, template };
  }

  it('a typo in the first template is fixed in place: the next version, the same id, and letters already written keep their text', async () => {
    const { campaign, template } = await campaignWithTypo();
    assert.equal(template.version, 1);
    assert.equal((await submit(t.app, campaign.slug, supporter('early'))).statusCode, 202);

    const fixed = await patch(campaign.id, template.id, { body: template.body.replace('Convnetion', 'Convention') });
    assert.equal(fixed.statusCode, 200, fixed.body);
    assert.equal(fixed.json().id, template.id);
    assert.equal(fixed.json().version, 2);
    const got = (await getTemplate(campaign.id, template.id)).json() as TemplateBody;
    assert.equal(got.version, 2);
    assert.match(got.body, /Refugee Convention forbids/);
    assert.deepEqual((await listed(campaign.id)).map((x) => [x.id, x.version]), [[template.id, 2]], 'still one template');

    // The preview renders the new version at once (compiled templates are cached per version).
    const preview = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/preview`, headers: auth, payload: { supporter: { name: 'Anna', country: 'DE' } } });
    assert.match(preview.json().text, /Refugee Convention forbids/);

    assert.equal((await submit(t.app, campaign.slug, supporter('late'))).statusCode, 202);
    const byEmail = new Map((await letters(campaign.id)).map((l) => [l.supporter.email, l]));
    const early = byEmail.get('supporterearly@example.org')!;
    const late = byEmail.get('supporterlate@example.org')!;
    assert.deepEqual([early.templateId, early.templateVersion], [template.id, 1]);
    assert.deepEqual([late.templateId, late.templateVersion], [template.id, 2]);
    assert.match((await storedBody(early.id))!, /Refugee Convnetion forbids/, 'a letter already written keeps its text');
    assert.match((await storedBody(late.id))!, /Refugee Convention forbids/);

    // The CSV export says which version each letter used.
    const csv = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/letters.csv`, headers: auth });
    const [header, ...rows] = csv.body.replace(/^\uFEFF/, '').trim().split('\n');
    const columns = header!.split(',');
    const col = (row: string, name: string) => row.split(',')[columns.indexOf(name)];
    assert.ok(columns.includes('template_id') && columns.includes('template_version') && columns.includes('locale'), header);
    assert.deepEqual(rows.map((r) => [col(r, 'supporter_email'), col(r, 'template_id'), col(r, 'template_version'), col(r, 'locale')]).sort(), [
      ['supporterearly@example.org', template.id, '1', 'en'],
      ['supporterlate@example.org', template.id, '2', 'en'],
    ]);
  });

  it('an edit that changes nothing makes no version; a bad edit is a 422 problem naming the field and changes nothing', async () => {
    const { campaign, template } = await campaignWithTypo();
    const same = await patch(campaign.id, template.id, { name: template.name, subject: template.subject });
    assert.equal(same.statusCode, 200);
    assert.equal(same.json().version, 1);
    const bad: [unknown, string][] = [
      [{ body: 'Dear {{target.email}}' }, 'body'],
      [{ subject: '{{#each supporter}}x{{/each}}' }, 'subject'],
      [{ body: '' }, 'body'],
      [{ subject: 'two\nlines' }, 'subject'],
      [{ version: 7 }, ''],
      [{}, ''],
      [{ locale: 'en-GB-GB' }, 'locale'],
    ];
    for (const [payload, path] of bad) {
      const res = await patch(campaign.id, template.id, payload);
      assert.equal(res.statusCode, 422, `${JSON.stringify(payload)}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      if (path) assert.ok((res.json().errors as { path: string }[]).some((e) => e.path.startsWith(path)), res.body);
    }
    const after = (await getTemplate(campaign.id, template.id)).json() as TemplateBody;
    assert.deepEqual(after, { ...template });
  });

  it('GET, PATCH and DELETE of an unknown template, or one of another campaign, are 404', async () => {
    const { campaign, template } = await campaignWithTypo();
    const other = await createCampaign(t.app);
    for (const [c, id] of [[campaign.id, 'tpl_nope'], [other.id, template.id]] as const) {
      assert.equal((await getTemplate(c, id)).statusCode, 404);
      assert.equal((await patch(c, id, { name: 'X' })).statusCode, 404);
      assert.equal((await remove(c, id)).statusCode, 404);
    }
    assert.equal(((await getTemplate(campaign.id, template.id)).json() as TemplateBody).version, 1);
  });

  it('a deleted template takes no new letters (nor do its translations); letters already written keep it', async () => {
    const campaign = await createCampaign(t.app, { confirmation: 'none' });
    await createTarget(t.app, campaign.id, { locale: 'ru' });
    const first = await createTemplate(t.app, campaign.id, { name: 'First' });
    const firstRu = await createTemplate(t.app, campaign.id, { name: 'Первое', locale: 'ru', translationOf: first.id, subject: 'Не выдавайте пастора Максета', body: 'Уважаемый господин Генеральный прокурор!\n\n{{supporter.name}}\n' });
    const second = await createTemplate(t.app, campaign.id, { name: 'Second', subject: 'A second appeal' });
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('before'), templateId: first.id })).statusCode, 202);

    assert.equal((await remove(campaign.id, first.id)).statusCode, 204);
    assert.equal((await getTemplate(campaign.id, first.id)).statusCode, 404);
    assert.equal((await getTemplate(campaign.id, firstRu.id)).statusCode, 404, 'its translation went with it');
    assert.equal((await remove(campaign.id, first.id)).statusCode, 404);
    assert.equal((await patch(campaign.id, first.id, { name: 'Back' })).statusCode, 404);
    assert.deepEqual((await listed(campaign.id)).map((x) => x.id), [second.id]);
    const view = (await t.app.inject({ method: 'GET', url: `/api/v1/actions/${campaign.slug}` })).json();
    assert.deepEqual(view.templates.map((x: { id: string }) => x.id), [second.id]);

    // Asking for it by id finds nothing and stores nothing; without a choice the letter takes the template left.
    const asked = await submit(t.app, campaign.slug, { ...supporter('asked'), templateId: first.id });
    assert.equal(asked.statusCode, 404);
    const askedRu = await submit(t.app, campaign.slug, { ...supporter('asked'), templateId: firstRu.id });
    assert.equal(askedRu.statusCode, 404);
    assert.equal((await submit(t.app, campaign.slug, supporter('after'))).statusCode, 202);
    const byEmail = new Map((await letters(campaign.id)).map((l) => [l.supporter.email, l]));
    assert.equal(byEmail.size, 2);
    assert.equal(byEmail.get('supporterbefore@example.org')!.templateId, firstRu.id, 'written before: in Russian, from the translation');
    assert.match((await storedBody(byEmail.get('supporterbefore@example.org')!.id))!, /Уважаемый господин/);
    assert.equal(byEmail.get('supporterafter@example.org')!.templateId, second.id);

    // With no template left, a submission is a 422 and stores nothing.
    assert.equal((await remove(campaign.id, second.id)).statusCode, 204);
    const none = await submit(t.app, campaign.slug, supporter('none'));
    assert.equal(none.statusCode, 422);
    assert.match(none.json().detail, /no letter template/);
    assert.equal((await letters(campaign.id)).length, 2);
  });
});
