import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_KEY, auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { artifacts, axeViolations, freePort, launchBrowser, shoot, watchErrors } from './helpers/browser.js';
import { hour, manualClock } from './helpers/delivery.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

const story =
  'Pastor Makset Djabbarbergenov, a recognised refugee from Uzbekistan, has spent 90 days in a Kazakh prison ' +
  'under threat of extradition.\n\nIn Uzbekistan he faces torture for leading a Protestant church.';

/**
 * Every public page and every dashboard page in Debian's chromium at 360 px and 1280 px, checked
 * by axe-core (WCAG 2.2 A/AA and best practices: no violation at all), with a screenshot of each
 * in test-artifacts/screenshots/public-*.png.
 */
describe('public pages: accessible at both widths', () => {
  const clock = manualClock(new Date().toISOString());
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let campaign: { id: string; slug: string };
  let context: BrowserContext;
  const errors: string[] = [];
  const found: string[] = [];
  const overflow: string[] = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await buildTestApp({ PUBLIC_URL: base, RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
    await t.app.listen({ port, host: '127.0.0.1' });
    ({ campaign } = await readyCampaign(t.app, {
      title: 'Stop the extradition of Pastor Makset to Uzbekistan',
      summary: 'A recognised refugee faces extradition to a country where he would be tortured for his faith.',
      story,
      sender: { name: 'Friends of Makset', email: 'letters@friends-of-makset.example.org', url: 'https://friends-of-makset.example.org/', privacyNotice: 'We keep your name and address only to send your letter.' },
    }));
    await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/updates`, headers: auth, payload: { title: 'UPDATE: hearing postponed', body: 'Please keep writing.' } });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const runBy: string[] = [];
  /** Loads a page, checks it with axe at both widths, and keeps a screenshot of each; notes a campaign page that does not say who runs it. */
  async function check(page: Page, name: string, campaignPage = true) {
    if (campaignPage) {
      const footer = (await page.locator('.run-by, .embed-by').first().textContent({ timeout: 1000 }).catch(() => '')) ?? '';
      if (!/Friends of Makset/.test(footer)) runBy.push(`${name}: ${footer}`);
    }
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      for (const v of await axeViolations(page)) found.push(`${name} at ${width}px: ${v}`);
    }
    for (const width of await shoot(page, `public-${name}`)) overflow.push(`${name} at ${width}px`);
  }
  const open = async (path: string) => {
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(base + path);
    return page;
  };

  it('the home page, the action page (also with errors), signed, confirm, thanks, unsubscribe, expired and unknown links, the embed', async () => {
    const home = await open('/');
    await check(home, 'home', false);
    assert.match((await home.locator('.campaigns li').first().textContent()) ?? '', /Run by Friends of Makset/);
    const action = await open(`/c/${campaign.slug}`);
    await check(action, 'action');
    await action.click('#action-form button[type=submit]');
    await action.locator('#error-summary').waitFor();
    await check(action, 'action-errors');

    await action.fill('#f-name', 'Aigerim Sadykova');
    await action.fill('#f-email', 'aigerim@example.org');
    await action.selectOption('#f-country', 'KZ');
    await action.check('#f-consentUpdates');
    await action.click('#action-form button[type=submit]');
    await action.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await check(action, 'signed');

    const token = (await confirmationTokens(t.app)).get('aigerim@example.org')!;
    const confirm = await open(`/confirm/${token}`);
    await check(confirm, 'confirm');
    await confirm.locator('button[type=submit]').first().click();
    await confirm.getByRole('heading', { name: 'Thank you!' }).waitFor();
    await check(confirm, 'thanks');

    await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/updates`, headers: auth, payload: { title: 'We won', body: 'He is free.', notify: true } });
    const row = (await t.app.store.sql.get<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'update'"))!;
    const unsubscribe = await open(new URL(JSON.parse(row.payload).unsubscribeUrl as string).pathname);
    await check(unsubscribe, 'unsubscribe');
    await unsubscribe.click('button[type=submit]');
    await unsubscribe.locator('.notice').waitFor();
    await check(unsubscribe, 'unsubscribed');

    await submit(t.app, campaign.slug, supporter('late'));
    const late = (await confirmationTokens(t.app)).get(supporter('late').email)!;
    clock.advance(8 * 24 * hour);
    const expired = await open(`/confirm/${late}`);
    assert.match((await expired.locator('h1').textContent()) ?? '', /expired/);
    await check(expired, 'expired');
    await check(await open('/confirm/no-such-link-0123456789'), 'unknown-link', false);
    await check(await open('/c/no-such-campaign'), 'not-found', false);
    const privacy = await open(`/c/${campaign.slug}/privacy`);
    assert.match((await privacy.locator('main').textContent()) ?? '', /We keep your name and address only to send your letter\./);
    await check(privacy, 'privacy');
    await check(await open(`/embed/${campaign.slug}/counter`), 'embed-counter');
  });

  it('offers the system share sheet only where the browser has navigator.share, with the campaign\'s title and address', async () => {
    const without = await open(`/c/${campaign.slug}`);
    assert.equal(await without.evaluate('typeof navigator.share'), 'undefined', "headless chromium on Linux has no share sheet");
    assert.equal(await without.locator('[data-share]').isVisible(), false, 'no button that could not work');
    await without.close();

    // A browser with a share sheet (as phones have): the page's own script finds it and shows the button.
    const sharing = await browser.newContext({ viewport: { width: 360, height: 740 } });
    // A string, not a function: tsx would wrap a function in helpers the page does not have.
    await sharing.addInitScript(`
      globalThis.__shared = [];
      Object.defineProperty(Navigator.prototype, 'share', { value: (data) => (globalThis.__shared.push(data), Promise.resolve()), configurable: true });
    `);
    const page = watchErrors(await sharing.newPage(), errors);
    await page.goto(`${base}/c/${campaign.slug}`);
    await page.locator('[data-share]').click();
    await page.locator('[data-share]').scrollIntoViewIfNeeded();
    assert.deepEqual(await page.evaluate('globalThis.__shared'), [
      { title: 'Stop the extradition of Pastor Makset to Uzbekistan', text: 'I wrote a letter: Stop the extradition of Pastor Makset to Uzbekistan. Will you write one too?', url: `${base}/c/${campaign.slug}` },
    ]);
    await page.screenshot({ path: `${artifacts}/public-action-share-360.png` });
    await sharing.close();
  });

  it('the dashboard: sign-in, campaigns, a campaign', async () => {
    const page = await open('/admin');
    await check(page, 'admin-sign-in', false);
    await page.fill('#f-key', ADMIN_KEY);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin`);
    await check(page, 'admin-campaigns', false);
    await page.click(`a[href="/admin/campaigns/${campaign.id}"]`);
    await page.locator('h1').waitFor();
    await check(page, 'admin-campaign', false);
  });

  it('found no violation, every campaign page names its organizer, no sideways scrolling, no script or CSP error', () => {
    assert.deepEqual(found, []);
    assert.deepEqual(runBy, [], 'every page of the campaign names who runs it');
    assert.deepEqual(overflow, []);
    assert.deepEqual(errors, []);
  });
});
