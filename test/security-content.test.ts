import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';

describe('locales Intl does not know', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  const refusedOnLocale = (res: { statusCode: number; json(): unknown; body: string }) => {
    assert.equal(res.statusCode, 422, res.body);
    const problem = res.json() as { errors: { path: string; message: string }[] };
    assert.ok(problem.errors.some((e) => e.path === 'locale'), res.body);
  };

  it('refuses en-GB-GB on campaigns, templates and targets when saved, so no page of the campaign can break', async () => {
    const bad = 'en-GB-GB';
    refusedOnLocale(await t.app.inject({ method: 'POST', url: '/api/v1/campaigns', headers: auth, payload: { slug: 'bad-locale', title: 'T', summary: 'S', locale: bad } }));
    const campaign = await createCampaign(t.app, { locale: 'kk-KZ' });
    refusedOnLocale(await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { locale: bad } }));
    const template = { name: 'Appeal', subject: 'Hello', body: '{{target.salutation}}' };
    refusedOnLocale(await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/templates`, headers: auth, payload: { ...template, locale: bad } }));
    refusedOnLocale(await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth, payload: { name: 'N', title: 'T', organization: 'O', email: 'o@example.kz', locale: bad } }));
    const target = await createTarget(t.app, campaign.id, { locale: 'ru' });
    refusedOnLocale(await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, headers: auth, payload: { locale: bad } }));
    await createTemplate(t.app, campaign.id, { locale: 'sr-Latn-RS' });

    assert.equal((await t.app.inject({ url: `/c/${campaign.slug}` })).statusCode, 200, 'the page still renders');
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}`, headers: auth })).json().locale, 'kk-KZ');
  });
});

describe('forbidden phrases, however they are typed', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  it('finds the phrase through line breaks, spacing, invisible characters, fullwidth letters, homoglyphs and case', async () => {
    const campaign = await createCampaign(t.app, { rules: { forbiddenPhrases: ['Open Doors', 'Straße'], noteMaxLength: 1000 } });
    await createTarget(t.app, campaign.id);
    await createTemplate(t.app, campaign.id);
    const variants = {
      newline: 'Open\nDoors',
      'line break and indent': 'Open\r\n   Doors',
      'double space': 'Open  Doors',
      tab: 'Open\tDoors',
      NBSP: 'Open\u00a0Doors',
      'ideographic space': 'Open\u3000Doors',
      'zero-width space': 'Op\u200ben Doors',
      'zero-width joiner': 'Open Do\u200dors',
      'word joiner': 'O\u2060pen Doors',
      BOM: 'Open \ufeffDoors',
      'soft hyphen': 'Open Do\u00adors',
      fullwidth: 'Ｏｐｅｎ　Ｄｏｏｒｓ',
      'Cyrillic homoglyphs': '\u041epen D\u043e\u043ers',
      'Greek homoglyphs': '\u039fpen D\u03bf\u03bfrs',
      'upper case': 'OPEN DOORS',
      'case folding (ß is ss)': 'STRASSE',
    };
    let n = 0;
    for (const [variant, phrase] of Object.entries(variants)) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/actions/${campaign.slug}/letters`,
        payload: { name: `Supporter ${n}`, email: `rules${n++}@example.org`, country: 'KZ', note: `I heard of him through ${phrase} last week.` },
      });
      assert.equal(res.statusCode, 422, `${variant}: ${res.statusCode}`);
      const problem = res.json() as { detail: string; errors: { path: string; message: string }[] };
      const named = variant.startsWith('case folding') ? 'Straße' : 'Open Doors';
      assert.match(problem.detail, new RegExp(`"${named}"`), variant);
      assert.deepEqual(problem.errors.map((e) => e.path), ['note'], variant);
    }
    const fine = await t.app.inject({
      method: 'POST',
      url: `/api/v1/actions/${campaign.slug}/letters`,
      payload: { name: 'Supporter ok', email: 'rules-ok@example.org', country: 'KZ', note: 'Opened doors, open\u00a0hearts.' },
    });
    assert.equal(fine.statusCode, 202, fine.body);
  });
});
