import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { readFileSync } from 'node:fs';
import { pagesDir, translate } from '../../render/page-engine.js';
import { escapeXml } from '../../render/xml.js';
import { SlugParams } from '../../schemas/common.js';
import { progressOf } from './action.js';
import { pageCsp } from './csp.js';
import { runBy } from './organizer.js';

/** A rough width for the badge text: no font metrics on the server, so wide enough for any digits and words. */
const textWidth = (s: string) => Math.ceil([...s].length * 6.6) + 16;
/** The badge names the campaign; a long title is cut to this many characters. */
const badgeTitleMax = 40;
const shorten = (s: string, max: number) => ([...s].length <= max ? s : `${[...s].slice(0, max - 1).join('').trimEnd()}…`);

/** The counter and badge other sites embed: cacheable, and the only routes any site may frame. */
export const embedPages: FastifyPluginAsyncZod = async (app) => {
  const { actions } = app.services;
  const https = app.config.PUBLIC_URL.startsWith('https:');
  const embeddable = {
    contentSecurityPolicy: pageCsp(https, ['*']),
    frameguard: false as const,
    // Other origins load the badge as an image: the default same-origin policy would block it.
    crossOriginResourcePolicy: { policy: 'cross-origin' as const },
  };
  const cache = 'public, max-age=60, stale-while-revalidate=300';
  const hostScript = readFileSync(`${pagesDir}static/embed-host.js`);

  /** The script a page that embeds counters includes once, so each iframe takes the height of its counter. */
  app.get('/embed.js', { schema: { hide: true }, helmet: embeddable }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(hostScript),
  );

  app.get('/embed/:slug/counter', { schema: { params: SlugParams, hide: true }, helmet: embeddable }, async (req, reply) => {
    const view = await actions.publicView(req.params.slug);
    reply.pageLocale = view.locale;
    reply.header('cache-control', cache);
    return reply.page(
      'embed-counter',
      { embed: true, pageTitle: view.title, campaign: view, runBy: runBy(view), counts: view.counts, progress: progressOf(view.counts), open: view.status === 'active' },
      { locale: view.locale },
    );
  });

  app.get('/embed/:slug/badge.svg', { schema: { params: SlugParams, hide: true }, helmet: embeddable }, async (req, reply) => {
    const view = await actions.publicView(req.params.slug);
    const { supporters, offline } = view.counts;
    const label = offline.supporters > 0
      ? translate(app.pageStrings(view.locale), view.locale, 'badge.offline', { supporters, offline: offline.supporters })
      : translate(app.pageStrings(view.locale), view.locale, 'badge.label', { supporters });
    // The campaign's name, not the tool's: the badge sits on someone else's page, about this campaign.
    const name = shorten(view.title, badgeTitleMax);
    const left = textWidth(name);
    const right = textWidth(label);
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${left + right}" height="20" role="img" aria-label="${escapeXml(`${view.title}: ${label}`)}">` +
      `<title>${escapeXml(`${view.title}: ${label}`)}</title>` +
      `<rect width="${left}" height="20" fill="#143a6b"/><rect x="${left}" width="${right}" height="20" fill="#1e6b3a"/>` +
      `<g fill="#fff" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11" text-anchor="middle">` +
      `<text x="${left / 2}" y="14">${escapeXml(name)}</text><text x="${left + right / 2}" y="14">${escapeXml(label)}</text></g></svg>`;
    return reply.type('image/svg+xml; charset=utf-8').header('cache-control', cache).send(svg);
  });
};
