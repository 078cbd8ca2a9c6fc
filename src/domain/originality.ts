/**
 * How much of a letter is the supporter's own: the share of its words that do not occur in the
 * template's rendered text. It is measured against that one text only (a set of its words), never
 * against other letters, so it costs the same for the first letter and the millionth.
 */

// A word: a letter or digit, then letters, marks, digits and inner apostrophes or hyphens.
const wordStart = /[\p{L}\p{N}]/u;
const wordPart = /[\p{L}\p{M}\p{N}'’-]/u;
/** Per code point: 2 may start a word, 1 may only continue one, 0 ends it. A letter uses few distinct characters, so each is classified once. */
const kinds = new Map<number, number>();
function kindOf(c: number): number {
  let k = kinds.get(c);
  if (k === undefined) {
    const ch = String.fromCodePoint(c);
    k = wordStart.test(ch) ? 2 : wordPart.test(ch) ? 1 : 0;
    if (kinds.size < 100_000) kinds.set(c, k);
  }
  return k;
}

/** The words of a text as compared: NFKC, lower case. A scan by code point (twice as fast as a Unicode regular expression on a long letter). */
export function wordsOf(text: string): string[] {
  const t = text.normalize('NFKC').toLowerCase();
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i < t.length; ) {
    const c = t.codePointAt(i)!;
    const k = kindOf(c);
    if (start < 0) {
      if (k === 2) start = i;
    } else if (k === 0) {
      words.push(t.slice(start, i));
      start = -1;
    }
    i += c > 0xffff ? 2 : 1;
  }
  if (start >= 0) words.push(t.slice(start));
  return words;
}

/** Letters at or above this originality count as personalized in the stats. */
export const personalizedFrom = 0.2;

/** The share (0..1, two decimals) of the words of `text` that `known` (the template's words) lacks; 0 for a text without words. */
export function originality(text: string, known: { has(word: string): boolean }): number {
  const words = wordsOf(text);
  if (words.length === 0) return 0;
  let own = 0;
  for (const w of words) if (!known.has(w)) own += 1;
  return Math.round((own / words.length) * 100) / 100;
}
