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
