import PDFDocument from 'pdfkit';
import { PassThrough, type Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { LetterStatus, PostalAddress, PostalOptions } from '../db/schema.js';
import type { Clock } from '../domain/clock.js';
import { findForbiddenPhrase } from '../domain/content-rules.js';
import type { LetterLifecycle } from '../domain/letter-lifecycle.js';
import { countryName, formatDate } from '../domain/render-letter.js';
import { newId } from '../domain/ids.js';
import { conflict, notFound } from '../errors.js';
import type { Campaign } from '../schemas/campaign.js';
import type { PrintedLetter, PrintRun, QueuedLetter } from '../store/print-runs.js';
import type { Store } from '../store/index.js';

/** DejaVu covers Latin, Cyrillic (Kazakh included) and more; PDF's 14 standard fonts would garble them silently. */
const fontPaths = {
  regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
};

const mm = 72 / 25.4;

/**
 * Postal delivery: print runs (recorded on the server, so a run's PDF holds exactly its
 * letters and marking it mailed touches no other), the PDF (A4, one letter per page, the
 * address placed for a DIN 5008 window envelope), and marking letters mailed. Nothing goes
 * over the network.
 */
export function createPostalService(deps: { store: Pick<Store, 'transaction' | 'printRuns'>; clock: Clock; lifecycle: LetterLifecycle }) {
  const { store, clock, lifecycle } = deps;
  const { printRuns } = store;

  /** Records a print run: every printable letter (with `status`, if given) as of now. */
  async function createRun(campaign: Campaign, status: LetterStatus | undefined, name?: string): Promise<PrintRun> {
    // Printing an email campaign's letters would post them a second time.
    if (campaign.delivery.mode !== 'postal') throw conflict(`This campaign delivers by ${campaign.delivery.mode}; only a postal campaign has print runs`);
    const id = newId('prn');
    const at = clock.now().toISOString();
    return await store.transaction(async () => {
      // Unnamed runs are numbered, so two runs of one day can still be told apart.
      await printRuns.insert(id, campaign.id, status ?? null, name ?? `Print run ${(await printRuns.countOf(campaign.id)) + 1}`, at);
      const n = await printRuns.recordLetters(id, campaign.id, status ?? null);
      await printRuns.setCount(id, n);
      return (await printRuns.get(id, campaign.id))!;
    });
  }

  async function getRun(campaign: Campaign, id: string): Promise<PrintRun> {
    const run = await printRuns.get(id, campaign.id);
    if (!run) throw notFound('Print run');
    return run;
  }

  /** The campaign's latest runs, each with how many of its letters still wait to be marked mailed. */
  async function recentRuns(campaign: Campaign, limit: number): Promise<(PrintRun & { queued: number })[]> {
    const runs = await printRuns.recent(campaign.id, limit);
    return await Promise.all(runs.map(async (r) => ({ ...r, queued: await printRuns.queuedCount(r.id) })));
  }

  /**
   * A run's PDF, generated 200 letters at a time so a large run neither fills memory nor stalls
   * other requests for long. Each page of rows is read on its own, outside any transaction.
   */
  function pdf(campaign: Campaign, run: PrintRun): Readable {
    const doc = new PDFDocument({ size: 'A4', autoFirstPage: false, margins: { top: 20 * mm, bottom: 20 * mm, left: 25 * mm, right: 20 * mm }, info: { Title: `${campaign.title}: ${run.name ?? run.id}`, Creator: 'Chorus' } });
    doc.registerFont('regular', fontPaths.regular);
    doc.registerFont('bold', fontPaths.bold);
    const out = new PassThrough();
    doc.pipe(out);
    const printedAt = new Date(run.createdAt);
    void (async () => {
      try {
        let cursor = '';
        let pages = 0;
        for (;;) {
          const rows = await printRuns.page(run.id, cursor);
          if (rows.length === 0) break;
          for (const row of rows) {
            page(doc, campaign, row, printedAt);
            pages += 1;
          }
          cursor = rows.at(-1)!.id;
          await yieldToLoop();
        }
        if (pages === 0) {
          doc.addPage().font('regular').fontSize(11).text(`No letters${run.status ? ` with status "${run.status}"` : ''} to print for "${campaign.title}".`);
        }
        doc.end();
      } catch (err) {
        out.destroy(err as Error);
      }
    })();
    return out;
  }

  function page(doc: PDFKit.PDFDocument, campaign: Campaign, l: PrintedLetter, printedAt: Date): void {
    doc.addPage();
    const left = 25 * mm;
    const width = doc.page.width - left - 20 * mm;
    const options = postalOptions(campaign);
    const sender = campaign.sender;
    // A campaign whose rules forbid the organization's name (the prison reads the letter) never prints it.
    const nameAllowed = !!sender && !findForbiddenPhrase(campaign.rules.forbiddenPhrases, { name: sender.name });
    const locale = l.locale ?? campaign.locale;

    // The return address, on one line in the top 5 mm of the window of a DL/C5 envelope (DIN 5008
    // form B: 45 mm from the top, 20 mm from the left edge, 85 × 45 mm), smaller until it fits.
    if (options.returnAddress === 'organization' && sender?.postalAddress) {
      const from = unique([...(nameAllowed ? [sender.name] : []), ...addressLines(sender.postalAddress, campaign.locale)]).join(', ');
      let size = 7;
      doc.font('regular');
      while (size > 5 && doc.fontSize(size).widthOfString(from) > 85 * mm) size -= 0.5;
      doc.fontSize(size).text(from, left, 45 * mm, { width: 85 * mm, lineBreak: false, ellipsis: true, height: size * 1.3 });
    }
    const recipient = [l.targetName, l.targetTitle, l.organization];
    if (l.postalAddress) recipient.push(...addressLines(JSON.parse(l.postalAddress) as PostalAddress, campaign.locale));
    doc.font('regular').fontSize(10).text(unique(recipient).join('\n'), left, 52 * mm, { width: 85 * mm, height: 38 * mm, ellipsis: true });
    // The date once: the letter's own when its text carries it (templates write {{date}}), else
    // the printing date, right-aligned under the address field, in the letter's language.
    const dated = [formatDate(new Date(l.createdAt), locale), formatDate(printedAt, locale)].some((d) => l.body.includes(d));
    if (!dated) doc.fontSize(10).text(formatDate(printedAt, locale), left, 98 * mm, { width, align: 'right' });
    doc.font('bold').fontSize(11).text(l.subject, left, 110 * mm, { width });
    doc.moveDown(1).font('regular').fontSize(10.5).text(l.body, { width, lineGap: 2 });
    if (options.footer) {
      const by = nameAllowed && sender ? `Sent by ${sender.name}. ` : '';
      doc.moveDown(1.5).fontSize(8).fillColor('#555').text(`${by}Reference ${l.id}.`, { width });
      doc.fillColor('black');
    }
  }

  /** Marks letters as mailed (sent): those of a print run, or these ids; only letters still queued change. */
  async function markMailed(campaign: Campaign, by: { printRunId: string } | { ids: string[] }): Promise<number> {
    if (campaign.delivery.mode !== 'postal') throw conflict('Only letters of a postal campaign are mailed by hand');
    const at = clock.now().toISOString();
    return await lifecycle.transaction(async (scope) => {
      let rows: QueuedLetter[];
      if ('printRunId' in by) {
        const run = await getRun(campaign, by.printRunId);
        rows = await printRuns.queuedLetters(run.id);
        await printRuns.markMailed(run.id, at);
      } else {
        rows = [];
        for (const id of by.ids) {
          const r = await printRuns.queuedLetter(id, campaign.id);
          if (r) rows.push(r);
        }
      }
      let moved = 0;
      for (const r of rows) if (await lifecycle.move(scope, { ...r, campaignId: campaign.id, status: 'queued' }, 'sent', at, null)) moved += 1;
      return moved;
    });
  }

  return { createRun, getRun, recentRuns, pdf, markMailed };
}

/** The campaign's postal options, defaults filled in: the organization's return address, no footer. */
export function postalOptions(campaign: Pick<Campaign, 'postal'>): PostalOptions {
  return { returnAddress: campaign.postal?.returnAddress ?? 'organization', footer: campaign.postal?.footer ?? false };
}

/** Lines without empties or repeats (a title that is also the organization, a city written twice). */
function unique(lines: (string | null | undefined)[]): string[] {
  const seen = new Set<string>();
  return lines
    .map((line) => line?.trim() ?? '')
    .filter((line) => {
      const key = line.toLocaleLowerCase();
      if (!line || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

function addressLines(a: PostalAddress, locale: string): string[] {
  return [...a.lines, [a.postcode, a.city].filter(Boolean).join(' '), countryName(a.country, locale).toUpperCase()];
}

export type PostalService = ReturnType<typeof createPostalService>;
