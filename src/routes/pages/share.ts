import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Counter } from 'prom-client';
import { createHash } from 'node:crypto';
import { translate } from '../../render/page-engine.js';
import { cardSize, renderShareCard, type ShareCard } from '../../render/share-card.js';
import type { PublicCampaign } from '../../schemas/letter.js';
import { SlugParams } from '../../schemas/common.js';

/** Cards kept in memory: one per campaign and count in use; more than this many campaigns shared at once is rare. */
const maxCards = 200;
const rtl = new Set(['ar', 'fa', 'he', 'ur', 'ps', 'dv', 'yi']);

/** Where a campaign's share card lives; the share-card tags on its pages name this address. */
export const shareCardPath = (slug: string) => `/c/${encodeURIComponent(slug)}/card.png`;

/**
 * The share card social sites show for a campaign's link (og:image, twitter:image): a PNG of its
 * title and count. A card is rendered once per title and count and kept, so crawlers and
 * dashboards that poll it cost a lookup; concurrent requests for a new card share one render.
 */
export const sharePages: FastifyPluginAsyncZod = async (app) => {
  const { actions } = app.services;
  const host = new URL(app.config.PUBLIC_URL).host;
  const cards = new Map<string, Promise<{ png: Buffer; etag: string }>>();
  const renders = app.hasDecorator('metrics')
    ? new Counter({ name: 'chorus_share_card_renders_total', help: 'Share-card PNGs rendered (a card is rendered once per campaign title and count).', registers: [app.metrics] })
    : null;

  function cardOf(view: PublicCampaign): ShareCard {
    const locale = view.locale;
    const say = (key: string, values?: Record<string, unknown>) => translate(app.pageStrings(locale), locale, key, values);
    const { supporters, goal } = view.counts;
    const by = view.organizer?.name ? say('home.runBy', { name: view.organizer.name }) : null;
    return {
      title: view.title,
      count: goal ? say('progress.goal', { supporters, goal }) : say('progress.noGoal', { supporters }),
      progress: goal ? Math.min(1, supporters / goal) : null,
      byline: by ? `${by} · ${host}` : host,
      locale,
      dir: rtl.has(locale.split('-')[0]!) ? 'rtl' : 'ltr',
    };
  }

  function cached(card: ShareCard) {
    const key = JSON.stringify(card);
    let entry = cards.get(key);
    if (entry) {
      // Most recently used last, so the oldest is dropped first.
      cards.delete(key);
      cards.set(key, entry);
      return entry;
    }
    entry = renderShareCard(card).then((png) => {
      renders?.inc();
      return { png, etag: `"${createHash('sha256').update(key).digest('base64url').slice(0, 22)}"` };
    });
    entry.catch(() => cards.delete(key));
    cards.set(key, entry);
    if (cards.size > maxCards) cards.delete(cards.keys().next().value!);
    return entry;
  }

  app.get('/c/:slug/card.png', { schema: { params: SlugParams, hide: true } }, async (req, reply) => {
    const view = await actions.publicView(req.params.slug);
    reply.pageLocale = view.locale;
    const { png, etag } = await cached(cardOf(view));
    reply.header('etag', etag).header('cache-control', 'public, max-age=300');
    if ((req.headers['if-none-match'] ?? '').split(',').some((tag) => tag.trim() === etag)) return reply.code(304).send();
    return reply.type('image/png').header('content-length', png.length).send(png);
  });
};

/** The tags a shared link's preview is built from: the campaign, its summary and its card, never the tool. */
export function shareMeta(publicUrl: string, view: Pick<PublicCampaign, 'slug' | 'title' | 'summary' | 'counts'>, imageAlt: string) {
  return {
    title: view.title,
    description: view.summary,
    url: `${publicUrl}/c/${encodeURIComponent(view.slug)}`,
    image: `${publicUrl}${shareCardPath(view.slug)}`,
    imageAlt,
    width: cardSize.width,
    height: cardSize.height,
  };
}
