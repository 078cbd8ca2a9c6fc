import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** templates/pages: the page templates, their partials, locales and static files. */
export const pagesDir = fileURLToPath(new URL('../../templates/pages/', import.meta.url));

/** A UI string: plain, or one form per plural category (Intl.PluralRules). */
type PageString = string | Partial<Record<Intl.LDMLPluralRule, string>>;
export type PageStrings = Record<string, PageString>;

/**
 * The pages' words, one JSON file per locale in templates/pages/locales. English is complete;
 * another locale may translate any subset, and whatever it lacks falls back to English.
 */
export function loadPageStrings(dir: string) {
  const byLocale = new Map<string, PageStrings>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    byLocale.set(file.replace(/\.json$/, '').toLowerCase(), JSON.parse(readFileSync(join(dir, file), 'utf8')) as PageStrings);
  }
  const english = byLocale.get('en');
  if (!english) throw new Error(`${dir}/en.json is missing: English is every locale's fallback`);
  const merged = new Map<string, PageStrings>();

  /** kk-KZ takes kk-kz.json, then kk.json, then en.json, key by key. */
  return function stringsFor(locale: string): PageStrings {
    const key = locale.toLowerCase();
    let strings = merged.get(key);
    if (!strings) {
      strings = { ...english, ...byLocale.get(key.split('-')[0]!), ...byLocale.get(key) };
      merged.set(key, strings);
    }
    return strings;
  };
}

const numberFormats = new Map<string, Intl.NumberFormat>();
export function formatNumber(n: number, locale: string): string {
  let f = numberFormats.get(locale);
  if (!f) numberFormats.set(locale, (f = new Intl.NumberFormat([locale, 'en'])));
  return f.format(n);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** Dates on pages are days (UTC), like the dates of the letters themselves. */
export function formatDay(iso: string, locale: string): string {
  let f = dateFormats.get(locale);
  if (!f) dateFormats.set(locale, (f = new Intl.DateTimeFormat([locale, 'en'], { dateStyle: 'long', timeZone: 'UTC' })));
  return f.format(new Date(iso));
}

const pluralRules = new Map<string, Intl.PluralRules>();
function pluralForm(entry: PageString, count: number, locale: string): string {
  if (typeof entry === 'string') return entry;
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules([locale, 'en'])));
  return entry[rules.select(count)] ?? entry.other ?? '';
}

type Values = Record<string, unknown>;

/** Splits "{a} of {b}" into literal text and named slots, numbers formatted for the locale. */
function interpolate(template: string, values: Values, locale: string, slot: (name: string, text: string) => string, literal: (s: string) => string) {
  return template
    .split(/(\{[a-zA-Z]+\})/)
    .map((part) => {
      const name = /^\{([a-zA-Z]+)\}$/.exec(part)?.[1];
      if (!name || !(name in values)) return literal(part);
      const v = values[name];
      return slot(name, typeof v === 'number' ? formatNumber(v, locale) : String(v ?? ''));
    })
    .join('');
}

/** Looks a key up in the page's strings; `count` (or `supporters`) picks the plural form. */
export function translate(strings: PageStrings, locale: string, key: string, values: Values = {}): string {
  const entry = strings[key];
  if (entry === undefined) return key;
  const n = Number(values.count ?? values.supporters ?? 0);
  return interpolate(pluralForm(entry, n, locale), values, locale, (_n, text) => text, (s) => s);
}

interface HelperOptions {
  hash: Values;
  data: { root: { strings: PageStrings; locale: string } };
}

const escape = Handlebars.escapeExpression;

/**
 * The pages' own Handlebars instance (never the sandboxed one for organizers' letters, never the
 * global one). Values are escaped by `{{ }}`; helpers that return markup escape every value themselves.
 */
export function createPageEngine(): typeof Handlebars {
  const hbs = Handlebars.create();

  /** {{t "key" name=value}}: a UI string in the page's locale, escaped by Handlebars like any value. */
  hbs.registerHelper('t', (key: string, options: HelperOptions) =>
    translate(options.data.root.strings, options.data.root.locale, key, options.hash),
  );

  /**
   * {{tl "key" supporters=n goal=g}}: the same, with each number in <strong data-count="name">
   * so the live counter script can replace it; the plural forms ride along for the script.
   */
  hbs.registerHelper('tl', (key: string, options: HelperOptions) => {
    const { strings, locale } = options.data.root;
    const entry = strings[key] ?? key;
    const n = Number(options.hash.supporters ?? 0);
    const html = interpolate(
      pluralForm(entry, n, locale),
      options.hash,
      locale,
      (name, text) => `<strong data-count="${escape(name)}">${escape(text)}</strong>`,
      escape,
    );
    const forms = escape(JSON.stringify(typeof entry === 'string' ? { other: entry } : entry));
    return new hbs.SafeString(`<span data-count-text data-forms="${forms}" data-locale="${escape(locale)}">${html}</span>`);
  });

  hbs.registerHelper('number', (n: number, options: HelperOptions) => formatNumber(Number(n), options.data.root.locale));
  hbs.registerHelper('day', (iso: string, options: HelperOptions) => (iso ? formatDay(iso, options.data.root.locale) : ''));
  /** {{t (concat "status." status)}}: builds a string key from parts (the last argument is Handlebars' options). */
  hbs.registerHelper('concat', (...parts: unknown[]) => parts.slice(0, -1).join(''));

  /** Blank lines separate paragraphs, single newlines break lines; every character of the text is escaped. */
  hbs.registerHelper('paragraphs', (text: unknown) => {
    const paras = String(text ?? '')
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => `<p>${p.split('\n').map(escape).join('<br>')}</p>`);
    return new hbs.SafeString(paras.join('\n'));
  });

  return hbs;
}
