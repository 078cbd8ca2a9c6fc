import { z } from 'zod';
import { CountrySchema, EmailSchema, line, nonEmptyLine, text } from './common.js';

/**
 * What a supporter submits. The note's length is checked against the campaign's own
 * `noteMaxLength` when the letter is rendered; 5,000 is the hard ceiling.
 */
export const SupporterInputSchema = z.strictObject({
  name: nonEmptyLine(120),
  email: EmailSchema,
  country: CountrySchema,
  city: line(120).optional(),
  note: text(5000).optional(),
  /** The letter as edited by the supporter: only where the campaign's `letter.editable` is on (checked when the letter is rendered). */
  body: text(10_000).optional(),
});
export type SupporterInput = z.infer<typeof SupporterInputSchema>;

/** Everything stored about one address (data subject access). */
export const SupporterExportSchema = z.object({
  supporters: z.array(
    z.object({
      campaign: z.object({ id: z.string(), slug: z.string(), title: z.string() }),
      name: z.string().nullable(),
      email: z.string().nullable(),
      city: z.string().nullable(),
      country: z.string(),
      consentUpdates: z.boolean(),
      consentAt: z.string().nullable(),
      unsubscribedAt: z.string().nullable(),
      confirmedAt: z.string().nullable(),
      createdAt: z.string(),
      letters: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
}).meta({ id: 'SupporterExport' });
