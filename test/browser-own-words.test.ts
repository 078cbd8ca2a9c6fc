import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';
import { freePort, launchBrowser, shoot, waitForText, watchErrors } from './helpers/browser.js';

type Globals = { document: { querySelector(selector: string): { value?: string; hidden?: boolean } | null } };

/**
 * An editable letter in Debian's chromium: the letter itself in a text box, the nudge towards the
 * supporter's own words (never a block), and whom the letter goes to once a country is picked,
 * with and without JavaScript. Screenshots: test-artifacts/screenshots/action-own-words-*.png.
 */
describe('the supporter edits the letter itself (real browser)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let slug: string;
  const errors: string[] = [];
  const overflow: string[] = [];
  const own = 'I have known Makset for ten years; his church fed my family when we arrived with nothing.';

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await buildTestApp({ PUBLIC_URL: base, RATE_LIMIT_PER_MINUTE: '100' });
    const campaign = await createCampaign(t.app, { letter: { editable: true } });
    slug = campaign.slug;
    await createTarget(t.app, campaign.id);
    await createTarget(t.app, campaign.id, { name: 'Ambassador in Berlin', title: 'Ambassador of Kazakhstan to Germany', email: 'berlin@example.kz', salutation: 'Your Excellency', countries: ['DE'] });
    await createTemplate(t.app, campaign.id);
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const stored = (email: string) =>
    t.app.store.sql.all<{ body: string; originality: number }>(
      'SELECT l.body, l.originality FROM letters l JOIN supporters s ON s.id = l.supporter_id WHERE s.email = ? ORDER BY l.target_id',
      [email],
    );
  const waitForValue = (page: Page, selector: string, pattern: RegExp) =>
    page.waitForFunction(
      ([sel, source]) => new RegExp(source).test((globalThis as unknown as Globals).document.querySelector(sel)?.value ?? ''),
      [selector, pattern.source] as const,
    );
  const waitForHidden = (page: Page, selector: string, hidden: boolean) =>
    page.waitForFunction(([sel, h]) => (globalThis as unknown as Globals).document.querySelector(sel)?.hidden === h, [selector, hidden] as const);

  it('without JavaScript: the letter is in the text box, the nudge shows, and the page after the post names the recipients', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 800 } });
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(`${base}/c/${slug}`);
    const prefilled = await page.locator('#f-body').inputValue();
    assert.match(prefilled, /^Dear Mr Daulbayev,\n\nArticle 33/);
    assert.match(prefilled, /\[your name\]/);
    assert.ok(await page.locator('#f-body-nudge').isVisible());
    assert.match(await page.locator('#f-body-nudge').innerText(), /Officials give more weight to letters in your own words/);
    assert.equal(await page.locator('#f-note').count(), 0, 'the letter itself replaces the note');
    assert.ok(await page.locator('#goes-to-hint').isVisible());
    for (const width of await shoot(page, 'action-own-words-nojs')) overflow.push(`nojs at ${width}px`);

    await page.fill('#f-name', 'Jana Novak');
    await page.fill('#f-email', 'jana@example.org');
    await page.selectOption('#f-country', 'DE');
    await page.fill('#f-body', prefilled.replace('refoulement.', `refoulement.\n${own}`));
    await page.click('button[type=submit]');
    await page.waitForURL(/\/signed\?ticket=/);
    const goesTo = await page.locator('.recipients').innerText();
    assert.match(goesTo, /Mr Daulbayev/);
    assert.match(goesTo, /Ambassador in Berlin/);

    const letters = await stored('jana@example.org');
    assert.equal(letters.length, 2);
    // Written from the letter to the first target; each target is addressed in its own salutation.
    assert.deepEqual(letters.map((l) => l.body.split('\n')[0]).sort(), ['Dear Mr Daulbayev,', 'Your Excellency,']);
    for (const l of letters) {
      assert.match(l.body, new RegExp(own));
      // The placeholders typed over before the name and country were known: what was typed.
      assert.match(l.body, /Jana Novak\nGermany/);
      assert.doesNotMatch(l.body, /\[your/);
      assert.ok(l.originality >= 0.2, String(l.originality));
    }
    await context.close();
  });

  it('with JavaScript: the box follows the form until edited, the preview then follows the box, the nudge gives way, and the recipients appear with the country', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(`${base}/c/${slug}`);
    await page.fill('#f-name', 'Tomas Berg');
    await page.fill('#f-email', 'tomas@example.org');
    await page.selectOption('#f-country', 'US');
    await waitForValue(page, '#f-body', /Tomas Berg\nUnited States/);
    assert.equal(await page.locator('#goes-to-list li').count(), 1, 'a US supporter writes to the Prosecutor General only');
    await page.selectOption('#f-country', 'DE');
    await waitForValue(page, '#f-body', /Tomas Berg\nGermany/);
    assert.deepEqual(await page.locator('#goes-to-list li strong').allInnerTexts(), ['Mr Daulbayev', 'Ambassador in Berlin']);
    assert.ok(await page.locator('#f-body-nudge').isVisible(), 'the template letter alone: nudged');

    // The supporter takes their name out and adds their own words: signed for them, nudge gone.
    const box = page.locator('#f-body');
    const text = (await box.inputValue()).replace(/Yours sincerely,[\s\S]*$/, `${own}\nPlease let him stay.`);
    await box.fill(text);
    await waitForText(page, '#preview-text', /Please let him stay\.\n\nTomas Berg, Germany$/);
    await waitForHidden(page, '#f-body-nudge', true);
    // Typing elsewhere no longer overwrites what the supporter wrote.
    await page.fill('#f-city', 'Hamburg');
    await waitForText(page, '#preview-text', /Tomas Berg, Hamburg, Germany$/);
    assert.equal(await box.inputValue(), text);
    await page.locator('#f-body').scrollIntoViewIfNeeded();
    for (const width of await shoot(page, 'action-own-words-js')) overflow.push(`js at ${width}px`);

    await page.click('button[type=submit]');
    await page.waitForURL(/\/signed\?ticket=/);
    const letters = await stored('tomas@example.org');
    assert.equal(letters.length, 2);
    const signed = `${text}\n\nTomas Berg, Hamburg, Germany`;
    assert.deepEqual(letters.map((l) => l.body).sort(), [signed, signed.replace(/^Dear Mr Daulbayev/, 'Your Excellency')].sort());
    await context.close();
  });

  it('the nudge never blocks: the unedited letter is sent as a form letter', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(`${base}/c/${slug}`);
    await page.fill('#f-name', 'Lee Park');
    await page.fill('#f-email', 'lee@example.org');
    await page.selectOption('#f-country', 'KR');
    await waitForValue(page, '#f-body', /Lee Park\n/);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/signed\?ticket=/);
    const letters = await stored('lee@example.org');
    assert.deepEqual(letters.map((l) => l.originality), [0]);
    await context.close();
  });

  it('no page scrolls sideways and no script or CSP error occurred', () => {
    assert.deepEqual(overflow, []);
    assert.deepEqual(errors, []);
  });
});
