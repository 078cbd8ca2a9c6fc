/**
 * Spreadsheet programs run a cell as a formula when it starts with one of these, and most skip
 * leading whitespace first (a newline, a space, an NBSP) or read fullwidth ＝＋－＠ as the ASCII
 * signs. A leading tab or carriage return is refused on its own too (OWASP's CSV injection list).
 */
const formulaStart = /^(?:[\t\r]|\s*[=+\-@])/;

/** A cell as text that no spreadsheet runs: a formula-looking cell (judged after NFKC) gets a leading `'`. */
export function neutralizeCell(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  return formulaStart.test(s.normalize('NFKC')) ? `'${s}` : s;
}
