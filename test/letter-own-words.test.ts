import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { submit, supporter, tableCounts } from './helpers/supporters.js';

/** API.md part 2, "The supporter's own words": editable letters, originality, subject variants. */
describe("the supporter's own words", () => {
  let t: TestApp;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, MAIL_FROM: 'Chorus <letters@example.org>', RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  async function editableCampaign(letter: Record<string, boolean> = { editable: true }, rules?: Record<string, unknown>) {
    const campaign = await createCampaign(t.app, { confirmation: 'none', letter, ...(rules ? { rules } : {}) });
    const target = await createTarget(t.app, campaign.id, { email: `pg-${campaign.id}@example.kz` });
    const template = await createTemplate(t.app, campaign.id);
    return { campaign, target, template };
  }
  const letters = async (campaignId: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/letters`, headers: auth })).json().items as {
      id: string;
      originality: number | null;
      supporter: { email: string };
    }[];
  const stats = async (campaignId: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/stats`, headers: auth })).json();
  const mailTo = async (address: string) => {
    await t.app.delivery.worker.drain();
    return (await smtp.parsed()).filter((m) => (Array.isArray(m.to) ? m.to[0] : m.to)?.value[0]?.address === address);
  };

  it('a campaign has letter settings, false by default; a patch changes only what it names', async () => {
    const plain = await createCampaign(t.app);
    assert.deepEqual(plain.letter, { editable: false, subjectVariants: false });
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${plain.id}`, headers: auth, payload: { letter: { editable: true } } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.deepEqual(patched.json().letter, { editable: true, subjectVariants: false });
    const bad = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${plain.id}`, headers: auth, payload: { letter: { editable: 'yes' } } });
    assert.equal(bad.statusCode, 422);
  });

  it('sends the edited letter as written over real SMTP, signed when the name was removed, with its originality', async () => {
    const { campaign, target } = await editableCampaign();
    const body =
      'Dear Mr Daulbayev,\r\n\r\nI met Makset at a conference in Almaty. He cares for his congregation and fears for his life if he is sent back.\r\nPlease let him stay.\r\n';
    const res = await submit(t.app, campaign.slug, { ...supporter('edit'), name: 'Jane Roe', city: 'Berlin', country: 'DE', body });
    assert.equal(res.statusCode, 202, res.body);
    const [mail] = await mailTo(target.email as string);
    assert.ok(mail);
    assert.equal(mail.text, 'Dear Mr Daulbayev,\n\nI met Makset at a conference in Almaty. He cares for his congregation and fears for his life if he is sent back.\nPlease let him stay.\n\nJane Roe, Berlin, Germany\n');
    const [letter] = await letters(campaign.id);
    assert.ok(letter!.originality! >= 0.5 && letter!.originality! <= 1, String(letter!.originality));
    assert.deepEqual((await stats(campaign.id)).personalization, { personalized: 1, formLetters: 0 });
  });

  it('keeps an edited letter that still names the supporter unsigned, and scores an unedited letter 0 and a note above 0', async () => {
    const { campaign, target } = await editableCampaign();
    const own = 'Dear Mr Daulbayev,\n\nRefoulement is forbidden. Please stop this.\n\nYours, Ann Lee';
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('signed'), name: 'Ann Lee', body: own })).statusCode, 202);
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('form') })).statusCode, 202);
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('note'), note: 'My brother was a refugee here; Makset deserves the safety he found.' })).statusCode, 202);
    const mails = await mailTo(target.email as string);
    assert.ok(mails.some((m) => m.text === `${own}\n`), 'sent as written, nothing appended');
    const byEmail = new Map((await letters(campaign.id)).map((l) => [l.supporter.email, l.originality]));
    assert.equal(byEmail.get('supporterform@example.org'), 0);
    assert.ok(byEmail.get('supporternote@example.org')! >= 0.2, String(byEmail.get('supporternote@example.org')));
    assert.deepEqual((await stats(campaign.id)).personalization, { personalized: 2, formLetters: 1 });
  });

  it('applies the campaign rules to the edited text: a forbidden phrase is a 422 naming body, and nothing is stored', async () => {
    const { campaign } = await editableCampaign({ editable: true }, { forbiddenPhrases: ['regime'], noteMaxLength: 1000 });
    const before = await tableCounts(t.app);
    const res = await submit(t.app, campaign.slug, { ...supporter('rude'), body: 'Dear Sir,\nThe REGIME must stop.' });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().errors, [{ path: 'body', message: 'must not contain "regime"' }]);
    assert.deepEqual(await tableCounts(t.app), before);
  });

  it('refuses a body when the campaign is not editable, and one over 10,000 characters, naming the field and storing nothing', async () => {
    const plain = await editableCampaign({ editable: false });
    const editable = await editableCampaign();
    const before = await tableCounts(t.app);
    const refused = await submit(t.app, plain.campaign.slug, { ...supporter('nobody'), body: 'My own letter.' });
    assert.equal(refused.statusCode, 422);
    assert.equal(refused.headers['content-type'], 'application/problem+json');
    assert.deepEqual(refused.json().errors.map((e: { path: string }) => e.path), ['body']);
    const long = await submit(t.app, editable.campaign.slug, { ...supporter('long'), body: 'a'.repeat(10_001) });
    assert.equal(long.statusCode, 422);
    assert.ok((long.json().errors as { path: string }[]).some((e) => e.path === 'body'), long.body);
    // Exactly at the limit is accepted (by the size rule; the letter is then sent).
    assert.deepEqual(await tableCounts(t.app), before);
    const atLimit = await submit(t.app, editable.campaign.slug, { ...supporter('limit'), body: `Supporter limit ${'a'.repeat(10_000 - 16)}` });
    assert.equal(atLimit.statusCode, 202, atLimit.body);
    const preview = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${plain.campaign.slug}/preview`, payload: { supporter: { body: 'Mine' } } });
    assert.equal(preview.statusCode, 422);
    assert.deepEqual(preview.json().errors.map((e: { path: string }) => e.path), ['body']);
  });

  it('previews answer originality, for the template text and for an edited one', async () => {
    const { campaign } = await editableCampaign();
    const url = `/api/v1/actions/${campaign.slug}/preview`;
    const plain = await t.app.inject({ method: 'POST', url, payload: { supporter: { name: 'Jane Roe', country: 'DE' } } });
    assert.equal(plain.statusCode, 200, plain.body);
    assert.equal(plain.json().originality, 0);
    const edited = await t.app.inject({ method: 'POST', url, payload: { supporter: { name: 'Jane Roe', country: 'DE', body: `${plain.json().text}\nI visited his church in Astana last spring.` } } });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.ok(edited.json().originality > 0 && edited.json().originality < 1, String(edited.json().originality));
    assert.match(edited.json().text, /I visited his church in Astana last spring\.$/);
  });

  it('subject variants: consecutive letters to one target never share a subject; an unknown field is a 422 naming the variant', async () => {
    const campaign = await createCampaign(t.app, { confirmation: 'none', letter: { subjectVariants: true } });
    const target = await createTarget(t.app, campaign.id, { email: `variants-${campaign.id}@example.kz` });
    const bad = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/templates`,
      headers: auth,
      payload: { name: 'A', locale: 'en', subject: 'Do not extradite', body: 'Text {{supporter.name}}', subjectVariants: ['Fine', 'From {{supporter.shoeSize}}'] },
    });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().errors.map((e: { path: string }) => e.path), ['subjectVariants.1']);
    const listed = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/templates`, headers: auth })).json();
    assert.deepEqual(listed.items, []);

    const template = await createTemplate(t.app, campaign.id, { subjectVariants: ['Let Pastor Makset stay in Kazakhstan', 'A letter from {{supporter.name}} about Pastor Makset'] });
    assert.deepEqual(template.subjectVariants, ['Let Pastor Makset stay in Kazakhstan', 'A letter from {{supporter.name}} about Pastor Makset']);
    for (const n of [1, 2, 3, 4, 5]) assert.equal((await submit(t.app, campaign.slug, supporter(`v${n}`))).statusCode, 202);
    // In the order the letters were written (the worker may send them in any order).
    const subjects = (await t.app.store.sql.all<{ subject: string }>('SELECT subject FROM letters WHERE target_id = ? ORDER BY created_at, id', [target.id])).map((r) => r.subject);
    assert.deepEqual((await mailTo(target.email as string)).map((m) => m.subject).sort(), [...subjects].sort());
    assert.equal(subjects.length, 5);
    assert.equal(new Set(subjects.map((s) => s!.replace(/Supporter v\d/, 'X'))).size, 3);
    for (let i = 1; i < subjects.length; i++) assert.notEqual(subjects[i], subjects[i - 1], `letters ${i} and ${i + 1}`);
    assert.ok(subjects.includes('A letter from Supporter v3 about Pastor Makset'), subjects.join(' | '));
  });

  it('the personalization counters match the letters they count (recount finds no drift; turn counters are not counts)', async () => {
    assert.equal((await recount(t.app.store)).drift, 0);
  });

  it('variants are not used while the campaign leaves them off', async () => {
    const campaign = await createCampaign(t.app, { confirmation: 'none' });
    const target = await createTarget(t.app, campaign.id, { email: `novariants-${campaign.id}@example.kz` });
    await createTemplate(t.app, campaign.id, { subjectVariants: ['Another subject'] });
    for (const n of [1, 2]) assert.equal((await submit(t.app, campaign.slug, supporter(`nv${n}`))).statusCode, 202);
    assert.deepEqual((await mailTo(target.email as string)).map((m) => m.subject), ['Do not extradite Pastor Makset', 'Do not extradite Pastor Makset']);
  });
});
