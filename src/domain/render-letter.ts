import { invalid } from '../errors.js';
import { findForbiddenPhrase } from './content-rules.js';
import { compileLetter, type LetterContext } from '../render/letter-engine.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Target } from '../schemas/target.js';
import type { Template } from '../schemas/template.js';
import { originality, wordsOf } from './originality.js';

export interface Signer {
  name: string;
  email?: string;
  country: string;
  city?: string | null;
  note?: string | null;
  /** The letter as the supporter edited it (campaigns with `letter.editable` only). */
  body?: string | null;
}

/** The longest letter text a supporter may send as edited (API.md part 2). */
export const bodyMaxLength = 10_000;

// Every letter names a country and a date: Intl formatting is slow next to a map lookup, so
// each (locale, country) and (locale, day) is formatted once.
const regionNames = new Map<string, Intl.DisplayNames>();
const countryNames = new Map<string, string>();
export function countryName(code: string, locale: string): string {
  const key = `${locale}|${code}`;
  let name = countryNames.get(key);
  if (name === undefined) {
    let names = regionNames.get(locale);
    if (!names) {
      names = new Intl.DisplayNames([locale, 'en'], { type: 'region', fallback: 'code' });
      regionNames.set(locale, names);
    }
    name = names.of(code) ?? code;
    if (countryNames.size >= 10_000) countryNames.clear();
    countryNames.set(key, name);
  }
  return name;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const formattedDays = new Map<string, string>();
export function formatDate(date: Date, locale: string): string {
  // The format shows the UTC day only, so the day is the whole key.
  const key = `${locale}|${Math.floor(date.getTime() / 86_400_000)}`;
  let text = formattedDays.get(key);
  if (text === undefined) {
    let fmt = dateFormats.get(locale);
    if (!fmt) {
      fmt = new Intl.DateTimeFormat([locale, 'en'], { dateStyle: 'long', timeZone: 'UTC' });
      dateFormats.set(locale, fmt);
    }
    text = fmt.format(date);
    if (formattedDays.size >= 10_000) formattedDays.clear();
    formattedDays.set(key, text);
  }
  return text;
}

/**
 * Every field always present (strict mode throws on a missing one); absent optional values are ''.
 * Country names and the date are written in `locale`, the language of the letter.
 */
export function letterContext(campaign: Campaign, target: Target, signer: Signer, date: Date, locale: string): LetterContext {
  return {
    supporter: {
      name: signer.name,
      email: signer.email ?? '',
      city: signer.city ?? '',
      country: signer.country,
      countryName: countryName(signer.country, locale),
      note: signer.note ?? '',
    },
    target: {
      name: target.name,
      title: target.title,
      organization: target.organization,
      salutation: target.salutation ?? `Dear ${target.title}`,
    },
    campaign: { title: campaign.title },
    date: formatDate(date, locale),
  };
}

/** The campaign's content rules, checked on what the supporter wrote and on the finished letter. */
export function enforceRules(campaign: Campaign, signer: Signer, rendered: { subject: string; text: string }): void {
  const { noteMaxLength, forbiddenPhrases } = campaign.rules;
  const note = signer.note ?? '';
  if (signer.body !== undefined && signer.body !== null) {
    if (!campaign.letter.editable) {
      throw invalid('This campaign does not let supporters edit the letter; add a personal note instead', [{ path: 'body', message: 'is not allowed in this campaign' }]);
    }
    // Code points, counted only when the UTF-16 length (never fewer) could exceed the limit.
    if (signer.body.length > bodyMaxLength && [...signer.body].length > bodyMaxLength) {
      throw invalid(`The letter is longer than ${bodyMaxLength} characters`, [{ path: 'body', message: `must be at most ${bodyMaxLength} characters` }]);
    }
  }
  if ([...note].length > noteMaxLength) {
    throw invalid(`The personal note is longer than this campaign allows (${noteMaxLength} characters)`, [
      { path: 'note', message: `must be at most ${noteMaxLength} characters` },
    ]);
  }
  if (forbiddenPhrases.length === 0) return;
  // The note counts even where the template does not print it: digests, exports and the dashboard show it.
  const found = findForbiddenPhrase(forbiddenPhrases, { note, subject: rendered.subject, text: rendered.text });
  if (found) {
    throw invalid(`The letter contains "${found.phrase}", which this campaign's writing rules do not allow`, [
      { path: found.part === 'note' ? 'note' : signer.body ? 'body' : 'letter', message: `must not contain "${found.phrase}"` },
    ]);
  }
}

const language = (tag: string) => tag.split('-')[0]!.toLowerCase();

/**
 * The template a letter to `target` is rendered from: the chosen one, unless the target reads
 * another language and the chosen template has a translation into it (`all` holds the
 * campaign's live templates). A target's `ru-KZ` takes a `ru` translation when there is no
 * `ru-KZ` one; a target with no locale, or one that reads the chosen template's language,
 * gets the chosen template.
 */
export function templateFor(chosen: Template, all: readonly Template[], target: Pick<Target, 'locale'>): Template {
  const wanted = target.locale;
  if (!wanted || wanted === chosen.locale) return chosen;
  const root = chosen.translationOf ?? chosen.id;
  const family = all.filter((t) => t.id === root || t.translationOf === root);
  return (
    family.find((t) => t.locale === wanted) ??
    (language(chosen.locale) === language(wanted) ? chosen : family.find((t) => language(t.locale) === language(wanted))) ??
    chosen
  );
}

/** Exactly the subject and text that would be sent; the single rendering path for preview, submission and pages. */
export function renderLetter(
  campaign: Campaign,
  template: Template,
  target: Target,
  signer: Signer,
  date: Date,
): ComposedLetter {
  return renderContext(campaign, template, signer, letterContext(campaign, target, signer, date, template.locale));
}

/** A letter ready to store: its text, how much of it is the supporter's own, and the subject lines it may take. */
export interface ComposedLetter {
  subject: string;
  text: string;
  originality: number;
  /** `subject` first, then the template's variants when the campaign uses them: one is picked per letter, in turn. */
  subjects: string[];
}

const subjectOf = (key: string, source: string, ctx: LetterContext) => compileLetter(key, source)(ctx).replace(/\s+/g, ' ').trim();

/**
 * Renders a template against a prepared context and applies the campaign's content rules. With
 * an edited `body` (editable campaigns) the letter is that text as written, with a signature line
 * added when it no longer holds the supporter's name; the rules apply to it as to a rendered one.
 */
export function renderContext(campaign: Campaign, template: Template, signer: Signer, ctx: LetterContext): ComposedLetter {
  // Compiled once per version: an edit compiles afresh, and no letter renders from a stale version.
  const key = `${template.id}@${template.version}`;
  const body = compileLetter(`${key}:body`, template.body);
  const edited = signer.body === undefined || signer.body === null ? null : signedBody(signer.body, ctx);
  // The template's own text is the letter without the supporter's note: with neither a note nor an edit, nothing is theirs.
  const known = edited !== null || ctx.supporter.note ? templateWords(key, body, ctx) : undefined;
  const variants = campaign.letter.subjectVariants ? (template.subjectVariants ?? []) : [];
  const subjects = [subjectOf(`${key}:subject`, template.subject, ctx), ...variants.map((v, i) => subjectOf(`${key}:subject.${i}`, v, ctx))];
  const letter = { subject: subjects[0]!, text: edited ?? body(ctx) };
  for (const subject of subjects) enforceRules(campaign, signer, { subject, text: letter.text });
  return { ...letter, originality: known ? originality(letter.text, known) : 0, subjects };
}

/** The edited letter with line breaks as `\n`, trailing blanks dropped, and the signature line appended when the name is gone. */
/** The words of rendered templates without the supporter's fields, per template version, recipient, date and which fields are filled. */
const templateWordSets = new Map<string, Set<string>>();

/**
 * The words of the template as rendered for this letter without the supporter's note: its
 * rendering with a word-less stand-in for each supporter field that is filled (cached, so a
 * surge tokenizes it once), together with the words of the supporter's own fields. The same set
 * as the words of the real rendering, except where a template glues a field to a word
 * (`{{supporter.city}}-based`): then the field and the word count apart.
 */
function templateWords(key: string, body: (ctx: LetterContext) => string, ctx: LetterContext): { has(word: string): boolean } {
  const s = ctx.supporter;
  const fields = [s.name, s.email, s.city, s.country, s.countryName];
  const t = ctx.target;
  const cacheKey = [key, t.name, t.title, t.organization, t.salutation, ctx.campaign.title, ctx.date, fields.map((f) => (f ? 1 : 0)).join('')].join('\u0000');
  let base = templateWordSets.get(cacheKey);
  if (!base) {
    const stand = (v: string) => (v ? '·' : '');
    base = new Set(wordsOf(body({ ...ctx, supporter: { name: stand(s.name), email: stand(s.email), city: stand(s.city), country: stand(s.country), countryName: stand(s.countryName), note: '' } })));
    if (templateWordSets.size >= 1000) templateWordSets.clear();
    templateWordSets.set(cacheKey, base);
  }
  const own = new Set(wordsOf(fields.join(' ')));
  return { has: (w) => base.has(w) || own.has(w) };
}

function signedBody(body: string, ctx: LetterContext): string {
  const text = body.replace(/\r\n?/g, '\n').trimEnd();
  // The name as typed is the usual case (the prefilled signature): only otherwise fold case, width and spacing.
  if (ctx.supporter.name.trim() !== '' && text.includes(ctx.supporter.name.trim())) return text;
  const fold = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
  if (fold(text).includes(fold(ctx.supporter.name).trim())) return text;
  const signature = [ctx.supporter.name, ctx.supporter.city, ctx.supporter.countryName].filter((part) => part.trim() !== '').join(', ');
  return `${text}\n\n${signature}`;
}
