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
