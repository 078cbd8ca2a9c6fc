import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { artifacts } from './helpers/browser.js';
import { manualClock, minute } from './helpers/delivery.js';
import { pdfPagePng, pdfText } from './helpers/pdf.js';
import { submit, supporter } from './helpers/supporters.js';

const organization = {
  name: 'Prisoner Letters Circle',
  postalAddress: { lines: ['Postfach 10 20 30'], city: 'Berlin', postcode: '10115', country: 'DE' },
};
// The prison's address: its name is also the target's organization (a line printed once).
const prison = {
  name: 'Bakhytzhan Kashkumbaev',
  title: 'Pre-trial detention centre No. 1',
  organization: 'Pre-trial detention centre No. 1',
  email: undefined,
  salutation: 'Dear Pastor Bakhytzhan',
  postalAddress: { lines: ['Pre-trial detention centre No. 1', 'ul. Zheltoksan 12'], city: 'Astana', postcode: '010000', country: 'KZ' },
};
const body = 'Dear Pastor Bakhytzhan,\n\nYou are not forgotten.\n\nWith warm regards,\n{{supporter.name}}\n{{supporter.countryName}}\n{{date}}\n';

/**
 * Postal options as the printed page shows them (read back with pdftotext): the organization's
 * return address on one line in the envelope window or none, a footer only when asked and never
 * the organization's name where the rules forbid it, each address line once, the date once;
 * print runs that never share a letter while one is open, and that have names.
 */
describe('postal options on the printed letter', () => {
  let t: TestApp;
  const clock = manualClock('2026-03-02T09:00:00.000Z');
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  async function postalCampaign(overrides: Record<string, unknown>, letters = 1) {
    const campaign = await createCampaign(t.app, { confirmation: 'none', delivery: { mode: 'postal' }, sender: organization, ...overrides });
    await createTarget(t.app, campaign.id, prison);
    await createTemplate(t.app, campaign.id, { subject: 'A letter of encouragement', body });
    for (let i = 1; i <= letters; i++) assert.equal((await submit(t.app, campaign.slug, { ...supporter(i), name: `Aigerim ${i}`, country: 'DE' })).statusCode, 202);
    return campaign;
  }
  const print = async (campaignId: string, query = '') => {
    const res = await t.app.inject({ url: `/api/v1/campaigns/${campaignId}/letters.pdf?status=queued${query}`, headers: auth });
    assert.equal(res.statusCode, 200, res.body);
    return { pdf: res.rawPayload, run: String(res.headers['x-chorus-print-run']), letters: Number(res.headers['x-chorus-print-run-letters']) };
  };
  const count = (text: string, needle: string) => text.split(needle).length - 1;

  it('by default: the return address on one line in the window, no footer, each line and the date once', async () => {
    const campaign = await postalCampaign({});
    const { pdf } = await print(campaign.id);
    const text = pdfText(pdf);
    const returnLine = text.split('\n').find((line) => line.includes('Postfach 10 20 30'));
    assert.ok(returnLine, text);
    assert.match(returnLine, /Prisoner Letters Circle, Postfach 10 20 30, 10115 Berlin, GERMANY/, 'one line, organization first');
    assert.equal(count(text, 'Postfach 10 20 30'), 1, 'the return address once (no second sender block)');
    assert.equal(count(text, 'Pre-trial detention centre No. 1'), 1, 'a line the title, organization and address share is printed once');
    assert.equal(count(text, 'March 2, 2026'), 1, 'the date once: the letter carries its own');
    assert.doesNotMatch(text, /Reference|Sent by|Signed by/, 'no footer unless asked for');
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'postal-letter-default.png'), pdfPagePng(pdf));
  });

  it('never prints the organization where the rules forbid naming it; a footer carries only the reference then', async () => {
    const campaign = await postalCampaign({
      rules: { forbiddenPhrases: ['Prisoner Letters Circle'], noteMaxLength: 1000, guidance: "Don't mention any organizations." },
      postal: { returnAddress: 'organization', footer: true },
    });
    const { pdf } = await print(campaign.id);
    const text = pdfText(pdf);
    assert.doesNotMatch(text, /Prisoner Letters Circle/);
    assert.match(text, /Postfach 10 20 30, 10115 Berlin, GERMANY/, 'the address without the name');
    assert.match(text, /Reference ltr_[\w-]+\./);
    assert.doesNotMatch(text, /Sent by/);
    writeFileSync(join(artifacts, 'postal-letter-forbidden.png'), pdfPagePng(pdf));
  });

  it('with returnAddress none and a footer where naming is allowed: no return address, "Sent by" and the reference', async () => {
    const campaign = await postalCampaign({ postal: { returnAddress: 'none', footer: true } });
    const text = pdfText((await print(campaign.id)).pdf);
    assert.doesNotMatch(text, /Postfach/);
    assert.match(text, /Sent by Prisoner Letters Circle\. Reference ltr_[\w-]+\./);
    const bad = await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { postal: { returnAddress: 'supporter' } } });
    assert.equal(bad.statusCode, 422);
    const after = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}`, headers: auth });
    assert.deepEqual(after.json().postal, { returnAddress: 'none', footer: true }, 'a refused change changes nothing');
  });

  it('a print run holds only letters in no open run; a run marked mailed frees nothing twice; runs are named', async () => {
    const campaign = await postalCampaign({}, 3);
    const first = await print(campaign.id, '&name=' + encodeURIComponent('Christmas cards'));
    assert.equal(first.letters, 3);
    assert.match(execFileSync('pdfinfo', ['-'], { input: first.pdf }).toString('utf8'), /^Title:\s+.*: Christmas cards$/m, "the PDF's title names the run");
    clock.advance(minute);
    assert.equal((await submit(t.app, campaign.slug, { ...supporter(9), country: 'DE' })).statusCode, 202);
    const second = await print(campaign.id);
    assert.equal(second.letters, 1, 'only the letter no open run holds');
    assert.equal(count(pdfText(second.pdf), 'You are not forgotten.'), 1);

    const runs = await t.app.store.sql.all<{ id: string; name: string }>('SELECT id, name FROM print_runs WHERE campaign_id = ? ORDER BY created_at', [campaign.id]);
    assert.deepEqual(runs.map((r) => r.name), ['Christmas cards', 'Print run 2']);

    // Both runs open: a third has nothing to print.
    assert.equal((await print(campaign.id)).letters, 0);
    const tooLong = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters.pdf?name=${'x'.repeat(101)}`, headers: auth });
    assert.equal(tooLong.statusCode, 422);
    assert.equal(await t.app.store.sql.value('SELECT count(*) FROM print_runs WHERE campaign_id = ?', [campaign.id]), 3, 'a refused run is not recorded');
  });
});
