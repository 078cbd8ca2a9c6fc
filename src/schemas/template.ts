import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { templates } from '../db/schema.js';
import { LocaleSchema, nonEmptyLine, text } from './common.js';
import { SupporterInputSchema } from './supporter.js';

export const TemplateSchema = createSelectSchema(templates).omit({ deletedAt: true }).meta({ id: 'Template' });
export type Template = z.infer<typeof TemplateSchema>;

export const PublicTemplateSchema = TemplateSchema.pick({ id: true, name: true, locale: true, subject: true, body: true, translationOf: true });

export const CreateTemplateSchema = z.strictObject({
  name: nonEmptyLine(200),
  locale: LocaleSchema.default('en'),
  // A subject is one line; a Handlebars body may span many. Both must be strings: zod
  // rejects objects before anything reaches Handlebars' compile.
  subject: nonEmptyLine(300),
  body: text(20_000).pipe(z.string().min(1, 'must not be empty')),
  /** The id of the template of the same campaign that this one translates into `locale`. */
  translationOf: z.string().min(1).max(64).nullable().optional(),
  /** Other subject lines (each a Handlebars subject, like `subject`), used in turn when the campaign's `letter.subjectVariants` is on. */
  subjectVariants: z.array(nonEmptyLine(300)).max(20).nullable().optional(),
});
export type CreateTemplate = z.infer<typeof CreateTemplateSchema>;

/** An edit: any of the fields, at least one; the result is checked as a new template would be. */
export const UpdateTemplateSchema = CreateTemplateSchema.extend({ locale: LocaleSchema })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'must change at least one field');
export type UpdateTemplate = z.infer<typeof UpdateTemplateSchema>;

export const PreviewRequestSchema = z.strictObject({
  templateId: z.string().min(1).max(64).optional(),
  targetId: z.string().min(1).max(64).optional(),
  supporter: SupporterInputSchema.pick({ name: true, email: true, country: true, city: true, note: true, body: true }).partial({
    email: true,
  }),
});
export type PreviewRequest = z.infer<typeof PreviewRequestSchema>;

export const RenderedLetterSchema = z.object({ subject: z.string(), text: z.string() }).meta({ id: 'RenderedLetter' });

/**
 * A preview: the letter as it goes out (`locale` is the language it is written in) and, when
 * that is not the language of the template the supporter chose, `translation`: the same letter
 * rendered from the chosen template, so the supporter can read what they send.
 */
export const LetterPreviewSchema = RenderedLetterSchema.extend({
  locale: z.string(),
  translation: z.object({ locale: z.string(), subject: z.string(), text: z.string() }).optional(),
  /** Share (0..1) of the letter's words that are not in the template's text: the supporter's own. */
  originality: z.number().min(0).max(1),
}).meta({ id: 'LetterPreview' });
export type LetterPreview = z.infer<typeof LetterPreviewSchema>;
