/**
 * How much of a letter is the supporter's own: the share of its words that do not occur in the
 * template's rendered text. It is measured against that one text only (a set of its words), never
 * against other letters, so it costs the same for the first letter and the millionth.
 */

// A word: a letter or digit, then letters, marks, digits and inner apostrophes or hyphens.
const wordPattern = /[\p{L}\p{N}][\p{L}\p{M}\p{N}'’-]*/gu;

/** The words of a text as compared: NFKC, lower case. */
export function wordsOf(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(wordPattern) ?? [];
}

/** Letters at or above this originality count as personalized in the stats. */
export const personalizedFrom = 0.2;

/** The share (0..1, two decimals) of the words of `text` that are not in `template`; 0 for a text without words. */
export function originality(text: string, template: string): number {
  const words = wordsOf(text);
  if (words.length === 0) return 0;
  const known = new Set(wordsOf(template));
  let own = 0;
  for (const w of words) if (!known.has(w)) own += 1;
  return Math.round((own / words.length) * 100) / 100;
}
