import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { demoSlugs, seedDemo } from '../src/demo.js';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { freePort, launchBrowser, shoot, waitForText, watchErrors } from './helpers/browser.js';

/**
 * The demo's action page in Debian's chromium: the letter to the Prosecutor General as it goes
 * out (Russian) beside what it says (English), with and without JavaScript. Screenshots go to
 * test-artifacts/screenshots/action-translation-*.png.
 */
describe('the action page shows a translated letter beside its original (real browser)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const errors: string[] = [];
  const overflow: string[] = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await buildTestApp({ PUBLIC_URL: base, RATE_LIMIT_PER_MINUTE: '100' });
    await seedDemo(t.app.store, t.app.services);
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const visibleText = (page: Page, selector: string) => page.locator(selector).innerText();

  it('without JavaScript: both texts and the reason are on the page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 800 } });
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(`${base}/c/${demoSlugs.makset}`);
    assert.ok(await page.locator('#preview-translation').isVisible());
    assert.match(await visibleText(page, '#preview-why'), /Mr Daulbayev \(Prosecutor General of Kazakhstan\) reads Russian/);
    assert.match(await visibleText(page, '#preview-text'), /Уважаемый господин Генеральный прокурор!/);
    assert.match(await visibleText(page, '#preview-translation-text'), /Dear Mr Daulbayev,/);
    for (const width of await shoot(page, 'action-translation-nojs')) overflow.push(`nojs at ${width}px`);
    await context.close();
  });

  it('with JavaScript: both columns follow what the supporter types', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(`${base}/c/${demoSlugs.makset}`);
    await page.fill('#f-name', 'Anna Schmidt');
    await page.selectOption('#f-country', 'DE');
    await waitForText(page, '#preview-text', /Anna Schmidt\nГермания/);
    await waitForText(page, '#preview-translation-text', /Anna Schmidt\nGermany/);
    assert.equal(await page.locator('#preview-sent').getAttribute('lang'), 'ru');
    assert.equal(await page.locator('#preview-translation').getAttribute('lang'), 'en');
    assert.match(await visibleText(page, '#preview-sent-h'), /As it will be sent \(Russian\)/);
    assert.match(await visibleText(page, '#preview-translation-h'), /What it says \(English\)/);
    assert.match(await visibleText(page, '#preview-why'), /Mr Daulbayev \(Prosecutor General of Kazakhstan\) reads Russian/);
    // Unticking the Prosecutor General: the letter to the ambassador is in English, with nothing beside it.
    await page.uncheck('#f-target-0');
    await waitForText(page, '#preview-text', /^Your Excellency,/);
    assert.equal(await page.locator('#preview-translation').isVisible(), false);
    assert.equal(await page.locator('#preview-why').isVisible(), false);
    assert.equal(await page.locator('#preview-sent').getAttribute('lang'), 'en');
    await page.check('#f-target-0');
    await waitForText(page, '#preview-text', /^Уважаемый/);
    assert.ok(await page.locator('#preview-translation').isVisible());
    // Both versions side by side on a wide screen.
    const sent = (await page.locator('#preview-sent').boundingBox())!;
    const meaning = (await page.locator('#preview-translation').boundingBox())!;
    assert.ok(meaning.x > sent.x && Math.abs(meaning.y - sent.y) < 2, `side by side: ${JSON.stringify({ sent, meaning })}`);
    await page.locator('#preview-h').scrollIntoViewIfNeeded();
    for (const width of await shoot(page, 'action-translation-js')) overflow.push(`js at ${width}px`);
    await context.close();
  });

  it('no page scrolls sideways and no script or CSP error occurred', () => {
    assert.deepEqual(overflow, []);
    assert.deepEqual(errors, []);
  });
});
