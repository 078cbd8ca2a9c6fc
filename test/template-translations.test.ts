import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { demoSlugs, readLetterTemplate, seedDemo } from '../src/demo.js';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { manualClock } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { submit, supporter } from './helpers/supporters.js';
import { mappedCodePoints } from './helpers/pdf.js';

const english = readLetterTemplate('article-33-appeal.hbs');
const russian = readLetterTemplate('article-33-appeal.ru.hbs');

const pdftotext = ['/usr/bin/pdftotext', '/usr/local/bin/pdftotext'].find((p) => existsSync(p));

describe('letters in the target\'s language', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  // 2 March 2026: in Russian "2 марта 2026 г.", in English "March 2, 2026".
  const clock = manualClock('2026-03-02T09:00:00.000Z');
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, MAIL_FROM: 'Chorus <letters@example.org>', RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  /** The seed 003 appeal in English with its Russian translation, to the Prosecutor General (reads Russian) and an ambassador (no locale). */
  async function appealCampaign(overrides: Record<string, unknown> = {}, prosecutorOverrides: Record<string, unknown> = {}, ambassadorOverrides: Record<string, unknown> = {}) {
    const campaign = await createCampaign(t.app, { confirmation: 'none', ...overrides });
    const prosecutor = await createTarget(t.app, campaign.id, { locale: 'ru', ...prosecutorOverrides });
    const ambassador = await createTarget(t.app, campaign.id, { name: 'Ambassador of Kazakhstan', title: 'Ambassador', email: 'ambassador@example.kz', salutation: 'Your Excellency', ...ambassadorOverrides });
    const en = await createTemplate(t.app, campaign.id, { name: 'Article 33 appeal', ...english });
    const ru = await createTemplate(t.app, campaign.id, { name: 'Обращение', locale: 'ru', translationOf: en.id, ...russian });
    return { campaign, prosecutor, ambassador, en, ru };
  }

  const templatesOf = async (campaignId: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/templates`, headers: auth })).json().items as { id: string; translationOf: string | null; version: number }[];

  it('mails the Prosecutor General the Russian letter, dated in Russian, with Content-Language; the ambassador gets the English one', async () => {
    const { campaign, prosecutor, ambassador, en, ru } = await appealCampaign();
    assert.equal(ru.translationOf, en.id);
    assert.equal(ru.version, 1);
    const res = await submit(t.app, campaign.slug, { ...supporter('anna'), name: 'Anna Schmidt', city: 'Berlin', country: 'DE', note: 'Please let him stay.' });
    assert.equal(res.statusCode, 202, res.body);
    await t.app.delivery.worker.drain();

    const mails = await smtp.parsed();
    const to = (address: string) => mails.find((m) => (Array.isArray(m.to) ? m.to[0] : m.to)?.value[0]?.address === address)!;
    const ruMail = to(prosecutor.email as string);
    assert.equal(ruMail.subject, 'Просьба не выдавать пастора Максета Джаббарбергенова Узбекистану');
    assert.match(ruMail.text!, /^Уважаемый господин Генеральный прокурор!/);
    assert.match(ruMail.text!, /Статья 33 Конвенции гласит/);
    assert.match(ruMail.text!, /статьёй 3 Конвенции против пыток/);
    assert.match(ruMail.text!, /Please let him stay\./, 'the supporter\'s own note stays as written');
    // The country and the date are written in Russian too.
    assert.match(ruMail.text!, /Anna Schmidt\nBerlin, Германия\n2 марта 2026 г\./);
    assert.equal(ruMail.headers.get('content-language'), 'ru');

    const enMail = to(ambassador.email as string);
    assert.equal(enMail.subject, english.subject);
    assert.match(enMail.text!, /^Your Excellency,/);
    assert.match(enMail.text!, /Berlin, Germany\nMarch 2, 2026/);
    assert.equal(enMail.headers.get('content-language'), 'en');

    const letters = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/letters`, headers: auth })).json().items as { targetId: string; templateId: string; templateVersion: number; locale: string }[];
    assert.deepEqual(
      letters.map((l) => [l.targetId, l.templateId, l.templateVersion, l.locale]).sort(),
      [[prosecutor.id, ru.id, 1, 'ru'], [ambassador.id, en.id, 1, 'en']].sort(),
    );
  });

  it('previews answer the letter\'s locale and, when it goes out in another one, the translation the supporter reads', async () => {
    const { campaign, prosecutor, ambassador, en } = await appealCampaign();
    const organizer = await t.app.inject({
      method: 'POST', url: `/api/v1/campaigns/${campaign.id}/preview`, headers: auth,
      payload: { templateId: en.id, targetId: prosecutor.id, supporter: { name: 'Anna Schmidt', country: 'DE' } },
    });
    assert.equal(organizer.statusCode, 200, organizer.body);
    const p = organizer.json();
    assert.equal(p.locale, 'ru');
    assert.match(p.text, /Уважаемый господин Генеральный прокурор!/);
    assert.equal(p.translation.locale, 'en');
    assert.equal(p.translation.subject, english.subject);
    assert.match(p.translation.text, /^Dear Mr Daulbayev,/);
    assert.match(p.translation.text, /Anna Schmidt\nGermany\nMarch 2, 2026/);

    const toAmbassador = (await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/preview`, headers: auth, payload: { targetId: ambassador.id, supporter: { name: 'Anna', country: 'DE' } } })).json();
    assert.equal(toAmbassador.locale, 'en');
    assert.equal(toAmbassador.translation, undefined);

    const pub = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${campaign.slug}/preview`, payload: { targetId: prosecutor.id, supporter: { name: 'Anna' } } });
    assert.equal(pub.statusCode, 200, pub.body);
    assert.equal(pub.json().locale, 'ru');
    assert.equal(pub.json().translation.locale, 'en');
    assert.equal(pub.json().to, 'Mr Daulbayev');
  });

  it('a target locale with a region takes the translation in its language; a locale with no translation gets the chosen template', async () => {
    const { campaign, prosecutor } = await appealCampaign({}, { locale: 'ru-KZ' });
    const kk = await createTarget(t.app, campaign.id, { name: 'Akim', title: 'Akim of Almaty', email: 'akim@example.kz', locale: 'kk' });
    const preview = (targetId: string) => t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/preview`, headers: auth, payload: { targetId, supporter: { name: 'Anna', country: 'DE' } } });
    assert.equal((await preview(prosecutor.id)).json().locale, 'ru');
    const toKk = (await preview(kk.id)).json();
    assert.equal(toKk.locale, 'en');
    assert.equal(toKk.translation, undefined);
  });

  it('the action page shows the letter as it will be sent beside what it says, and says why', async () => {
    const { campaign } = await appealCampaign();
    const page = await t.app.inject({ method: 'GET', url: `/c/${campaign.slug}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Mr Daulbayev \(Prosecutor General of Kazakhstan\) reads Russian, so your letter goes out in Russian\. Beside it is what it says in English\./);
    assert.match(page.body, /As it will be sent \(Russian\)/);
    assert.match(page.body, /What it says \(English\)/);
    assert.match(page.body, /<div class="letter-version" lang="ru" id="preview-sent">/);
    assert.match(page.body, /Уважаемый господин Генеральный прокурор!/);
    assert.match(page.body, /Dear Mr Daulbayev,/);
    // A translation is not offered as a template of its own.
    assert.doesNotMatch(page.body, /name="templateId"/);
  });

  it('prints the Russian letter in the postal PDF with Cyrillic glyphs of the embedded font', async () => {
    const postalAddress = { lines: ['ул. Орынбор, 8', 'Дом министерств, подъезд № 2'], city: 'Астана', postcode: '010000', country: 'KZ' };
    const { campaign } = await appealCampaign({ delivery: { mode: 'postal' }, sender: { name: 'Chorus test', postalAddress: { lines: ['1 Example Street'], city: 'Example City', country: 'DE' } } }, { email: undefined, postalAddress }, { email: undefined, postalAddress: { lines: ['1401 16th St NW'], city: 'Washington', postcode: '20036', country: 'US' } });
    const targets = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/targets`, headers: auth })).json().items as { id: string; locale: string | null }[];
    const prosecutorId = targets.find((x) => x.locale === 'ru')!.id;
    const res = await submit(t.app, campaign.slug, { ...supporter('post'), name: 'Jane Roe', country: 'GB', targetIds: [prosecutorId] });
    assert.equal(res.statusCode, 202, res.body);
    const pdf = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/letters.pdf?status=queued`, headers: auth });
    assert.equal(pdf.statusCode, 200);
    assert.match(pdf.rawPayload.toString('latin1'), /DejaVuSans/);
    const points = mappedCodePoints(pdf.rawPayload);
    for (const ch of 'УважаемыйгосподинГенеральныйпрокурорСтатьяёВеликобритания') assert.ok(points.has(ch.codePointAt(0)!), `glyph for ${ch}`);
    if (pdftotext) {
      const text = execFileSync(pdftotext, ['-layout', '-', '-'], { input: pdf.rawPayload }).toString('utf8');
      assert.match(text, /Уважаемый господин Генеральный прокурор!/);
      assert.match(text, /2 марта 2026 г\./);
    }
  });

  it('refuses a translation of a translation, two translations in one locale, and other bad translationOf values, storing nothing', async () => {
    const { campaign, en, ru } = await appealCampaign();
    const before = await templatesOf(campaign.id);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ locale: 'kk', translationOf: ru.id }, 'translationOf', /itself a translation/],
      [{ locale: 'ru', translationOf: en.id }, 'locale', /already has a translation in ru/],
      [{ locale: 'en', translationOf: en.id }, 'locale', /already in en/],
      [{ locale: 'kk', translationOf: 'tpl_nope' }, 'translationOf', /no template tpl_nope/],
    ];
    for (const [payload, path, message] of cases) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/templates`, headers: auth, payload: { name: 'Another', subject: 'S', body: 'B', ...payload } });
      assert.equal(res.statusCode, 422, JSON.stringify(payload));
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      const error = (res.json().errors as { path: string; message: string }[]).find((e) => e.path === path);
      assert.ok(error, res.body);
      assert.match(error.message, message);
    }
    // A template of another campaign cannot be translated either.
    const other = await createCampaign(t.app);
    const foreign = await createTemplate(t.app, other.id);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/templates`, headers: auth, payload: { name: 'X', locale: 'kk', subject: 'S', body: 'B', translationOf: foreign.id } });
    assert.equal(res.statusCode, 422);
    // Edits follow the same rules: the original cannot become a translation of its translation.
    const edit = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}/templates/${en.id}`, headers: auth, payload: { locale: 'kk', translationOf: ru.id } });
    assert.equal(edit.statusCode, 422, edit.body);
    assert.deepEqual(await templatesOf(campaign.id), before);
  });

  it('a locale Intl does not know (en-GB-GB) is a 422 when campaigns, targets and templates are saved', async () => {
    const campaign = await createCampaign(t.app);
    const target = await createTarget(t.app, campaign.id);
    const template = await createTemplate(t.app, campaign.id);
    const saves = [
      { method: 'POST' as const, url: '/api/v1/campaigns', payload: { slug: 'bad-locale', title: 'T', summary: 'S', locale: 'en-GB-GB' } },
      { method: 'PATCH' as const, url: `/api/v1/campaigns/${campaign.id}`, payload: { locale: 'en-GB-GB' } },
      { method: 'POST' as const, url: `/api/v1/campaigns/${campaign.id}/targets`, payload: { name: 'A', title: 'B', organization: 'C', email: 'a@example.kz', locale: 'en-GB-GB' } },
      { method: 'PATCH' as const, url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, payload: { locale: 'en-GB-GB' } },
      { method: 'POST' as const, url: `/api/v1/campaigns/${campaign.id}/templates`, payload: { name: 'A', subject: 'S', body: 'B', locale: 'en-GB-GB' } },
      { method: 'PATCH' as const, url: `/api/v1/campaigns/${campaign.id}/templates/${template.id}`, payload: { locale: 'en-GB-GB' } },
    ];
    for (const save of saves) {
      const res = await t.app.inject({ ...save, headers: auth });
      assert.equal(res.statusCode, 422, `${save.method} ${save.url}: ${res.body}`);
      assert.ok((res.json().errors as { path: string }[]).some((e) => e.path === 'locale'), res.body);
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/bad-locale', headers: auth })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}`, headers: auth })).json().locale, 'en');
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/targets/${target.id}`, headers: auth })).json().locale, null);
    assert.deepEqual((await templatesOf(campaign.id)).map((x) => x.version), [1]);
    assert.equal((await t.app.inject({ method: 'GET', url: `/c/${campaign.slug}` })).statusCode, 200);
  });

  it('the demo writes to the Prosecutor General in Russian', async () => {
    // The demo seeds only an empty database: a fresh app of its own.
    const d = await buildTestApp();
    try {
    assert.equal(await seedDemo(d.app.store, d.app.services), true);
    const view = (await d.app.inject({ method: 'GET', url: `/api/v1/actions/${demoSlugs.makset}` })).json();
    const [en, ru] = view.templates as { id: string; locale: string; translationOf: string | null }[];
    assert.deepEqual([en!.locale, ru!.locale, ru!.translationOf], ['en', 'ru', en!.id]);
    const preview = (await d.app.inject({ method: 'POST', url: `/api/v1/actions/${demoSlugs.makset}/preview`, payload: { supporter: { name: 'Anna', country: 'DE' } } })).json();
    assert.equal(preview.to, 'Mr Daulbayev');
    assert.equal(preview.locale, 'ru');
    assert.match(preview.text, /Конвенции о статусе беженцев 1951 года/);
    assert.match(preview.translation.text, /Article 33 of the Convention/);
    } finally {
      await d.close();
    }
  });
});
