import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { freePort, launchBrowser, shoot, watchErrors } from './helpers/browser.js';
import { readyCampaign } from './helpers/supporters.js';

/** The counter snippet exactly as the README gives it, pointed at this server and campaign. */
function readmeSnippet(base: string, slug: string): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```html\n([^`]*embed\/free-pastor-makset\/counter[^`]*)```/.exec(readme)?.[1];
  assert.ok(block, 'the README has a counter snippet');
  return block.replaceAll('https://chorus.example.org', base).replaceAll('free-pastor-makset', slug);
}

const frameHeight = (page: Page) => page.locator('iframe').first().evaluate((e) => e.getBoundingClientRect().height);
const contentHeight = (frame: Frame) => frame.evaluate('Math.ceil(document.querySelector("main").getBoundingClientRect().bottom)') as Promise<number>;

/**
 * The counter embedded on another site (another origin, a page of its own here) with the README's
 * snippet: the snippet's height holds the whole counter, and with embed.js the iframe takes the
 * counter's own height; a message of another origin or shape changes nothing.
 */
describe('the embedded counter on another site', () => {
  let t: TestApp;
  let browser: Browser;
  let host: Server;
  let base: string;
  let hostBase: string;
  let slug: string;
  let withScript = '';
  let withoutScript = '';
  const errors: string[] = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await buildTestApp({ PUBLIC_URL: base });
    await t.app.listen({ port, host: '127.0.0.1' });
    // A long title: three lines at 320 px, the most the README's height promises to hold.
    ({ campaign: { slug } } = await readyCampaign(t.app, {
      title: 'Stop the extradition of Pastor Makset Djabbarbergenov, a recognised refugee, to Uzbekistan',
      sender: { name: 'Friends of Makset' },
    }));
    const snippet = readmeSnippet(base, slug);
    withScript = snippet;
    withoutScript = snippet.replace(/<script[^>]*><\/script>\n?/, '');
    assert.notEqual(withScript, withoutScript, 'the snippet carries the script');
    const page = (body: string) =>
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>A supporter's blog</title></head>` +
      `<body style="font-family:sans-serif;margin:0;padding:16px"><main><h1>Our parish news</h1><p>Please write to the prosecutor:</p>${body}<p>Thank you.</p></main></body></html>`;
    const hostPort = await freePort();
    hostBase = `http://localhost:${hostPort}`;
    host = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page(req.url === '/plain' ? withoutScript : withScript));
    });
    await new Promise<void>((resolve) => host.listen(hostPort, '127.0.0.1', resolve));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => host?.close(resolve));
    await t?.close();
  });

  const open = async (path: string, width = 360) => {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = watchErrors(await context.newPage(), errors);
    await page.goto(hostBase + path);
    const frame = page.frames().find((f) => f.url().includes('/embed/'))!;
    await frame.locator('.embed-by').waitFor();
    return { page, frame };
  };

  it('without the script, the README height holds the whole counter: title, count, button and who runs it', async () => {
    const { page, frame } = await open('/plain');
    assert.equal(await frameHeight(page), 270);
    const needed = await contentHeight(frame);
    assert.ok(needed <= 270, `the counter needs ${needed}px`);
    assert.equal(await frame.evaluate('document.documentElement.scrollHeight <= window.innerHeight'), true, 'nothing scrolls inside the frame');
    await shoot(page, 'embed-host-plain');
    await page.context().close();
  });

  it('with embed.js, the iframe takes the counter\'s height at any width, and ignores other origins and shapes', async () => {
    for (const width of [360, 1280]) {
      const { page, frame } = await open('/', width);
      await page.waitForFunction(`document.querySelector('iframe').style.height !== ''`);
      const needed = await contentHeight(frame);
      assert.equal(Math.round(await frameHeight(page)), needed, `at ${width}px`);

      // Every height the iframe takes from here on.
      await page.evaluate(`globalThis.__heights = [];
        new MutationObserver(() => globalThis.__heights.push(document.querySelector('iframe').style.height))
          .observe(document.querySelector('iframe'), { attributes: true, attributeFilter: ['style'] });`);
      // The host page itself (another origin than the counter's) posts the counter's shape: ignored.
      // A marker posted after it arrives after it, so once the marker is heard the forgery was handled.
      await page.evaluate(`new Promise((resolve) => {
        addEventListener('message', (e) => e.data === 'marker' && resolve());
        postMessage({ type: 'chorus:embed-height', height: 900 }, '*');
        postMessage('marker', '*');
      })`);
      // The counter's frame posting another shape or an absurd height: ignored; then a genuine
      // height one pixel taller, which the script applies once it has handled everything before it.
      await frame.evaluate(`parent.postMessage({ type: 'other', height: 900 }, '*');
        parent.postMessage({ type: 'chorus:embed-height', height: 1e9 }, '*');
        parent.postMessage({ type: 'chorus:embed-height', height: '900' }, '*');
        parent.postMessage('chorus:embed-height', '*');
        parent.postMessage({ type: 'chorus:embed-height', height: ${needed + 1} }, '*');`);
      await page.waitForFunction(`document.querySelector('iframe').style.height === '${needed + 1}px'`);
      assert.deepEqual(await page.evaluate('globalThis.__heights'), [`${needed + 1}px`], 'no other message moved the iframe');
      if (width === 360) await shoot(page, 'embed-host');
      await page.context().close();
    }
    assert.deepEqual(errors, []);
  });

  it('serves embed.js to any site, and the badge names the campaign', async () => {
    const script = await t.app.inject({ url: '/embed.js' });
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.equal(script.headers['cross-origin-resource-policy'], 'cross-origin');
    const badge = await t.app.inject({ url: `/embed/${slug}/badge.svg` });
    assert.match(badge.body, /<text[^>]*>Stop the extradition of Pastor Makset D…<\/text>/);
    assert.ok(!/>Chorus</.test(badge.body), 'not the tool');
  });
});
