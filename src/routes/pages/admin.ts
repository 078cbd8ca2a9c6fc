import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { adminAuthoring, authoringBodyLimit } from './admin-authoring.js';
import { createAdminContext, field, fields, sessionCookie } from './admin-context.js';
import { adminSessionSeconds } from '../../domain/admin-sessions.js';
import { canMove } from '../../domain/campaigns.js';
import { createDeliveryPanel } from '../../domain/dashboard.js';
import { DomainError } from '../../errors.js';
import { signInLimit } from '../../plugins/rate-limits.js';
import { supportersChart, type ChartBucket } from '../../render/chart-svg.js';
import { formatDay, formatNumber } from '../../render/page-engine.js';
import { campaignStatuses, CreateCampaignUpdateSchema, type Campaign } from '../../schemas/campaign.js';
import { IdParams } from '../../schemas/common.js';
import { progressOf } from './action.js';

const RunParams = IdParams.extend({ runId: z.string().min(1).max(64) });

/**
 * The organizer dashboard. Signing in with an API key opens a server-side session whose
 * random token sits in an HttpOnly, SameSite=Strict cookie scoped to /admin: no script can
 * read it, no other site can send it, and every request checks its key again (a revoked key
 * ends the session at once). Every form also carries a CSRF token.
 */
