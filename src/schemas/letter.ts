import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { letterStatuses, letters } from '../db/schema.js';
import { CursorSchema, EmailSchema } from './common.js';
import { SupporterInputSchema } from './supporter.js';
import { CampaignSchema, CampaignUpdateSchema } from './campaign.js';
import { PublicResponseSchema } from './response.js';
import { PublicTargetSchema } from './target.js';
import { PublicTemplateSchema } from './template.js';

const Id = z.string().min(1).max(64);

/** What a supporter posts (API and action-page form alike). `website` is a honeypot: people leave it empty. */
export const SubmitLettersSchema = SupporterInputSchema.extend({
  targetIds: z.array(Id).min(1).max(50).optional(),
  templateId: Id.optional(),
  consentUpdates: z.boolean().default(false),
  website: z.string().max(500).optional(),
});
export type SubmitLetters = z.infer<typeof SubmitLettersSchema>;

export const SubmitResultSchema = z.object({ status: z.enum(['pending_confirmation', 'queued']) }).meta({ id: 'SubmitResult' });
export type SubmitResult = z.infer<typeof SubmitResultSchema>;

const Tally = z.object({ supporters: z.number().int(), letters: z.number().int() });

/** `supporters` and `letters` are online plus offline; `delivered` counts online letters only. */
export const CountSchema = z
  .object({
    supporters: z.number().int(),
    letters: z.number().int(),
    delivered: z.number().int(),
    goal: z.number().int().nullable(),
    updatedAt: z.string().nullable(),
    online: Tally,
    offline: Tally,
  })
  .meta({ id: 'Count' });
export type Count = z.infer<typeof CountSchema>;

export const PublicCampaignSchema = CampaignSchema.pick({
  id: true,
  slug: true,
  title: true,
  summary: true,
  story: true,
  status: true,
  goal: true,
  locale: true,
  closesAt: true,
  confirmation: true,
  letter: true,
})
  .extend({
    rules: z.object({ noteMaxLength: z.number().int(), guidance: z.string().optional() }),
    targets: z.array(PublicTargetSchema),
    templates: z.array(PublicTemplateSchema),
    updates: z.array(CampaignUpdateSchema.pick({ id: true, title: true, body: true, createdAt: true })),
    counts: CountSchema,
    /** Public responses of the targets, latest first. */
    responses: z.array(PublicResponseSchema),
    /** Supporters per country, only for countries with at least 10: small groups could identify people. */
    countries: z.record(z.string(), z.number().int()),
    /** Who runs the campaign, as the organizer chose to be named and reached (never its postal address). */
    organizer: z.object({ name: z.string(), email: z.string().optional(), url: z.string().optional(), privacyNotice: z.string().optional() }).nullable(),
  })
  .meta({ id: 'PublicCampaign' });
export type PublicCampaign = z.infer<typeof PublicCampaignSchema>;

/** A letter as the organizer sees it (API.md "Shapes the clients read"). */
export const LetterSchema = createSelectSchema(letters)
  .pick({
    id: true,
    campaignId: true,
    targetId: true,
    templateId: true,
    templateVersion: true,
    locale: true,
    status: true,
    originality: true,
    attempts: true,
    lastError: true,
    createdAt: true,
    sentAt: true,
  })
  .extend({
    supporter: z.object({ name: z.string().nullable(), email: z.string().nullable(), city: z.string().nullable(), country: z.string() }),
  })
  .meta({ id: 'Letter' });
export type Letter = z.infer<typeof LetterSchema>;

export const LetterListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: CursorSchema.optional(),
  status: z.enum(letterStatuses).optional(),
  targetId: Id.optional(),
});
export type LetterListQuery = z.infer<typeof LetterListQuerySchema>;

export const ModerateLetterSchema = z.strictObject({ status: z.enum(['held', 'queued']) });

/** Nothing to say: the letters go to the address the target has now. */
export const ResendBouncedSchema = z.strictObject({}).nullish();

export const ResentBouncedSchema = z
  .object({
    requeued: z.number().int().min(0).describe('Bounced letters queued again, to the target’s address now'),
    left: z.number().int().min(0).describe('Bounced letters that cannot go again (their text was scrubbed, or they went in a digest)'),
  })
  .meta({ id: 'ResentBounced' });

const StatusCounts = {
  pendingConfirmation: z.number().int(),
  queued: z.number().int(),
  sending: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  held: z.number().int(),
  /** Sent, then reported back undeliverable by a delivery status notification (not in `sent`). */
  bounced: z.number().int(),
};

export const StatsSchema = z
  .object({
    supporters: z.object({ total: z.number().int(), pending: z.number().int() }),
    letters: z.object({ total: z.number().int(), ...StatusCounts }),
    byTarget: z.array(
      z.object({
        targetId: z.string(),
        name: z.string(),
        title: z.string(),
        ...StatusCounts,
        lastError: z.string().nullable(),
        /** The latest bounce's status and diagnostic, while the target has bounced letters: its address needs fixing. */
        lastBounce: z.string().nullable(),
        /** When the latest of them was reported. */
        lastBounceAt: z.string().nullable(),
        responses: z.number().int(),
      }),
    ),
    byCountry: z.record(z.string(), z.number().int()),
    /** Letters by how much of them is the supporter's own: personalized at originality >= 0.2, the others form letters. */
    personalization: z.object({ personalized: z.number().int(), formLetters: z.number().int() }),
    hourly: z.array(z.object({ hour: z.string(), supporters: z.number().int() })),
  })
  .meta({ id: 'Stats' });
export type Stats = z.infer<typeof StatsSchema>;

export const EmailQuerySchema = z.strictObject({ email: EmailSchema });
