import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { targets } from '../db/schema.js';
import { CountrySchema, EmailSchema, LocaleSchema, line, nonEmptyLine } from './common.js';
import { PostalAddressSchema } from './campaign.js';

export const TargetSchema = createSelectSchema(targets, { postalAddress: PostalAddressSchema.nullable(), countries: z.array(z.string()).nullable() })
  .omit({ deletedAt: true })
  .meta({ id: 'Target' });
export type Target = z.infer<typeof TargetSchema>;

/** What the public sees of a target: never an address. */
export const PublicTargetSchema = TargetSchema.pick({ id: true, name: true, title: true, organization: true, countries: true }).extend({
  /** The latest public response of this target, or null. */
  respondedAt: z.string().nullable(),
});

export const CreateTargetSchema = z.strictObject({
  name: nonEmptyLine(200),
  title: nonEmptyLine(200),
  organization: nonEmptyLine(200),
  email: EmailSchema.nullable().optional(),
  postalAddress: PostalAddressSchema.nullable().optional(),
  salutation: line(200).nullable().optional(),
  locale: LocaleSchema.nullable().optional(),
  /** "Write to the Kazakh ambassador in your country": only supporters in these countries write to this target. */
  countries: z.array(CountrySchema).min(1).max(250).nullable().optional(),
});
export type CreateTarget = z.infer<typeof CreateTargetSchema>;

export const UpdateTargetSchema = CreateTargetSchema.partial().refine(
  (o) => Object.keys(o).length > 0,
  'nothing to update',
);
export type UpdateTarget = z.infer<typeof UpdateTargetSchema>;

export const TargetParams = z.strictObject({ id: z.string().min(1).max(64), targetId: z.string().min(1).max(64) });
