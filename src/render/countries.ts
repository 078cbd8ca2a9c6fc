import countries from 'i18n-iso-countries';
import { countryName } from '../domain/render-letter.js';

/** Every ISO 3166-1 alpha-2 country, named and sorted for one locale (computed once per locale). */
const byLocale = new Map<string, { code: string; name: string }[]>();

export function countryOptions(locale: string, selected?: string): { code: string; name: string; selected: boolean }[] {
  let list = byLocale.get(locale);
  if (!list) {
    const collator = new Intl.Collator([locale, 'en']);
    list = Object.keys(countries.getAlpha2Codes())
      .map((code) => ({ code, name: countryName(code, locale) }))
      .sort((a, b) => collator.compare(a.name, b.name));
    byLocale.set(locale, list);
  }
  return list.map((c) => ({ ...c, selected: c.code === selected }));
}

const languageNames = new Map<string, Intl.DisplayNames>();
/** A language's name in `locale` ("Russian" for `ru` in `en`, "русский" in `ru`); the tag itself if Intl has no name for it. */
export function languageName(tag: string, locale: string): string {
  let names = languageNames.get(locale);
  if (!names) {
    names = new Intl.DisplayNames([locale, 'en'], { type: 'language', fallback: 'code' });
    languageNames.set(locale, names);
  }
  try {
    return names.of(tag) ?? tag;
  } catch {
    return tag;
  }
}
