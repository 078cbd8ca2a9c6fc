import { execFileSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';

/** The Unicode code points the PDF's embedded fonts map glyphs to (their ToUnicode CMaps). */
export function mappedCodePoints(pdf: Buffer): Set<number> {
  const text = pdf.toString('latin1');
  const points = new Set<number>();
  for (const m of text.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length;
    let body: string;
    try {
      body = inflateSync(pdf.subarray(start, text.indexOf('endstream', start))).toString('latin1');
    } catch {
      continue;
    }
    if (!body.includes('begincmap')) continue;
    for (const hex of body.matchAll(/<([0-9a-f]{4})>/gi)) points.add(parseInt(hex[1]!, 16));
  }
  return points;
}

/** The PDF's text as poppler's pdftotext reads it, one page after another (each ends in a form feed). */
export function pdfText(pdf: Buffer): string {
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
}

/** Page `page` (from 1) of the PDF as a PNG at `dpi`, by poppler's pdftoppm (no output root: it writes to stdout), to look at. */
export function pdfPagePng(pdf: Buffer, page = 1, dpi = 80): Buffer {
  return execFileSync('pdftoppm', ['-png', '-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 });
}
