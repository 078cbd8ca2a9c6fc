import { renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { escapeXml } from './xml.js';

/** The size social sites ask for (1.91:1); they read PNG, not SVG. */
export const cardSize = { width: 1200, height: 630 } as const;

const dejavu = '/usr/share/fonts/truetype/dejavu';
const fontFiles = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => `${dejavu}/${f}`).filter((f) => existsSync(f));

/**
 * Debian's DejaVu (fonts-dejavu-core) when installed: it covers Latin, Cyrillic and Kazakh, and a
 * card never depends on whatever else the machine has. Without it, the system's fonts.
 */
const fonts: ResvgRenderOptions['font'] =
  fontFiles.length > 0
    ? { fontFiles, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' }
    : { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' };

/**
 * A rough advance width in em for DejaVu Sans Bold: no text shaping here, so the estimate leans
 * wide (a line wraps a little early rather than running off the card).
 */
function advance(ch: string): number {
  if (ch === ' ') return 0.35;
  if (/[.,:;'!|il1()[\]]/.test(ch)) return 0.4;
  if (/[MWШЩЖЮмшщжю@%]/.test(ch)) return 1.0;
  if (/\p{Lu}/u.test(ch)) return 0.8;
  return 0.68;
}
const widthOf = (s: string, size: number) => [...s].reduce((w, ch) => w + advance(ch), 0) * size;

/** Greedy wrapping into at most `maxLines` lines of `width` px; what does not fit ends in "…". */
export function wrapText(text: string, size: number, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let current = '';
  const words = text.trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    let word = words[i]!;
    // A word longer than a whole line is cut where it no longer fits.
    while (widthOf(word, size) > width) {
      let cut = word.length - 1;
      while (cut > 1 && widthOf(word.slice(0, cut), size) > width) cut--;
      if (current) lines.push(current);
      lines.push(word.slice(0, cut));
      current = '';
      word = word.slice(cut);
    }
    const next = current ? `${current} ${word}` : word;
    if (widthOf(next, size) <= width) current = next;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current) lines.push(current);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  let last = `${kept[maxLines - 1]!}…`;
  while (widthOf(last, size) > width && last.length > 2) last = `${last.slice(0, -2).trimEnd()}…`;
  kept[maxLines - 1] = last;
  return kept;
}

export interface ShareCard {
  title: string;
  /** "1,234 supporters of 5,000", already worded and formatted for the campaign's locale. */
  count: string;
  /** 0..1 toward the goal, or null without a goal. */
  progress: number | null;
  /** Who runs it and where, e.g. "Run by Friends of Makset · chorus.example.org". */
  byline: string;
  locale: string;
  dir: 'ltr' | 'rtl';
}

/** The card as SVG: the campaign's title large, the count beneath it with a progress bar, and who runs it. */
export function shareCardSvg(card: ShareCard): string {
  const { width, height } = cardSize;
  const pad = 72;
  const inner = width - 2 * pad;
  let size = 68;
  let lines = wrapText(card.title, size, inner, 3);
  if (lines.length === 3) {
    size = 56;
    lines = wrapText(card.title, size, inner, 4);
  }
  const rtl = card.dir === 'rtl';
  const x = rtl ? width - pad : pad;
  const anchor = rtl ? 'end' : 'start';
  const lineHeight = Math.round(size * 1.18);
  const titleTop = pad + size;
  const title = lines
    .map((line, i) => `<text x="${x}" y="${titleTop + i * lineHeight}" font-size="${size}" font-weight="bold" fill="#ffffff">${escapeXml(line)}</text>`)
    .join('');
  const countY = height - pad - 110;
  const bar =
    card.progress === null
      ? ''
      : `<rect x="${pad}" y="${countY + 28}" width="${inner}" height="18" rx="9" fill="#ffffff" fill-opacity="0.25"/>` +
        `<rect x="${rtl ? pad + inner - Math.round(inner * card.progress) : pad}" y="${countY + 28}" width="${Math.max(card.progress > 0 ? 18 : 0, Math.round(inner * card.progress))}" height="18" rx="9" fill="#ffbf47"/>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xml:lang="${escapeXml(card.locale)}">` +
    `<rect width="${width}" height="${height}" fill="#143a6b"/>` +
    `<rect y="${height - 12}" width="${width}" height="12" fill="#ffbf47"/>` +
    `<g font-family="DejaVu Sans" text-anchor="${anchor}" direction="${card.dir}">` +
    title +
    `<text x="${x}" y="${countY}" font-size="44" font-weight="bold" fill="#ffbf47">${escapeXml(card.count)}</text>` +
    bar +
    `<text x="${x}" y="${height - pad + 4}" font-size="28" fill="#ffffff" fill-opacity="0.9">${escapeXml(wrapText(card.byline, 28, inner, 1)[0] ?? '')}</text>` +
    `</g></svg>`
  );
}

/** The card as PNG, rendered off the event loop (resvg in libuv's thread pool). */
export async function renderShareCard(card: ShareCard): Promise<Buffer> {
  const image = await renderAsync(shareCardSvg(card), { font: fonts, fitTo: { mode: 'original' }, background: '#143a6b' });
  return image.asPng();
}
