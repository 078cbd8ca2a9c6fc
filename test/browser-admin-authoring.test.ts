import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_KEY, auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { freePort, launchBrowser, shoot, unlabelled, watchErrors } from './helpers/browser.js';

/**
 * An organizer authors a campaign in Debian's chromium, with JavaScript off (the forms must not
 * need it) at a phone's width and on at a desktop's: create a campaign (after a failed try),
 * add a recipient (after a failed try). Screenshots of each page at 360 and 1280 px.
 */
describe('dashboard authoring in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const errors: string[] = [];
  const overflow: string[] = [];
  const screenshot = async (page: Page, name: string) => {
    for (const width of await shoot(page, name)) overflow.push(`${name} at ${width}px`);
  };

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await buildTestApp({ PUBLIC_URL: base, RATE_LIMIT_PER_MINUTE: '1000' });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signedIn(context: BrowserContext) {
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(`${base}/admin`);
    await page.fill('#f-key', ADMIN_KEY);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin`);
    return page;
  }

  for (const [width, javaScriptEnabled] of [[360, false], [1280, true]] as const) {
    it(`creates a campaign and adds a recipient at ${width} px, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async () => {
      const context = await browser.newContext({ javaScriptEnabled, viewport: { width, height: 800 } });
      const page = await signedIn(context);
      const tag = `${width}`;
      await page.click('a[href="/admin/campaigns/new"]');
      assert.deepEqual(await unlabelled(page), []);
      if (width === 1280) await screenshot(page, 'admin-campaign-new');

      // A first try with a bad web address and no title lands on the error summary.
      await page.fill('#f-slug', 'Free Makset!');
      await page.fill('#f-summary', 'A refugee pastor faces extradition to Uzbekistan.');
      await page.fill('#f-goal', '3800');
      await page.click('.admin-form button[type=submit]');
      assert.equal(new URL(page.url()).hash, '#error-summary');
      assert.match((await page.title()) ?? '', /^Error: /);
      assert.match((await page.locator('#error-summary').textContent()) ?? '', /Web address: use 2 to 63 lower-case letters, digits and hyphens/);
      assert.match((await page.locator('#f-title-error').textContent()) ?? '', /must not be empty/);
      assert.equal(await page.inputValue('#f-goal'), '3800');
      // The page opens at the summary: it is on the first screen, not below the fold.
      const box = await page.locator('#error-summary').boundingBox();
      assert.ok(box && box.y >= 0 && box.y < 800, `the error summary is on screen (${JSON.stringify(box)})`);
      if (width === 1280) await screenshot(page, 'admin-campaign-errors');
      assert.equal((await t.app.inject({ url: '/api/v1/campaigns', headers: auth })).json().items.length, width === 360 ? 0 : 1);

      await page.fill('#f-slug', `free-makset-${tag}`);
      await page.fill('#f-title', 'Stop the extradition of Pastor Makset');
      await page.fill('#f-closesAt', '2027-03-01T12:00');
      await page.check('#f-delivery-mode-0');
      await page.fill('#f-rules-guidance', "Don't mention any organizations. Be respectful.");
      await page.click('.admin-form button[type=submit]');
      await page.waitForURL(/\?done=created#main$/);
      assert.match((await page.locator('.notice').textContent()) ?? '', /has been created/);
      const campaignId = /campaigns\/([^?]+)/.exec(page.url())![1]!;
      const stored = (await t.app.inject({ url: `/api/v1/campaigns/${campaignId}`, headers: auth })).json();
      assert.equal(stored.slug, `free-makset-${tag}`);
      assert.equal(stored.goal, 3800);
      assert.equal(stored.closesAt, '2027-03-01T12:00:00Z');

      await page.click(`a[href="/admin/campaigns/${campaignId}/targets"]`);
      await page.fill('#f-name', 'Mr Daulbayev');
      await page.fill('#f-title', 'Prosecutor General of Kazakhstan');
      await page.fill('#f-organization', 'Office of the Prosecutor General');
      await page.fill('#f-locale', 'ru');
      await page.fill('#f-countries', 'DE, KZ');
      await page.click('.admin-form button[type=submit]');
      assert.equal(new URL(page.url()).hash, '#error-summary');
      assert.match((await page.locator('#f-email-error').textContent()) ?? '', /required in email delivery mode/);
      if (width === 360) await screenshot(page, 'admin-target-errors');
      await page.fill('#f-email', 'prosecutor@example.kz');
      await page.click('.admin-form button[type=submit]');
      await page.waitForURL(/done=target-added/);
      assert.match((await page.locator('table').textContent()) ?? '', /Mr Daulbayev.*DE, KZ/s);
      if (width === 1280) await screenshot(page, 'admin-targets');
      const targets = (await t.app.inject({ url: `/api/v1/campaigns/${campaignId}/targets`, headers: auth })).json().items;
      assert.deepEqual(targets.map((x: { countries: string[]; locale: string }) => [x.countries, x.locale]), [[['DE', 'KZ'], 'ru']]);
      await context.close();
    });
  }

  it('previews a template draft for each recipient and saves it as the next version', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
    const page = await signedIn(context);
    const [campaign] = (await t.app.inject({ url: '/api/v1/campaigns', headers: auth })).json().items;
    await page.goto(`${base}/admin/campaigns/${campaign.id}/templates`);
    await page.click(`a[href="/admin/campaigns/${campaign.id}/templates/new"]`);
    await page.fill('#f-name', 'Appeal');
    await page.fill('#f-subject', 'Do not extradite Pastor Makset');
    await page.fill('#f-body', '{{target.salutation}},\n\nArticle 33 of the 1951 Refugee Convention forbids refoulement.\n\n{{supporter.name}}, {{supporter.city}}');
    await page.click('button[name=intent][value=preview]');
    assert.match((await page.locator('#preview').textContent()) ?? '', /Dear Prosecutor General of Kazakhstan,\s+Article 33.*Aigerim Sadykova, Almaty/s);
    await screenshot(page, 'admin-template-preview');
    await page.click('.admin-form button:not([name])');
    await page.waitForURL(/done=template-saved/);
    assert.match((await page.locator('.hint').first().textContent()) ?? '', /Version 1/);

    // Marking the campaign won asks first, naming how many have signed.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { status: 'active' } });
    await page.goto(`${base}/admin/campaigns/${campaign.id}`);
    await page.click('form[action$="/status"]:has(input[value=won]) button');
    assert.match((await page.locator('h1').textContent()) ?? '', /^Mark ".*" as won\?$/);
    assert.match((await page.locator('.confirm').textContent()) ?? '', /0 supporters have signed it/);
    await screenshot(page, 'admin-confirm-won');
    await page.click('.confirm button[type=submit]');
    await page.waitForURL(/done=status/);
    assert.equal((await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}`, headers: auth })).json().status, 'won');

    assert.deepEqual(overflow, [], 'pages scroll sideways');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
