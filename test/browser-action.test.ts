import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { auth, buildTestApp, createTarget, type TestApp } from './helpers/build-app.js';
import { artifacts, freePort, launchBrowser, waitForText, watchErrors } from './helpers/browser.js';
import { readyCampaign } from './helpers/supporters.js';

// The seed story (000): long enough that a page which puts the story first pushes the form far down.
const story = [
  'For 90 days last fall, Makset Djabbarbergenov lived in a Kazakh prison cell, under threat of deportation to his native Uzbekistan to face almost-certain years of harsh jail time.',
  'His alleged crime: leading small Christian communities in house churches without official registration. By 2007 this had made "Pastor Makset" a wanted criminal, and he fled across the border into Kazakhstan to escape arrest. By 2009 he and his family had won refugee status there from the UNHCR.',
  'Last year, Uzbekistan raised the accusations against him to charges of terrorism and demanded that Kazakhstan send him back to face trial and a potential 15-year prison sentence.',
  'His pregnant wife, Aygul, and their four young sons watched as the police arrested him in their Almaty home at noon on 5 September. It would be three months before they saw each other again.',
  '"This is very serious. Call everyone you can. Tell them what is happening to me."',
].join('\n\n');

/** The two widths the issue names, with a phone's and a laptop's first screen. */
const screens = [
  { width: 360, height: 740 },
  { width: 1280, height: 800 },
] as const;

type Box = { top: number; bottom: number; left: number; right: number };
const box = (page: Page, selector: string) =>
  page.locator(selector).first().evaluate((e: { getBoundingClientRect(): Box }) => {
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  });

/**
 * The action page as a supporter first meets it, in Debian's chromium: where the form is on a
 * phone and on a desktop, the letter beside it, rule violations under their field while typing,
 * a failed post without JavaScript landing on the error summary, and a success that a reload
 * does not send again. Screenshots go to test-artifacts/screenshots/action-*.png.
 */
