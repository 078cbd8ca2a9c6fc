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
});
export type SupporterInput = z.infer<typeof SupporterInputSchema>;
