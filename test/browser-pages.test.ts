import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_KEY, auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { freePort, launchBrowser, shoot, unlabelled, waitForText, watchErrors } from './helpers/browser.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { readyCampaign } from './helpers/supporters.js';

const story =
  'Pastor Makset Djabbarbergenov, a recognised refugee from Uzbekistan, has spent 90 days in a Kazakh prison ' +
  'under threat of extradition.\n\nIn Uzbekistan he faces torture for leading a Protestant church. Article 33 of ' +
  'the 1951 Refugee Convention forbids returning him.';

/**
 * The pages in Debian's chromium against the real server: the form with and without JavaScript,
 * the confirmation link from a mail caught by a real SMTP server, a live counter on another page,
 * and the dashboard. Screenshots of every page at 360 px and 1280 px go to test-artifacts/.
 */
describe('pages in a real browser', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let campaign: { id: string; slug: string };
  let noJs: BrowserContext;
  let withJs: BrowserContext;
  const errors: string[] = [];
  const overflow: string[] = [];
  const screenshot = async (page: Page, name: string) => {
    for (const width of await shoot(page, name)) overflow.push(`${name} at ${width}px`);
  };

  before(async () => {
    smtp = await startSmtp();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await buildTestApp({ MAIL_TRANSPORT: smtp.url, PUBLIC_URL: base, MAIL_FROM: 'Chorus <letters@example.org>', RATE_LIMIT_PER_MINUTE: '100' });
    await t.app.listen({ port, host: '127.0.0.1' });
    ({ campaign } = await readyCampaign(t.app, { title: 'Stop the extradition of Pastor Makset to Uzbekistan', story }));
    for (const [title, body] of [
      ['UPDATE: detained in Shymkent', 'Makset was detained on 5 September and faces extradition to Uzbekistan.'],
      ['UPDATE: hearing postponed', 'The court postponed the hearing. Please keep writing.'],
    ]) {
      await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/updates`, headers: auth, payload: { title, body } });
    }
    browser = await launchBrowser();
    noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 800 } });
    withJs = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  const open = async (context: BrowserContext, path: string) => {
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(base + path);
    return page;
  };
  const supporters = (page: Page) => page.locator('[data-count="supporters"]').first().textContent();

  it('without JavaScript: keyboard reaches the form, errors show next to their fields, a valid post says "check your inbox"', async () => {
    const page = await open(noJs, `/c/${campaign.slug}`);
    await screenshot(page, 'action');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.className'), 'skip');
    assert.deepEqual(await unlabelled(page), []);

    await page.fill('#f-email', 'not an address');
    await page.click('button[type=submit]');
    assert.equal(new URL(page.url()).pathname, `/c/${campaign.slug}`);
    assert.match((await page.locator('#f-name-error').textContent()) ?? '', /Enter your name/);
    assert.match((await page.locator('#f-email-error').textContent()) ?? '', /Enter a valid email address/);
    assert.equal(await page.inputValue('#f-email'), 'not an address');
    await screenshot(page, 'action-errors');

    await page.fill('#f-name', 'Aigerim Sadykova');
    await page.fill('#f-email', 'aigerim@example.org');
    await page.fill('#f-city', 'Almaty');
    await page.selectOption('#f-country', 'KZ');
    await page.fill('#f-note', 'Please do not send him back to torture.');
    await page.check('#f-consentUpdates');
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/c/${campaign.slug}/signed`, 'the post redirects to the page, so a reload sends nothing');
    assert.deepEqual(await noJs.cookies(), [], 'signing leaves no cookie behind');
    await screenshot(page, 'signed');
  });

  it('with JavaScript: the letter preview follows the typing; the form still posts', async () => {
    const page = await open(withJs, `/c/${campaign.slug}`);
    await page.setViewportSize({ width: 360, height: 800 });
    assert.match((await page.locator('#preview-text').textContent()) ?? '', /\[your name\]/);
    await page.fill('#f-name', 'Jane Roe');
    await page.selectOption('#f-country', 'IE');
    await waitForText(page, '#preview-text', /Jane Roe\nIreland/);
    await page.uncheck('#f-target-0');
    await waitForText(page, '#preview-text', /^Your Excellency/);
    assert.match((await page.locator('#preview-to').textContent()) ?? '', /Ambassador of Kazakhstan/);
    await page.fill('#f-email', 'jane@example.org');
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await page.close();
  });

  it('follows the link from the mail, confirms, and another open page and the embedded counter count up without reloading', async () => {
    await t.app.delivery.worker.drain();
    await smtp.waitFor(2);
    const mail = (await smtp.parsed()).find((m) => m.to && JSON.stringify(m.to).includes('aigerim@example.org'))!;
    const link = new RegExp(`${base}/confirm/[\\w-]+`).exec(mail.text ?? '')?.[0];
    assert.ok(link, 'the confirmation mail carries a link to this server');

    const watcher = await open(withJs, `/c/${campaign.slug}`);
    const embed = await open(withJs, `/embed/${campaign.slug}/counter`);
    assert.equal(await supporters(watcher), '0');
    await screenshot(embed, 'embed-counter');
    // A reload would start a fresh window without this flag (the navigation entry count stays 1 either way).
    for (const p of [watcher, embed]) await p.evaluate('window.__noReload = true');

    const confirm = watchErrors(await withJs.newPage(), errors);
    await confirm.goto(link);
    assert.match((await confirm.locator('.letter').first().textContent()) ?? '', /Please do not send him back to torture\./);
    await screenshot(confirm, 'confirm');
    await confirm.locator('button[type=submit]').first().click();
    await confirm.getByRole('heading', { name: 'Thank you!' }).waitFor();
    await screenshot(confirm, 'thanks');

    // The count arrives over the SSE stream; neither page is reloaded.
    await waitForText(watcher, '[data-count="supporters"]', /^1$/);
    await waitForText(embed, '[data-count="supporters"]', /^1$/);
    assert.equal(await watcher.evaluate("performance.getEntriesByType('navigation').length"), 1);
    for (const p of [watcher, embed]) assert.equal(await p.evaluate('window.__noReload'), true, `${p.url()} was not reloaded`);
    await watcher.close();
    await embed.close();
  });

  it('signs into the dashboard and releases a held letter', async () => {
    const list = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?status=queued`, headers: auth });
    const letter = (list.json().items as { id: string }[])[0]!;
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${letter.id}`, headers: auth, payload: { status: 'held' } });

    const page = await open(withJs, '/admin');
    await screenshot(page, 'admin-sign-in');
    await page.fill('#f-key', ADMIN_KEY);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin`);
    await screenshot(page, 'admin-campaigns');
    await page.click(`a[href="/admin/campaigns/${campaign.id}"]`);
    assert.match((await page.locator('#held').textContent()) ?? '', /Aigerim Sadykova/);
    assert.deepEqual(await unlabelled(page), []);
    await screenshot(page, 'admin-campaign');
    await page.locator('#held table button[type=submit]').click();
    await page.waitForURL(/done=released/);
    assert.match((await page.locator('.notice').textContent()) ?? '', /released/);
    assert.match((await page.locator('#held').textContent()) ?? '', /No letters are held/);
    const held = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?status=held`, headers: auth });
    assert.equal(held.json().items.length, 0);
    await page.close();
  });

  it('shows the unsubscribe and not-found pages; no page overflows at 360 px; no script or CSP error anywhere', async () => {
    await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/updates`, headers: auth, payload: { title: 'We won', body: 'He is free.', notify: true } });
    const row = (await t.app.store.sql.get<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'update'"))!;
    const unsubscribe = new URL(JSON.parse(row.payload).unsubscribeUrl as string).pathname;
    const page = await open(noJs, unsubscribe);
    await screenshot(page, 'unsubscribe');
    await page.click('button[type=submit]');
    assert.match((await page.locator('.notice').textContent()) ?? '', /no more updates/);
    await page.goto(`${base}/c/no-such-campaign`);
    await screenshot(page, 'not-found');

    assert.deepEqual(overflow, [], 'pages scroll sideways');
    assert.deepEqual(errors, []);
  });
});
