import type {} from '@fastify/sse';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { createStreamSlots } from '../plugins/stream-limits.js';
import { problems, SlugParams } from '../schemas/common.js';
import { CountSchema, PublicCampaignSchema, SubmitLettersSchema, SubmitResultSchema, type Count } from '../schemas/letter.js';

const tags = ['actions'];
const TokenParams = z.strictObject({ token: z.string().min(16).max(128) });
const ConfirmResultSchema = z.object({
  status: z.literal('confirmed'),
  alreadyConfirmed: z.boolean(),
  campaign: z.object({ slug: z.string(), title: z.string() }),
});

/** Dashboards poll the count constantly: a weak ETag of the figures lets them revalidate for nothing. */
const etagOf = (c: Count) => `W/"${createHash('sha1').update(JSON.stringify(c)).digest('base64url').slice(0, 16)}"`;
/** The action service hands out the same count object until the figures change: hash it once. */
const etags = new WeakMap<Count, string>();
const etagFor = (c: Count) => etags.get(c) ?? etags.set(c, etagOf(c)).get(c)!;

export const actionRoutes: FastifyPluginAsyncZod = async (app) => {
  const { actions, confirmations, events } = app.services;
  const streamSlots = createStreamSlots();

  app.get(
    '/api/v1/actions/:slug',
    { schema: { tags, operationId: 'getAction', summary: 'Get the public view of a campaign', params: SlugParams, response: { 200: PublicCampaignSchema, ...problems(404) }, openapi: { headers: { 200: ['Cache-Control'] } } } },
    async (req, reply) => {
      reply.header('access-control-allow-origin', '*').header('cache-control', 'public, max-age=10, stale-while-revalidate=60');
      return actions.publicView(req.params.slug);
    },
  );

  app.post(
    '/api/v1/actions/:slug/letters',
    {
      onRequest: app.publicLimits.submissions,
      schema: {
        tags,
        operationId: 'submitLetters', summary: 'Sign a campaign: one letter per target',
        params: SlugParams,
        body: SubmitLettersSchema,
        response: { 202: SubmitResultSchema, ...problems(404, 409, 422, 429) },
      },
    },
    async (req, reply) => reply.code(202).send(await actions.submit(req.params.slug, req.body, { ip: req.ip })),
  );

  app.get(
    '/api/v1/actions/:slug/count',
    { schema: { tags, operationId: 'getCount', summary: 'Get the public count of supporters and letters', params: SlugParams, response: { 200: CountSchema, 304: z.null(), ...problems(404) }, openapi: { headers: { 200: ['ETag', 'Cache-Control'], 304: ['ETag', 'Cache-Control'] } } } },
    async (req, reply) => {
      const count = await actions.count(req.params.slug);
      const etag = etagFor(count);
      reply
        .header('access-control-allow-origin', '*')
        .header('cache-control', 'public, max-age=5, stale-while-revalidate=30')
        .header('etag', etag);
      if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) return reply.code(304).send(null);
      return count;
    },
  );

  app.get(
    '/api/v1/actions/:slug/events',
    {
      sse: { kind: 'only', heartbeat: false },
      schema: {
        tags,
        operationId: 'countEvents', summary: 'Follow the public count as server-sent events',
        description: 'Server-sent events: a `count` event (the body of GET …/count) at once and whenever it changes, and comment heartbeats.',
        params: SlugParams,
        produces: ['text/event-stream'],
        openapi: { problems: [429] },
      },
    },
    async (req, reply) => {
      const slug = req.params.slug;
      const first = await actions.count(slug); // 404 before the stream opens for unknown or draft campaigns
      const campaignId = (await app.services.campaigns.getBySlug(slug))!.id;
      // Gone while those were read: its close callbacks have run already, so it takes no slot.
      if (!reply.sse.isConnected) return;
      reply.header('access-control-allow-origin', '*');
      reply.sse.onClose(streamSlots.take(req, reply));
      reply.sse.keepAlive();
      await reply.sse.send({ event: 'count', data: first });
      const stop = events.onCount(
        campaignId,
        (count) => void reply.sse.send({ event: 'count', data: count }).catch(() => stop()),
        // Heartbeats come from the shared ticker too, not a timer per connection.
        () => {
          if (reply.sse.isConnected) reply.raw.write(': heartbeat\n\n');
        },
        first,
      );
      reply.sse.onClose(stop);
      // Closed while the first event went out: the close callbacks have run already, without this one.
      if (!reply.sse.isConnected) stop();
    },
  );

  const confirm = async (token: string) => {
    const result = await confirmations.confirm(token);
    return { status: 'confirmed' as const, ...result };
  };

  app.post(
    '/api/v1/confirmations/:token',
    { onRequest: app.publicLimits.confirmations, schema: { tags, operationId: 'confirmLetters', summary: 'Confirm a submission with its emailed token', params: TokenParams, response: { 200: ConfirmResultSchema, ...problems(404, 429) } } },
    async (req) => confirm(req.params.token),
  );
};
