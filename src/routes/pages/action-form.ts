import type { ZodError } from 'zod';
import type { FieldError } from '../../errors.js';
import { SubmitLettersSchema, type SubmitLetters } from '../../schemas/letter.js';

/** A urlencoded body: each field a string, or an array when it repeats (the target checkboxes). */
export type FormBody = Record<string, string | string[] | undefined>;

/** What the supporter typed, echoed back into the form when something needs fixing. */
export interface FormValues {
  name: string;
  email: string;
  city: string;
  country: string;
  note: string;
  /** The letter as edited (editable campaigns); '' when the form has no such field. */
  body: string;
  templateId: string;
  targetIds: string[];
  consentUpdates: boolean;
}

export const formFields = ['name', 'email', 'city', 'country', 'note', 'body', 'targetIds', 'templateId'] as const;
type FormField = (typeof formFields)[number];

/** What the form reads off a body; other fields are ignored, as a browser's extra inputs are. */
const readFields = [...formFields, 'consentUpdates', 'website'] as const;

/**
 * The posted body as a form. A urlencoded body always is one, but the route parses JSON too,
 * whose fields may be numbers, objects or null: those are left out and reported as field
 * errors, so they get the form's 422 instead of reaching code that expects text.
 */
export function formBody(raw: unknown): { body: FormBody; errors: FieldError[] } {
  const body: FormBody = {};
  const errors: FieldError[] = [];
  if (typeof raw !== 'object' || raw === null) return { body, errors };
  for (const field of readFields) {
    if (!Object.hasOwn(raw, field)) continue;
    const v: unknown = (raw as Record<string, unknown>)[field];
    if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) body[field] = v as string | string[];
    else errors.push({ path: field, message: 'must be text' });
  }
  return { body, errors };
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
// A checkbox without a value attribute posts "on"; "true" and "1" are what hand-written clients send.
const ticked = new Set(['on', 'true', '1']);
const all = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function formValues(body: FormBody): FormValues {
  return {
    name: first(body.name),
    email: first(body.email),
    city: first(body.city),
    country: first(body.country),
    note: first(body.note),
    body: first(body.body),
    templateId: first(body.templateId),
    targetIds: all(body.targetIds),
    consentUpdates: ticked.has(first(body.consentUpdates)),
  };
}

/**
 * The form as the JSON API's body, from the values `formValues` read off it: empty optional
 * fields are absent, the checkbox is a boolean, and the honeypot travels along. It is then
 * validated by the API's own schema.
 */
export function parseForm(body: FormBody, v: FormValues): { ok: true; input: SubmitLetters } | { ok: false; errors: FieldError[] } {
  const candidate = {
    name: v.name,
    email: v.email,
    country: v.country,
    ...(v.city.trim() ? { city: v.city } : {}),
    ...(v.note.trim() ? { note: v.note } : {}),
    ...(v.body.trim() ? { body: v.body } : {}),
    ...(v.targetIds.length > 0 ? { targetIds: v.targetIds } : {}),
    ...(v.templateId ? { templateId: v.templateId } : {}),
    consentUpdates: v.consentUpdates,
    ...(body.website !== undefined ? { website: first(body.website) } : {}),
  };
  const parsed = SubmitLettersSchema.safeParse(candidate);
  return parsed.success ? { ok: true, input: parsed.data } : { ok: false, errors: issues(parsed.error) };
}

function issues(error: ZodError): FieldError[] {
  return error.issues.map((i) => ({ path: String(i.path[0] ?? ''), message: i.message }));
}

/**
 * One message per form field, in the page's words. Validation problems get the field's own
 * sentence; a campaign rule (a note too long, a forbidden phrase) keeps the domain's sentence,
 * which says exactly what to change. Anything not tied to a field lands on `free`, the one place
 * the supporter writes freely: the note, or the letter itself where the campaign lets them edit it.
 */
export function fieldMessages(
  errors: FieldError[],
  say: (key: string) => string,
  ruleMessage?: string,
  free: 'note' | 'body' = 'note',
): Partial<Record<FormField, string>> {
  const out: Partial<Record<FormField, string>> = {};
  for (const e of errors) {
    const field = (formFields as readonly string[]).includes(e.path) && e.path !== 'note' && e.path !== 'body' ? (e.path as FormField) : free;
    out[field] ??= ruleMessage && field === free ? ruleMessage : say(`errors.${field}`);
  }
  return out;
}
