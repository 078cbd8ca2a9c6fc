import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import view from '@fastify/view';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DomainError, LinkExpiredError } from '../errors.js';
import { createPageEngine, loadPageStrings, pagesDir, translate, type PageStrings } from '../render/page-engine.js';
import { adminPages } from '../routes/pages/admin.js';
import { CrossOriginError } from '../routes/pages/cross-origin.js';
import { pageCsp } from '../routes/pages/csp.js';
import { actionPages } from '../routes/pages/action.js';
import { embedPages } from '../routes/pages/embed.js';
import { homePage } from '../routes/pages/home.js';
import { sharePages } from '../routes/pages/share.js';
import { runBy } from '../routes/pages/organizer.js';
import { tokenPages } from '../routes/pages/tokens.js';

const root = pagesDir;
const rtl = new Set(['ar', 'fa', 'he', 'ur', 'ps', 'dv', 'yi']);

/** The stylesheet, script and icon, served from memory under content-hashed names so they can be cached for a year. */
function loadAssets() {
  const files = { css: ['pages.css', 'text/css; charset=utf-8'], js: ['pages.js', 'text/javascript; charset=utf-8'], icon: ['icon.svg', 'image/svg+xml'] } as const;
  return Object.fromEntries(
    Object.entries(files).map(([key, [file, type]]) => {
      const body = readFileSync(`${root}static/${file}`);
      const hash = createHash('sha256').update(body).digest('base64url').slice(0, 10);
      const [name, ext] = file.split('.');
      return [key, { url: `/assets/${name}.${hash}.${ext}`, type, body }];
    }),
  ) as Record<keyof typeof files, { url: string; type: string; body: Buffer }>;
}

interface PageOptions {
  locale?: string;
  status?: number;
}

declare module 'fastify' {
  interface FastifyReply {
    /** Renders templates/pages/<name>.hbs in the layout, in the given locale, with the shared page context. */
    page(name: string, model: Record<string, unknown>, opts?: PageOptions): FastifyReply;
    /** The campaign's locale once a handler knows it, so an error page speaks the same language. */
    pageLocale?: string;
  }
  interface FastifyInstance {
    pageStrings(locale: string): PageStrings;
  }
}

/** The pages' words in every locale, read once at the root: the JSON preview route words its placeholders with them too. */
export const pageStringsPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('pageStrings', loadPageStrings(`${root}locales`));
  },
  { name: 'page-strings' },
);

/**
 * The server-rendered pages, in their own encapsulated context: form bodies, cookies, CSRF,
 * helmet's headers and HTML error pages apply here and nowhere else (the JSON API and /docs
 * keep their own behaviour).
 */
export async function pagesPlugin(app: FastifyInstance) {
  const https = app.config.PUBLIC_URL.startsWith('https:');
  const assets = loadAssets();
  app.decorateReply('pageLocale', undefined);

  await app.register(formbody, { bodyLimit: 32 * 1024 });
  await app.register(cookie);
  await app.register(csrf, {
    // Only the dashboard uses tokens: supporters' pages set no cookie at all.
    cookieOpts: { path: '/admin', httpOnly: true, sameSite: 'strict', secure: https },
    getToken: (req) => (req.body as { _csrf?: string } | undefined)?._csrf,
  });
  await app.register(helmet, {
    contentSecurityPolicy: pageCsp(https),
    hsts: https ? undefined : false,
    // Share links leave the site: they carry no path or token of this one.
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(view, {
    engine: { handlebars: createPageEngine() },
    root,
    layout: 'layout.hbs',
    production: true,
    options: {
      // A partial on its own indented line would otherwise indent every line of a letter shown in it.
      compileOptions: { preventIndent: true },
      partials: {
        'admin-form': 'partials/admin-form.hbs',
        'field-error': 'partials/field-error.hbs',
        letter: 'partials/letter.hbs',
        progress: 'partials/progress.hbs',
      },
    },
  });

  app.decorateReply('page', function page(this: FastifyReply, name: string, model: Record<string, unknown>, opts: PageOptions = {}) {
    const locale = opts.locale ?? 'en';
    if (opts.status) this.code(opts.status);
    if (!this.hasHeader('cache-control')) this.header('cache-control', 'no-store');
    const context = {
      locale,
      dir: rtl.has(locale.split('-')[0]!) ? 'rtl' : 'ltr',
      strings: app.pageStrings(locale),
      assets: { css: assets.css.url, js: assets.js.url, icon: assets.icon.url },
      ...model,
    };
    return this.type('text/html; charset=utf-8').view(`${name}.hbs`, context);
  });

  for (const asset of Object.values(assets)) {
    app.get(asset.url, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body),
    );
  }

  /** Errors on pages are pages: the supporter sees words in the campaign's language, never a JSON document. */
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    // A malformed slug or token in the path is a page that does not exist, as the API says too.
    const csrf = err.code?.startsWith('FST_CSRF') ?? false;
    const status = err instanceof DomainError ? err.status : csrf ? 403 : err.validationContext === 'params' ? 404 : (err.statusCode ?? 500);
    const locale = reply.pageLocale ?? 'en';
    const strings = app.pageStrings(locale);
    const say = (key: string, values?: Record<string, unknown>) => translate(strings, locale, key, values);
    if (status >= 500) request.log.error({ err }, 'page failed');
    // These have words of their own; any other refusal (a conflict, a missing scope) says what the domain said.
    const expired = err instanceof DomainError && err.code === 'link-expired';
    const known =
      status >= 500
        ? '500'
        : csrf
          ? '403'
          : err instanceof CrossOriginError
            ? 'crossOrigin'
            : expired
              ? 'expired'
              : status === 404 || status === 429
                ? String(status)
                : null;
    const heading = say(`error.${known ?? 409}.title`);
    const message = known === '500' ? say('error.500.text', { id: request.id }) : known ? say(`error.${known}.text`) : err.message;
    // An expired link knows its campaign: lead back to it, where one can sign again.
    const slug = err instanceof LinkExpiredError ? err.campaignSlug : undefined;
    const back = slug ? `/c/${encodeURIComponent(slug)}` : undefined;
    // ...and says who runs it, as every page of a campaign does.
    const campaign = slug && status < 500 ? await app.services.campaigns.getBySlug(slug) : undefined;
    const organizer = campaign ? runBy(campaign) : undefined;
    return reply.page('error', { pageTitle: heading, heading, message, back, runBy: organizer, noindex: true }, { locale, status: status >= 500 ? 500 : status });
  });

  await app.register(actionPages);
  await app.register(tokenPages);
  await app.register(adminPages);
  await app.register(embedPages);
  await app.register(sharePages);
  await app.register(homePage);
}

