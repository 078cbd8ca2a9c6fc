import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createLetterPreviews } from '../domain/letter-preview.js';
import { publicPreviewLimit } from '../plugins/rate-limits.js';
import { translate } from '../render/page-engine.js';
import { problems, SlugParams } from '../schemas/common.js';
import { SupporterInputSchema } from '../schemas/supporter.js';
import { LetterPreviewSchema } from '../schemas/template.js';

/** The organizer preview's body, with every supporter field optional: the form is still being filled in. No email: a preview never needs one. */
const PublicPreviewSchema = z.strictObject({
  templateId: z.string().min(1).max(64).optional(),
  targetId: z.string().min(1).max(64).optional(),
  supporter: SupporterInputSchema.pick({ name: true, country: true, city: true, note: true, body: true }).partial().default({}),
});

/**
 * The action page's live preview: exactly the letter a submission would send, rendered on the
 * server (the same template engine and content rules), stored nowhere. Placeholders in the
 * campaign's language stand in for a name or country not typed yet.
 */
export const actionPreviewRoutes: FastifyPluginAsyncZod = async (app) => {
  const { campaigns, templates } = app.services;
  const previews = createLetterPreviews({ campaigns, templates, clock: app.clock });

  app.post(
    '/api/v1/actions/:slug/preview',
    {
      // The letter is rendered with the name and note typed: never kept for an Idempotency-Key replay.
      config: { rateLimit: publicPreviewLimit(app), echoesPersonalData: true },
      schema: {
        tags: ['actions'],
        operationId: 'previewActionLetter', summary: 'Preview the letter a supporter would send',
        params: SlugParams,
        body: PublicPreviewSchema,
        response: { 200: LetterPreviewSchema.extend({ to: z.string() }), ...problems(404, 422, 429) },
      },
    },
    async (req) => {
      const locale = (await campaigns.getBySlug(req.params.slug))?.locale ?? 'en';
      const say = (key: string) => translate(app.pageStrings(locale), locale, key);
      const { target, ...letter } = await previews.forAction(req.params.slug, req.body, { name: say('preview.name'), countryName: say('preview.country') });
      return { ...letter, to: target.name };
    },
  );
};
