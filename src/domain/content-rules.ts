import unhomoglyph from 'unhomoglyph';

/**
 * Characters that show as nothing, so they can sit inside a forbidden phrase unseen: zero-width
 * space, non-joiner and joiner (U+200B–U+200D), word joiner (U+2060), the byte-order mark (U+FEFF,
 * a zero-width no-break space) and the soft hyphen (U+00AD, visible only at a line break).
 */
const invisible = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;

/**
 * Text as the campaign's content rules compare it, so a phrase cannot be hidden by how it is
 * typed: NFKC (fullwidth letters, ligatures and NBSP become their plain forms), case folding
 * (upper- then lower-casing also folds ß to ss), invisible characters removed, every run of
 * whitespace (line breaks, tabs, ideographic spaces) one space, and last the confusables
 * skeleton of Unicode's UTS 39 (a Cyrillic о and a Latin o become one character). A skeleton
 * is for comparing only: phrase and text both go through it, so Cyrillic phrases still match.
 */
function foldForRules(text: string): string {
  return unhomoglyph(text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(invisible, '').replace(/\s+/g, ' '));
}

/**
 * The first forbidden phrase found in any of the parts, and which part holds it. Each part is
 * searched on its own, so a phrase never matches across the seam between two of them.
 */
export function findForbiddenPhrase<Part extends string>(
  phrases: readonly string[],
  parts: Record<Part, string>,
): { phrase: string; part: Part } | undefined {
  const folded = Object.entries<string>(parts).map(([part, text]) => [part as Part, foldForRules(text)] as const);
  for (const phrase of phrases) {
    const needle = foldForRules(phrase).trim();
    if (!needle) continue;
    const hit = folded.find(([, text]) => text.includes(needle));
    if (hit) return { phrase, part: hit[0] };
  }
  return undefined;
}