export const adminPages: FastifyPluginAsyncZod = async (app) => {
  const { adminSessions, campaigns, stats, letters, targets, webhooks } = app.services;
  const panel = createDeliveryPanel({ store: app.store, clock: app.clock });
  const secure = app.config.PUBLIC_URL.startsWith('https:');
  const { locale, say, signedIn, organizer, holds, shell } = createAdminContext(app);
  await app.register(adminAuthoring);

  app.get('/admin', { schema: { hide: true } }, async (req, reply) => {
    req.organizer = await signedIn(req);
    if (!req.organizer) return reply.page('admin-sign-in', shell(req, reply, { pageTitle: say('admin.signIn') }));
    const pageTitle = say('admin.campaigns');
    // The same scopes as the API: the list is the campaigns scope's, their counts the letters scope's.
    if (!holds(req, 'campaigns')) {
      return reply.page('admin-campaigns', shell(req, reply, { pageTitle, lacking: say('admin.forbidden', { scope: 'campaigns' }) }), { status: 403 });
    }
    const withStats = holds(req, 'letters');
    const list = [];
    // One campaign's stats at a time: 500 campaigns' reads issued at once would queue every other request's behind them.
    for (const c of (await campaigns.list(500)).items) {
      const s = withStats ? await stats.forCampaign(c.id) : undefined;
      list.push(s ? { ...c, supporters: s.supporters.total, pending: s.supporters.pending, letters: s.letters, progress: progressOf({ supporters: s.supporters.total, goal: c.goal }) } : c);
    }
    return reply.page('admin-campaigns', shell(req, reply, { pageTitle, campaigns: list, withStats }));
  });

  app.post(
    '/admin/sign-in',
    { schema: { hide: true }, config: { rateLimit: signInLimit(app) }, preHandler: app.csrfProtection },
    async (req, reply) => {
      const key = field(req.body, 'key').trim();
      await app.authThrottle.refuseIfBlocked(req, reply);
      const token = key ? await adminSessions.open(key) : undefined;
      if (!token) {
        if (key) await app.authThrottle.failed(req);
        return reply.page('admin-sign-in', shell(req, reply, { pageTitle: say('admin.signIn'), error: say('admin.badKey') }), { status: 401 });
      }
      reply.setCookie(sessionCookie, token, { path: '/admin', httpOnly: true, sameSite: 'strict', secure, maxAge: adminSessionSeconds });
      return reply.redirect('/admin', 303);
    },
  );

  app.post('/admin/sign-out', { schema: { hide: true }, preHandler: app.csrfProtection }, async (req, reply) => {
    const token = req.cookies[sessionCookie];
    if (token) await adminSessions.close(token);
    reply.clearCookie(sessionCookie, { path: '/admin', httpOnly: true, sameSite: 'strict', secure });
    return reply.redirect('/admin', 303);
  });

  const hourFormat = new Intl.DateTimeFormat([locale, 'en'], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
  const minuteOf = (iso: string) => `${hourFormat.format(new Date(iso))} UTC`;

  function chartOf(hourly: { hour: string; supporters: number }[]) {
    const now = app.clock.now();
    const when = (b: ChartBucket, unit: 'hour' | 'day') => (unit === 'hour' ? minuteOf(b.start) : formatDay(b.start, locale));
    const chart = supportersChart(hourly, now, (b, unit) => `${when(b, unit)}: ${say('progress.noGoal', { supporters: b.supporters })}`);
    return {
      svg: chart.svg,
      caption: say(chart.unit === 'hour' ? 'admin.chartHourly' : 'admin.chartDaily'),
      max: formatNumber(chart.max, locale),
      from: when(chart.buckets[0]!, chart.unit),
      to: when(chart.buckets.at(-1)!, chart.unit),
      summary: say('admin.chartSummary', { count: chart.total, buckets: chart.buckets.length }),
    };
  }

  async function renderDashboard(req: FastifyRequest, id: string, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const campaign = await campaigns.get(id);
    const page = {
      pageTitle: campaign.title,
      campaign,
      moves: campaignStatuses.filter((to) => to !== campaign.status && canMove(campaign.status, to)),
      notice: noticeOf(req),
      updates: await campaigns.listUpdates(campaign.id),
      // Read-only: endpoints are created and deleted through the API (the secret is shown once there).
      webhooks: holds(req, 'webhooks') ? await webhookPanel(campaign.id) : null,
    };
    // Counts, delivery and held letters (with their supporters) are the letters scope's, as in the API.
    if (!holds(req, 'letters')) return reply.page('admin-campaign', shell(req, reply, { ...page, ...extra }), { status });
    const s = await stats.forCampaign(campaign.id);
    const held = await letters.list(campaign.id, { status: 'held', limit: 100 });
    const postal = campaign.delivery.mode === 'postal';
    // Targets whose letters bounce, with the address they bounce at: the organizer corrects it.
    const bouncing = s.byTarget.filter((t) => t.bounced > 0);
    const live = bouncing.length > 0 ? new Map((await targets.list(campaign.id)).map((t) => [t.id, t])) : new Map<string, { email: string | null; updatedAt: string }>();
    return reply.page(
      'admin-campaign',
      shell(req, reply, {
        ...page,
        withLetters: true,
        stats: s,
        progress: progressOf({ supporters: s.supporters.total, goal: campaign.goal }),
        chart: chartOf(s.hourly),
        targets: await Promise.all(s.byTarget.map(async (t) => ({ ...t, throttled: await panel.throttled(campaign, t.targetId, t.queued) }))),
        bouncing: bouncing.map((t) => {
          const target = live.get(t.targetId);
          // Changed after the latest bounce: the organizer has (probably) fixed it already.
          return { ...t, email: target?.email ?? null, changed: Boolean(target && t.lastBounceAt && target.updatedAt > t.lastBounceAt) };
        }),
        // Each held letter with whom it is for and why it is held (an error's words, else moderation).
        held: held.items.map((l) => ({ ...l, targetName: s.byTarget.find((t) => t.targetId === l.targetId)?.name ?? '', reason: l.lastError ?? say('admin.heldByModeration') })),
        moreHeld: held.nextCursor !== null,
        postal,
        throttles: Boolean(campaign.delivery.perTargetPerHour),
        printRuns: postal ? (await app.delivery.postal.recentRuns(campaign, 5)).map((r) => ({ ...r, when: minuteOf(r.createdAt) })) : [],
        ...extra,
      }),
      { status },
    );
  }

  const webhookPanel = async (campaignId: string) => ({
    endpoints: (await webhooks.forCampaign(campaignId, 10)).map((e) => ({
      ...e,
      events: e.events.join(', '),
      deliveries: e.deliveries.map((d) => ({ ...d, when: minuteOf(d.deliveredAt ?? d.createdAt) })),
    })),
  });

  const noticeOf = (req: FastifyRequest) => {
    const done = (req.query as { done?: string } | undefined)?.done;
    return done && ['status', 'update', 'released', 'printed', 'mailed', 'created', 'saved'].includes(done) ? say(`admin.done.${done}`) : null;
  };

  /**
   * Mass or lasting actions ask first: their buttons post without `confirm`, which answers a
   * page saying what the action touches (how many people or letters) with a form that posts the
   * same fields again with `confirm=yes`.
   */
  const confirmed = (req: FastifyRequest) => field(req.body, 'confirm') === 'yes';
  const askFirst = (
    req: FastifyRequest,
    reply: FastifyReply,
    campaign: Pick<Campaign, 'id'>,
    ask: { heading: string; text: string; confirm: string; hidden?: Record<string, string | string[]> },
  ) =>
    reply.page(
      'admin-confirm',
      shell(req, reply, {
        pageTitle: ask.heading,
        heading: ask.heading,
        text: ask.text,
        confirm: ask.confirm,
        action: req.url,
        hidden: Object.entries(ask.hidden ?? {}).flatMap(([name, v]) => [v].flat().map((value) => ({ name, value }))),
        cancel: `/admin/campaigns/${encodeURIComponent(campaign.id)}`,
      }),
    );

  const back = (reply: FastifyReply, campaign: Pick<Campaign, 'id'>, done: string) =>
    reply.redirect(`/admin/campaigns/${encodeURIComponent(campaign.id)}?done=${done}`, 303);

  app.get('/admin/campaigns/:id', { schema: { params: IdParams, hide: true }, preHandler: organizer('campaigns') }, async (req, reply) =>
    renderDashboard(req, req.params.id, reply),
  );

  app.post(
    '/admin/campaigns/:id/status',
    { schema: { params: IdParams, hide: true }, preHandler: [organizer('campaigns'), app.csrfProtection] },
    async (req, reply) => {
      const to = z.enum(campaignStatuses).safeParse(field(req.body, 'status'));
      if (!to.success) throw new DomainError(422, 'validation', say('admin.badStatus'));
      // Winning and closing end the signing: the organizer confirms, told how many have signed.
      if ((to.data === 'won' || to.data === 'closed') && !confirmed(req)) {
        const campaign = await campaigns.get(req.params.id);
        const supporters = holds(req, 'letters') ? (await stats.forCampaign(campaign.id)).supporters.total : undefined;
        return askFirst(req, reply, campaign, {
          heading: say(`admin.confirm.${to.data}.title`, { title: campaign.title }),
          text: supporters === undefined ? say(`admin.confirm.${to.data}.text`) : `${say(`admin.confirm.${to.data}.text`)} ${say('admin.confirm.signed', { count: supporters })}`,
          confirm: say(`admin.move.${to.data}`),
          hidden: { status: to.data },
        });
      }
      return back(reply, await campaigns.update(req.params.id, { status: to.data }), 'status');
    },
  );

  app.post(
    '/admin/campaigns/:id/updates',
    { schema: { params: IdParams, hide: true }, bodyLimit: authoringBodyLimit, preHandler: [organizer('campaigns'), app.csrfProtection] },
    async (req, reply) => {
      const values = { title: field(req.body, 'title'), body: field(req.body, 'body'), notify: field(req.body, 'notify') === 'true' };
      const parsed = CreateCampaignUpdateSchema.safeParse(values);
      if (!parsed.success) {
        const errors = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), say(`admin.errors.${String(i.path[0])}`)]));
        return renderDashboard(req, req.params.id, reply, { update: { values, errors } }, 422);
      }
      if (parsed.data.notify && !confirmed(req)) {
        const campaign = await campaigns.get(req.params.id);
        const count = await panel.updateRecipients(campaign.id);
        return askFirst(req, reply, campaign, {
          heading: say('admin.confirm.mail.title', { count }),
          text: say('admin.confirm.mail.text', { count, title: parsed.data.title }),
          confirm: say('admin.confirm.mail.button', { count }),
          hidden: { title: values.title, body: values.body, notify: 'true' },
        });
      }
      await campaigns.addUpdate(req.params.id, parsed.data);
      return back(reply, { id: req.params.id }, 'update');
    },
  );

  app.post(
    '/admin/letters/:id/release',
    { schema: { params: IdParams, hide: true }, preHandler: [organizer('letters'), app.csrfProtection] },
    async (req, reply) => back(reply, { id: (await letters.moderate(req.params.id, 'queued')).campaignId }, 'released'),
  );

  /** Releases the held letters listed on the dashboard (the ones ticked, or all shown), after a confirmation naming how many. */
  app.post(
    '/admin/campaigns/:id/held/release',
    { schema: { params: IdParams, hide: true }, preHandler: [organizer('letters'), app.csrfProtection] },
    async (req, reply) => {
      const campaign = await campaigns.get(req.params.id);
      const wanted = new Set(fields(req.body, 'letterIds'));
      // Only letters of this campaign that are held now: an id from elsewhere or already released is left alone.
      const held = (await letters.list(campaign.id, { status: 'held', limit: 100 })).items.filter((l) => wanted.has(l.id));
      if (held.length === 0) throw new DomainError(422, 'validation', say('admin.noneChosen'));
      if (!confirmed(req)) {
        return askFirst(req, reply, campaign, {
          heading: say('admin.confirm.release.title', { count: held.length }),
          text: say('admin.confirm.release.text', { count: held.length }),
          confirm: say('admin.confirm.release.button', { count: held.length }),
          hidden: { letterIds: held.map((l) => l.id) },
        });
      }
      for (const l of held) await letters.moderate(l.id, 'queued');
      return back(reply, campaign, 'released');
    },
  );

  app.get(
    '/admin/campaigns/:id/letters.csv',
    { schema: { params: IdParams, hide: true }, preHandler: organizer('letters') },
    async (req, reply) => {
      const campaign = await campaigns.get(req.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${campaign.slug}-letters.csv"`)
        // Every supporter's name, address and note: no browser or proxy cache may keep a copy.
        .header('cache-control', 'no-store')
        .send(letters.csv(campaign.id));
    },
  );

  // A print run is made by a POST (it records its letters), then downloaded and marked mailed from the list of runs.
  app.post(
    '/admin/campaigns/:id/print-runs',
    { schema: { params: IdParams, hide: true }, preHandler: [organizer('letters'), app.csrfProtection] },
    async (req, reply) => {
      if (!confirmed(req)) {
        const campaign = await postalCampaign(req.params.id);
        const count = (await stats.forCampaign(campaign.id)).letters.queued;
        return askFirst(req, reply, campaign, {
          heading: say('admin.confirm.print.title', { count }),
          text: say('admin.confirm.print.text', { count }),
          confirm: say('admin.printQueued', { count }),
        });
      }
      await app.delivery.postal.createRun(await postalCampaign(req.params.id), 'queued');
      return back(reply, { id: req.params.id }, 'printed');
    },
  );

  app.get(
    '/admin/campaigns/:id/print-runs/:runId/letters.pdf',
    { schema: { params: RunParams, hide: true }, preHandler: organizer('letters') },
    async (req, reply) => {
      const campaign = await campaigns.get(req.params.id);
      const run = await app.delivery.postal.getRun(campaign, req.params.runId);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${campaign.slug}-print-run-${run.createdAt.slice(0, 10)}.pdf"`)
        .header('cache-control', 'no-store')
        .send(app.delivery.postal.pdf(campaign, run));
    },
  );

  app.post(
    '/admin/campaigns/:id/print-runs/:runId/mailed',
    { schema: { params: RunParams, hide: true }, preHandler: [organizer('letters'), app.csrfProtection] },
    async (req, reply) => {
      const campaign = await campaigns.get(req.params.id);
      if (!confirmed(req)) {
        const run = (await app.delivery.postal.recentRuns(campaign, 50)).find((r) => r.id === req.params.runId) ?? (await app.delivery.postal.getRun(campaign, req.params.runId));
        const count = 'queued' in run ? run.queued : run.letters;
        return askFirst(req, reply, campaign, {
          heading: say('admin.confirm.mailed.title', { count }),
          text: say('admin.confirm.mailed.text', { count }),
          confirm: say('admin.markMailed'),
        });
      }
      await app.delivery.postal.markMailed(campaign, { printRunId: req.params.runId });
      return back(reply, { id: req.params.id }, 'mailed');
    },
  );

  async function postalCampaign(id: string): Promise<Campaign> {
    const campaign = await campaigns.get(id);
    if (campaign.delivery.mode !== 'postal') throw new DomainError(409, 'conflict', say('admin.notPostal'));
    return campaign;
  }
};
