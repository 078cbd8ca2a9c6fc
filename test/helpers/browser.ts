import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium, headless, with nothing that reaches the network on its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A port free right now, so PUBLIC_URL (the links in mail) can name the server before it listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export const artifacts = join(process.cwd(), 'test-artifacts', 'screenshots');
export const widths = [360, 1280] as const;

/**
 * Full-page screenshots at a phone's and a desktop's width into test-artifacts/screenshots, and
 * the widths at which the page scrolls sideways (it never should).
 */
export async function shoot(page: Page, name: string): Promise<number[]> {
  mkdirSync(artifacts, { recursive: true });
  const original = page.viewportSize();
  const overflowing: number[] = [];
  for (const width of widths) {
    await page.setViewportSize({ width, height: 800 });
    const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
    if (scrollWidth > width) overflowing.push(width);
    await page.screenshot({ path: join(artifacts, `${name}-${width}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
  return overflowing;
}

/** Collects script errors and console errors (a CSP violation is one) for a final assertion. */
export function watchErrors(page: Page, into: string[]): Page {
  page.on('pageerror', (err) => into.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const source = msg.location().url;
    // An error page (404, 422) loaded on purpose is logged as a failed load of the document itself.
    if (source === page.url() && msg.text().startsWith('Failed to load resource')) return;
    into.push(`${page.url()}: ${msg.text()} (${source})`);
  });
  return page;
}

type PageGlobals = { document: { querySelector(selector: string): { textContent: string | null } | null } };

/**
 * Waits until the first element matching `selector` has text matching `pattern`. The predicate is
 * passed as a function (a string would be eval'd, which the pages' CSP rightly forbids).
 */
export async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<void> {
  await page.waitForFunction(
    ([sel, source, flags]) => new RegExp(source, flags).test((globalThis as unknown as PageGlobals).document.querySelector(sel)?.textContent ?? ''),
    [selector, pattern.source, pattern.flags] as const,
  );
}

/** Names of visible form controls without a label (the honeypot, hidden from everyone, excepted). */
export function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(
    `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((e) => !e.closest('.hp') && e.labels.length === 0 && !e.getAttribute('aria-label'))
      .map((e) => e.name || e.id)`,
  );
}

/** axe-core's own build, read once: evaluated in the page through the DevTools protocol, which the pages' CSP does not govern. */
let axeSource: string | undefined;
async function axeScript(): Promise<string> {
  if (!axeSource) {
    const { readFile } = await import('node:fs/promises');
    const { createRequire } = await import('node:module');
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  }
  return axeSource;
}

/**
 * axe-core's violations on the page as it stands (WCAG 2.x A and AA and best practices), one
 * line each: rule, impact, and the first few offending elements. An empty list is a pass.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(await axeScript());
  const violations = await page.evaluate<{ id: string; impact: string; help: string; nodes: { target: string[] }[] }[]>(
    `axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.map(String) })) })))`,
  );
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}${v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ''}`);
}
