import { invalid } from '../errors.js';
import { findForbiddenPhrase } from './content-rules.js';
import { compileLetter, type LetterContext } from '../render/letter-engine.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Target } from '../schemas/target.js';
import type { Template } from '../schemas/template.js';

export interface Signer {
  name: string;
  email?: string;
  country: string;
  city?: string | null;
  note?: string | null;
}

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
      { path: found.part === 'note' ? 'note' : 'letter', message: `must not contain "${found.phrase}"` },
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
): { subject: string; text: string } {
  return renderContext(campaign, template, signer, letterContext(campaign, target, signer, date, template.locale));
}

/** Renders a template against a prepared context and applies the campaign's content rules. */
export function renderContext(
  campaign: Campaign,
  template: Template,
  signer: Signer,
  ctx: ReturnType<typeof letterContext>,
): { subject: string; text: string } {
  // Compiled once per version: an edit compiles afresh, and no letter renders from a stale version.
  const key = `${template.id}@${template.version}`;
  const rendered = {
    subject: compileLetter(`${key}:subject`, template.subject)(ctx).replace(/\s+/g, ' ').trim(),
    text: compileLetter(`${key}:body`, template.body)(ctx),
  };
  enforceRules(campaign, signer, rendered);
  return rendered;
}
