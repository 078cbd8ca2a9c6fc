import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CampaignSchema,
  CampaignUpdateSchema,
  CreateCampaignSchema,
  CreateCampaignUpdateSchema,
  UpdateCampaignSchema,
} from '../schemas/campaign.js';
import { IdParams, ListQuerySchema, pageOf, problems } from '../schemas/common.js';
import { LetterPreviewSchema, PreviewRequestSchema } from '../schemas/template.js';

const tags = ['campaigns'];
const config = { scope: 'campaigns' as const };

export const campaignRoutes: FastifyPluginAsyncZod = async (app) => {
  const { campaigns, templates } = app.services;

  app.post(
    '/api/v1/campaigns',
    {
      config,
      schema: { tags, operationId: 'createCampaign', summary: 'Create a campaign', body: CreateCampaignSchema, response: { 201: CampaignSchema, ...problems(401, 403, 409, 422) } },
    },
    async (req, reply) => reply.code(201).send(await campaigns.create(req.body)),
  );

  app.get(
    '/api/v1/campaigns',
    {
      config,
      schema: { tags, operationId: 'listCampaigns', summary: 'List campaigns', querystring: ListQuerySchema, response: { 200: pageOf(CampaignSchema) } },
    },
    async (req) => campaigns.list(req.query.limit, req.query.cursor),
  );

  app.get(
    '/api/v1/campaigns/:id',
    { config, schema: { tags, operationId: 'getCampaign', summary: 'Get a campaign', params: IdParams, response: { 200: CampaignSchema, ...problems(404) } } },
    async (req) => campaigns.get(req.params.id),
  );

  app.patch(
    '/api/v1/campaigns/:id',
    {
      config,
      schema: { tags, operationId: 'updateCampaign', summary: 'Update a campaign or move its status', params: IdParams, body: UpdateCampaignSchema, response: { 200: CampaignSchema, ...problems(404, 409, 422) } },
    },
    async (req) => campaigns.update(req.params.id, req.body),
  );

  app.get(
    '/api/v1/campaigns/:id/updates',
    { config, schema: { tags, operationId: 'listCampaignUpdates', summary: 'List a campaign\'s updates', params: IdParams, response: { 200: z.object({ items: z.array(CampaignUpdateSchema) }) } } },
    async (req) => {
      await campaigns.get(req.params.id);
      return { items: await campaigns.listUpdates(req.params.id) };
    },
  );

  app.post(
    '/api/v1/campaigns/:id/updates',
    {
      config,
      schema: { tags, operationId: 'postCampaignUpdate', summary: 'Post a campaign update (optionally mailed to supporters)', params: IdParams, body: CreateCampaignUpdateSchema, response: { 201: CampaignUpdateSchema, ...problems(404, 409, 422) } },
    },
    async (req, reply) => reply.code(201).send(await campaigns.addUpdate(req.params.id, req.body)),
  );

  app.post(
    '/api/v1/campaigns/:id/preview',
    {
      // Rendered with whatever supporter the organizer typed (perhaps a real one): never kept for a replay.
      config: { ...config, echoesPersonalData: true },
      schema: { tags, operationId: 'previewLetter', summary: 'Preview a template rendered for a supporter and target', params: IdParams, body: PreviewRequestSchema, response: { 200: LetterPreviewSchema, ...problems(404, 422) } },
    },
    async (req) => templates.preview(req.params.id, req.body),
  );
};
