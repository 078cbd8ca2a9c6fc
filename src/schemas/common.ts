import countries from 'i18n-iso-countries';
import { z } from 'zod';

/** C0/C1 controls, and bidi overrides/isolates that can disguise text. */
// eslint-disable-next-line no-control-regex
const forbiddenInLine = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// Multi-line text keeps tabs and newlines but nothing else from the control ranges.
// eslint-disable-next-line no-control-regex
const forbiddenInText = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A trimmed single-line string: never a header injection vector (no CR/LF/NUL). */
export const line = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !forbiddenInLine.test(s), 'must not contain control or bidi-override characters');

export const nonEmptyLine = (max: number) => line(max).pipe(z.string().min(1, 'must not be empty'));

export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !forbiddenInText.test(s), 'must not contain control or bidi-override characters');

export const CountrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine((c) => /^[A-Z]{2}$/.test(c) && countries.isValid(c), 'must be an ISO 3166-1 alpha-2 country code');

export const EmailSchema = z.string().trim().max(254).pipe(z.email());

/** Intl's own check of a tag's structure: the pattern alone lets through tags (`en-GB-GB`) every Intl formatter throws on. */
const intlKnows = (tag: string) => {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
};

export const LocaleSchema = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'must be a BCP 47 language tag such as en or kk-KZ', abort: true })
  .refine(intlKnows, 'must be a BCP 47 language tag that Intl accepts (such as en or kk-KZ)');

export const IsoDateTime = z.iso.datetime({ offset: true });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    instance: z.string().optional().describe('The request id, as in the X-Request-Id response header: quote it when reporting a problem'),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem document' });

/** A page cursor is the last id of the previous page (ids look like `cmp_0mhx1p2ab` + 12 random characters). */
export const CursorSchema = z.string().regex(/^[a-z]{2,8}_[0-9a-z]{9}[\w-]{12}$/, 'must be a nextCursor from a previous page');

export const ListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: CursorSchema.optional(),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

/** A campaign's public slug, as in /c/{slug} and /api/v1/actions/{slug}. */
export const SlugParams = z.strictObject({ slug: z.string().min(1).max(64) });

/** Problem responses every route may give, for the OpenAPI document. */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ProblemSchema])) as Record<number, typeof ProblemSchema>;