describe('the action page in a real browser: the form on the first screen', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let slug: string;
  let campaignId: string;
  const errors: string[] = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await buildTestApp({ PUBLIC_URL: base, RATE_LIMIT_PER_MINUTE: '1000' });
    await t.app.listen({ port, host: '127.0.0.1' });
    const { campaign } = await readyCampaign(t.app, {
      title: 'Stop the extradition of Pastor Makset to Uzbekistan',
      summary: 'A recognised refugee faces extradition to a country where he would be tortured for his faith.',
      story,
      rules: { guidance: "Be respectful and don't mention any organizations.", forbiddenPhrases: ['Open Doors'] },
    });
    slug = campaign.slug;
    campaignId = campaign.id;
    await createTarget(t.app, campaign.id, { name: 'Mr Beisenov', title: 'Minister of Foreign Affairs', email: 'mfa@example.kz', countries: ['DE', 'AT'] });
    // Dated updates, as the seed blog (002) posts them: the story column grows well past the form.
    for (const [title, body] of [
      ['UPDATE: detained in Shymkent', 'Makset was detained on 5 September and faces extradition to Uzbekistan. His family was not told where he was held for six days.'],
      ['UPDATE: UNHCR asks for his release', 'The UN refugee agency confirmed his refugee status and asked the prosecutor not to return him. Please write to the Prosecutor General today.'],
      ['UPDATE: hearing postponed', 'The court postponed the hearing by two weeks. The extra time is a chance: keep writing, and ask a friend to write too.'],
      ['UPDATE: letters received', 'The embassy confirmed receiving hundreds of letters. Officials are listening; every letter adds to the pressure.'],
    ]) {
      await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/updates`, headers: auth, payload: { title, body } });
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const open = async (context: BrowserContext, path = `/c/${slug}`) => {
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(base + path);
    return page;
  };
  const shot = (page: Page, name: string, fullPage = false) =>
    page.screenshot({ path: join(artifacts, `action-${name}-${page.viewportSize()!.width}.png`), fullPage });

  for (const screen of screens) {
    it(`at ${screen.width}×${screen.height}: the form's heading and first field are on the first screen, the recipients listed once`, async () => {
      const context = await browser.newContext({ viewport: screen, javaScriptEnabled: false });
      const page = await open(context);
      await shot(page, 'first-screen');
      await shot(page, 'full', true);
      const form = await box(page, '#sign-h');
      const firstField = await box(page, '#action-form input:not([type=hidden])');
      assert.ok(form.top >= 0 && form.top < screen.height, `the form starts at ${form.top} px`);
      assert.ok(firstField.bottom < screen.height, `the first field ends at ${firstField.bottom} px, below the ${screen.height} px screen`);
      assert.equal(await page.locator('.recipients, #f-targetIds').count(), 1, 'one list of recipients');
      assert.equal(await page.getByText('Minister of Foreign Affairs').count(), 1);
      assert.equal(await page.locator('#preview-text').evaluate((e: { scrollHeight: number; clientHeight: number }) => e.scrollHeight <= e.clientHeight), true, 'the letter does not scroll inside a box');

      if (screen.width >= 1280) {
        // Beside the story, and still in view once the story is scrolled.
        const title = await box(page, '#title');
        const preview = await box(page, '#preview');
        assert.ok(form.left > title.right, 'the form is beside the headline');
        assert.ok(preview.right < form.left && preview.top < screen.height, 'the letter is beside the form, on the first screen');
        // Without JavaScript the form stays put on a screen too short for all of it (sticking would
        // hide its button until the story ended); the JavaScript test below checks it following.
        const sign = await box(page, '#sign');
        const position = await page.evaluate<string>("getComputedStyle(document.getElementById('sign')).position");
        assert.equal(position, sign.bottom - sign.top > screen.height - 32 ? 'static' : 'sticky');
      } else {
        // On a phone: headline, then the form; the letter after it, then the story and a button back up.
        const title = await box(page, '#title');
        const preview = await box(page, '#preview');
        const storyTop = await box(page, '#story-h');
        assert.ok(title.bottom < form.top && form.bottom < preview.top && preview.bottom < storyTop.top, 'headline, form, letter, story');
        const button = page.getByRole('link', { name: 'Write your letter' });
        assert.equal(await button.count(), 1);
        await button.click();
        assert.equal(new URL(page.url()).hash, '#sign');
      }
      await context.close();
    });
  }

  it('at 1280×800 with JavaScript: a form taller than the screen scrolls until its button shows, then stays beside the story', async () => {
    const context = await browser.newContext({ viewport: screens[1] });
    const page = await open(context);
    const sign = await box(page, '#sign');
    const screenHeight = screens[1].height;
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight / 2)');
    await page.locator('#sign.stuck').waitFor();
    const stuck = await box(page, '#sign');
    const button = await box(page, '#action-form button[type=submit]');
    if (sign.bottom - sign.top > screenHeight - 32) {
      assert.ok(button.bottom <= screenHeight && button.top >= 0, `the button is on screen (${button.top}–${button.bottom})`);
      assert.ok(Math.abs(stuck.bottom - (screenHeight - 16)) < 2, `the form's bottom rests at the screen's bottom (${stuck.bottom})`);
    } else {
      assert.ok(Math.abs(stuck.top - 16) < 2, `the form rests at the top (${stuck.top})`);
    }
    await shot(page, 'scrolled-js');
    await context.close();
  });

  it('with JavaScript: the letter follows the typing beside the fields, and a broken rule shows under its field while typing', async () => {
    const context = await browser.newContext({ viewport: screens[1] });
    const page = await open(context);
    await page.fill('#f-name', 'Aigerim Sadykova');
    await waitForText(page, '#preview-text', /Aigerim Sadykova/);
    await page.fill('#f-note', 'I read about this on the Open Doors website.');
    await page.locator('#f-live-error').waitFor();
    assert.match((await page.locator('#f-live-error').textContent()) ?? '', /^Error: .*"Open Doors"/);
    const error = await box(page, '#f-live-error');
    const label = await box(page, 'label[for=f-note]');
    const note = await box(page, '#f-note');
    assert.ok(error.top > label.bottom && error.bottom <= note.top + 1, 'the message sits between the note\'s label and its box');
    assert.equal(await page.getAttribute('#f-note', 'aria-invalid'), 'true');
    assert.match((await page.getAttribute('#f-note', 'aria-describedby')) ?? '', /f-live-error/);
    await shot(page, 'rule-while-typing');

    // A phrase typed into the name is shown under the name; fixing it clears the message.
    await page.fill('#f-note', 'Please let him stay.');
    await page.locator('#f-live-error').waitFor({ state: 'detached' });
    await page.fill('#f-name', 'Open Doors supporter');
    await page.locator('#f-name-hint ~ #f-live-error').waitFor();
    await page.fill('#f-name', 'Aigerim Sadykova');
    await page.locator('#f-live-error').waitFor({ state: 'detached' });
    assert.equal(await page.getAttribute('#f-name', 'aria-invalid'), null);
    await waitForText(page, '#preview-text', /Please let him stay\./);
    await context.close();
  });

  it('without JavaScript: a failed post opens at the error summary, titled "Error: "; a valid one lands on "check your inbox", which a reload does not send again', async () => {
    for (const screen of screens) {
      const context = await browser.newContext({ viewport: screen, javaScriptEnabled: false });
      const page = await open(context);
      await page.fill('#f-email', 'aigerim@example');
      await page.click('#action-form button[type=submit]');
      assert.equal(new URL(page.url()).hash, '#error-summary');
      assert.match(await page.title(), /^Error: Stop the extradition/);
      const summary = await box(page, '#error-summary');
      assert.ok(summary.top >= -1 && summary.top < screen.height / 2, `the summary is at the top of the screen (${summary.top} px)`);
      await shot(page, 'errors');
      await page.click('#error-summary a[href="#f-email"]');
      assert.equal(new URL(page.url()).hash, '#f-email');

      await page.fill('#f-name', 'Aigerim Sadykova');
      await page.fill('#f-email', `aigerim${screen.width}@exmaple.org`);
      await page.selectOption('#f-country', 'KZ');
      await page.click('#action-form button[type=submit]');
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
      assert.equal(new URL(page.url()).pathname, `/c/${slug}/signed`);
      assert.match((await page.locator('#sent-to').textContent()) ?? '', new RegExp(`aigerim${screen.width}@exmaple\\.org`));
      const letters = async () => Number(await t.app.store.sql.value('SELECT count(*) FROM letters WHERE campaign_id = ?', [campaignId]));
      const before = await letters();
      await page.reload();
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
      assert.equal(await letters(), before, 'the reload sent nothing');
      await shot(page, 'signed', true);

      // The typo, corrected: the page now names the right address.
      await page.fill('#f-email', `aigerim${screen.width}@example.org`);
      await page.click('text=Send the link to this address');
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
      assert.match((await page.locator('#sent-to').textContent()) ?? '', new RegExp(`aigerim${screen.width}@example\\.org`));
      assert.deepEqual(await context.cookies(), []);
      await context.close();
    }
  });

  it('a paused campaign says so under its title, without a form', async () => {
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaignId}`, headers: auth, payload: { status: 'paused' } });
    const context = await browser.newContext({ viewport: screens[0], javaScriptEnabled: false });
    const page = await open(context);
    await shot(page, 'paused');
    const title = await box(page, '#title');
    const notice = await box(page, '#status-notice');
    assert.ok(notice.top >= title.bottom && notice.top - title.bottom < 40, 'the notice follows the title');
    assert.match((await page.locator('#status-notice').textContent()) ?? '', /paused/);
    assert.equal(await page.locator('form').count(), 0);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaignId}`, headers: auth, payload: { status: 'active' } });
    await context.close();
  });

  it('no script or CSP error on any page', () => {
    // The preview's 422 for a broken rule is the answer the rule test asks for, which chromium logs.
    assert.deepEqual(errors.filter((e) => !/status of 422 .*\/preview\)$/.test(e)), []);
  });
});

