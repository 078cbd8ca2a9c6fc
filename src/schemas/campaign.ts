import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { campaignUpdates, campaigns } from '../db/schema.js';
import { CountrySchema, EmailSchema, IsoDateTime, LocaleSchema, line, nonEmptyLine, text } from './common.js';

export const PostalAddressSchema = z.strictObject({
  lines: z.array(nonEmptyLine(200)).min(1).max(6),
  city: nonEmptyLine(100),
  postcode: line(20).optional(),
  country: CountrySchema,
});

export const DeliverySchema = z.strictObject({
  mode: z.enum(['email', 'digest', 'postal']),
  perTargetPerHour: z.number().int().min(1).max(10_000).optional(),
  digestEveryMinutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
});

export const RulesSchema = z.strictObject({
  forbiddenPhrases: z.array(nonEmptyLine(200)).max(100).default([]),
  noteMaxLength: z.number().int().min(0).max(5000).default(1000),
  /** Writing guidance shown to supporters beside the note (e.g. "don't mention any organization"). */
  guidance: text(2000).optional(),
});

/** Whether supporters may edit the letter itself, and whether templates' subject variants are used in turn. */
export const LetterSettingsSchema = z.strictObject({
  editable: z.boolean(),
  subjectVariants: z.boolean(),
});

export const defaultLetterSettings: z.infer<typeof LetterSettingsSchema> = { editable: false, subjectVariants: false };

/** Who runs the campaign: its name, and how a supporter reaches it and learns what it does with their data. */
export const SenderSchema = z.strictObject({
  name: nonEmptyLine(200),
  postalAddress: PostalAddressSchema.optional(),
  email: EmailSchema.optional(),
  url: z.url({ protocol: /^https?$/, hostname: z.regexes.domain }).max(500).optional(),
  /** Plain text (blank lines separate paragraphs), shown at /c/{slug}/privacy; without it the page gives Chorus's own notice. */
  privacyNotice: text(20_000).optional(),
});

/**
 * How a postal campaign prints its letters. `returnAddress`: the organization's (its `sender`
 * postal address, on one line in the envelope window) or none. `footer`: a line naming the
 * organization and the letter's reference; off unless asked for, and the organization's name is
 * left out wherever the campaign's rules forbid it.
 */
export const PostalOptionsSchema = z.strictObject({
  returnAddress: z.enum(['organization', 'none']).default('organization'),
  footer: z.boolean().default(false),
});

export const campaignStatuses = ['draft', 'active', 'paused', 'won', 'closed'] as const;
export const SlugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'use 2 to 63 lower-case letters, digits and hyphens, starting with a letter or digit');

/** The campaign as the organizer API returns it: a whitelist over the table. */
export const CampaignSchema = createSelectSchema(campaigns, {
  delivery: DeliverySchema,
  rules: RulesSchema,
  sender: SenderSchema.nullable(),
  letter: LetterSettingsSchema,
  postal: PostalOptionsSchema.nullable(),
}).meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof CampaignSchema>;

const campaignFields = {
  title: nonEmptyLine(200),
  summary: text(1000).pipe(z.string().trim().min(1)),
  story: text(50_000).nullable().optional(),
  goal: z.number().int().min(1).max(100_000_000).nullable().optional(),
  closesAt: IsoDateTime.nullable().optional(),
  locale: LocaleSchema.optional(),
  confirmation: z.enum(['email', 'none']).optional(),
  delivery: DeliverySchema.optional(),
  rules: RulesSchema.optional(),
  sender: SenderSchema.nullable().optional(),
  /** Absent fields keep their value (false on a new campaign). */
  letter: LetterSettingsSchema.partial().optional(),
  postal: PostalOptionsSchema.nullable().optional(),
};

export const CreateCampaignSchema = z.strictObject({
  slug: SlugSchema,
  /** A campaign starts as a draft or goes live at once; paused, won and closed are reached by moving it. */
  status: z.enum(['draft', 'active']).optional(),
  ...campaignFields,
});
export type CreateCampaign = z.infer<typeof CreateCampaignSchema>;

export const UpdateCampaignSchema = CreateCampaignSchema.omit({ slug: true })
  .extend({ status: z.enum(campaignStatuses) })
  .partial()
  .refine((o) => Object.keys(o).length > 0, 'nothing to update');
export type UpdateCampaign = z.infer<typeof UpdateCampaignSchema>;

export const CampaignUpdateSchema = createSelectSchema(campaignUpdates).meta({ id: 'CampaignUpdate' });
export type CampaignUpdate = z.infer<typeof CampaignUpdateSchema>;

export const CreateCampaignUpdateSchema = z.strictObject({
  title: nonEmptyLine(200),
  body: text(20_000).pipe(z.string().trim().min(1)),
  status: z.enum(campaignStatuses).optional(),
  notify: z.boolean().default(false),
});
export type CreateCampaignUpdate = z.infer<typeof CreateCampaignUpdateSchema>;
