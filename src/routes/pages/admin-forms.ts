import type { ZodType } from 'zod';
import type { FormValues } from '../../domain/dashboard.js';
import { DomainError, type FieldError } from '../../errors.js';

type Say = (key: string, values?: Record<string, unknown>) => string;

export interface FieldSpec {
  name: string;
  type?: 'text' | 'email' | 'number' | 'date' | 'datetime-local' | 'textarea' | 'select' | 'radios' | 'checkbox';
  options?: readonly string[];
  /** Options whose labels are data (templates to translate, say): value and label as given. */
  choices?: readonly { value: string; label: string }[];
  /** Option labels are `admin.opt.<name>.<value>` unless the options are their own labels. */
  plainOptions?: boolean;
  rows?: number;
  hint?: boolean;
  required?: boolean;
  readonly?: boolean;
  short?: boolean;
  code?: boolean;
}
export interface SectionSpec {
  legend?: string;
  hint?: boolean;
  fields: FieldSpec[];
}

const keyOf = (name: string) => name.replaceAll('.', '-');

/** The form field a problem's path belongs to: the field itself, the field holding it (a list's entry), or the first field inside it. */
function fieldFor(path: string, names: string[]): string | undefined {
  if (path === '') return undefined;
  const holding = names.filter((n) => path === n || path.startsWith(`${n}.`)).sort((a, b) => b.length - a.length)[0];
  return holding ?? names.find((n) => n.startsWith(`${path}.`));
}

/** Zod issues as the API's problem documents list them: a dotted path and the schema's own message. */
export function issuesOf(schema: ZodType, input: unknown): { data?: unknown; errors: FieldError[] } {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { data: parsed.data, errors: [] };
  return { errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
}

/**
 * Runs the API's schema and then its domain call on a form's input. A refusal of the input (a
 * 422, or a 409 such as a slug already taken) comes back as field errors for the form; any
 * other error (not found, forbidden) goes on to the error page.
 */
export async function attempt<T>(schema: ZodType, input: unknown, run: (data: never) => Promise<T>, conflictField = ''): Promise<{ value: T } | { errors: FieldError[] }> {
  const checked = issuesOf(schema, input);
  if (checked.errors.length > 0) return { errors: checked.errors };
  try {
    return { value: await run(checked.data as never) };
  } catch (err) {
    if (err instanceof DomainError && (err.status === 422 || err.status === 409)) {
      return { errors: err.errors?.length ? err.errors : [{ path: err.status === 409 ? conflictField : '', message: err.message }] };
    }
    throw err;
  }
}

/** The model the admin-form partial renders: every field with its label, value and the error beside it, and the summary on top. */
export function formModel(
  say: Say,
  form: string,
  opts: { action: string; sections: SectionSpec[]; values: FormValues; errors?: FieldError[]; buttons: { label: string; name?: string; value?: string; secondary?: boolean }[]; cancel?: string; hidden?: FormValues },
) {
  const names = opts.sections.flatMap((s) => s.fields.map((f) => f.name));
  const byField = new Map<string, string>();
  const errorList: { href?: string; message: string }[] = [];
  const label = (name: string) => say(`admin.f.${form}.${name}`);
  for (const e of opts.errors ?? []) {
    const name = fieldFor(e.path, names);
    if (!name) {
      errorList.push({ message: e.path ? `${e.path}: ${e.message}` : e.message });
      continue;
    }
    // One message a field: the first problem the schema found is the one to fix first.
    if (byField.has(name)) continue;
    byField.set(name, e.message);
    errorList.push({ href: `#f-${keyOf(name)}`, message: `${label(name)}: ${e.message}` });
  }
  const sections = opts.sections.map((s, i) => ({
    legend: s.legend ? say(`admin.f.${form}.${s.legend}`) : undefined,
    hint: s.hint && s.legend ? say(`admin.f.${form}.${s.legend}.hint`) : undefined,
    first: i === 0,
    fields: s.fields.map((f) => {
      const type = f.type ?? 'text';
      const key = keyOf(f.name);
      const id = `f-${key}`;
      const value = opts.values[f.name] ?? '';
      const error = byField.get(f.name);
      const hint = f.hint ? say(`admin.f.${form}.${f.name}.hint`) : undefined;
      return {
        ...f,
        type: type === 'number' ? 'text' : type,
        numeric: type === 'number',
        select: type === 'select',
        radios: type === 'radios',
        checkbox: type === 'checkbox',
        textarea: type === 'textarea',
        checked: type === 'checkbox' && value === 'true',
        rows: f.rows ?? 4,
        key,
        id,
        label: label(f.name),
        hint,
        value,
        error,
        describedBy: [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' '),
        options: [
          ...(f.options ?? []).map((o) => ({ value: o, label: f.plainOptions ? o : say(`admin.opt.${f.name}.${o}`) })),
          ...(f.choices ?? []),
        ].map((o) => ({ ...o, checked: o.value === value })),
      };
    }),
  }));
  return { action: opts.action, sections, errorList, buttons: opts.buttons, cancel: opts.cancel, hidden: Object.entries(opts.hidden ?? {}).map(([name, value]) => ({ name, value })) };
}

/** The posted body as plain strings (a repeated field keeps its first value). */
export function valuesOf(body: unknown): FormValues {
  const out: FormValues = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (k === '_csrf') continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}
