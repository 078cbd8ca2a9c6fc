import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { templates } from '../db/schema.js';
import { LocaleSchema, nonEmptyLine, text } from './common.js';
import { SupporterInputSchema } from './supporter.js';

export const TemplateSchema = createSelectSchema(templates).meta({ id: 'Template' });
export type Template = z.infer<typeof TemplateSchema>;

export const PublicTemplateSchema = TemplateSchema.pick({ id: true, name: true, locale: true, subject: true, body: true });

export const CreateTemplateSchema = z.strictObject({
  name: nonEmptyLine(200),
  locale: LocaleSchema.default('en'),
  // A subject is one line; a Handlebars body may span many. Both must be strings: zod
  // rejects objects before anything reaches Handlebars' compile.
  subject: nonEmptyLine(300),
  body: text(20_000).pipe(z.string().min(1, 'must not be empty')),
});
export type CreateTemplate = z.infer<typeof CreateTemplateSchema>;

export const PreviewRequestSchema = z.strictObject({
  templateId: z.string().min(1).max(64).optional(),
  targetId: z.string().min(1).max(64).optional(),
  supporter: SupporterInputSchema.pick({ name: true, email: true, country: true, city: true, note: true }).partial({
    email: true,
  }),
});
export type PreviewRequest = z.infer<typeof PreviewRequestSchema>;

export const RenderedLetterSchema = z.object({ subject: z.string(), text: z.string() }).meta({ id: 'RenderedLetter' });
