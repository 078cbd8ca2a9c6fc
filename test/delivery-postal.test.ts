import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, createCampaign, type TestApp } from './helpers/build-app.js';
import { letterList, manualClock, minute, queuedLetters, stats } from './helpers/delivery.js';
import { submit, supporter } from './helpers/supporters.js';
import { mappedCodePoints } from './helpers/pdf.js';

const postalAddress = { lines: ['ул. Кенесары, 4'], city: 'Астана', postcode: '010000', country: 'KZ' };

describe('postal delivery', () => {
  let t: TestApp;
  const clock = manualClock();
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  it('prints queued letters as a PDF with an embedded font, sends nothing, and marks a printed batch mailed', async () => {
    const { campaign } = await queuedLetters(t.app, 3, {
      campaign: {
        delivery: { mode: 'postal' },
        sender: { name: 'Kazakhstan International Bureau for Human Rights', postalAddress: { lines: ['Kunaev St 24'], city: 'Almaty', postcode: '050010', country: 'KZ' } },
      },
      target: { name: 'Генеральный прокурор', email: undefined, postalAddress },
      supporter: (i) => ({ name: `Әлия ${i}` }),
    });
    assert.equal(await t.app.store.sql.value('SELECT count(*) FROM outbox WHERE campaign_id = ?', [campaign.id]), 0);
    assert.equal(await t.app.delivery.worker.tick(), 0);

    const res = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/letters.pdf?status=queued`, headers: auth });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/pdf');
    const pdf = res.rawPayload.toString('latin1');
    assert.ok(pdf.startsWith('%PDF-'));
    assert.equal(pdf.match(/\/Type \/Page\b/g)?.length, 3, 'one page per letter');
    assert.match(pdf, /\/FontFile2/, 'a TrueType font is embedded');
    assert.match(pdf, /DejaVuSans/);
    assert.doesNotMatch(pdf, /\/BaseFont \/Helvetica/, 'no standard font that would garble Cyrillic');
    // Kazakh and Russian letters are real glyphs of the embedded font: ә (U+04D9), Қ… as in "Әлия", "Астана".
    const points = mappedCodePoints(res.rawPayload);
    for (const ch of 'ӘлияАстанаКенесары') assert.ok(points.has(ch.codePointAt(0)!), `glyph for ${ch}`);
    const printRunId = String(res.headers['x-chorus-print-run']);
    assert.match(printRunId, /^prn_/);
    assert.equal(res.headers['x-chorus-print-run-letters'], '3');

    // A letter confirmed after the print run is not marked by it.
    clock.advance(minute);
    const late = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${campaign.slug}/letters`, payload: { name: 'Late', email: 'late@example.org', country: 'KZ' } });
    assert.equal(late.statusCode, 202);
    const marked = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/letters/mark-mailed`, headers: auth, payload: { printRunId } });
    assert.equal(marked.statusCode, 200);
    assert.equal(marked.json().marked, 3);
    const byId = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/letters/mark-mailed`,
      headers: auth,
      payload: { ids: (await letterList(t.app, campaign.id)).filter((l) => l.status === 'queued').map((l) => l.id) },
    });
    assert.equal(byId.statusCode, 200);
    assert.equal(byId.json().marked, 1);
    const s = await stats(t.app, campaign.id);
    assert.equal(s.letters.sent, 4);
    assert.equal(s.letters.queued, 0);
    assert.equal((await recount(t.app.store)).drift, 0);

    const empty = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/letters.pdf?status=queued`, headers: auth });
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.rawPayload.toString('latin1').match(/\/Type \/Page\b/g)?.length, 1);
  });

  it('marks exactly the letters its print run recorded: not one released or confirmed after it, nor one held in it', async () => {
    const { campaign } = await queuedLetters(t.app, 3, {
      campaign: { delivery: { mode: 'postal' } },
      target: { email: undefined, postalAddress },
      supporter: (i) => ({ email: `run${i}@example.org` }),
    });
    const [held, ...queued] = await letterList(t.app, campaign.id);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${held!.id}`, headers: auth, payload: { status: 'held' } });
    const pdfOf = (query = '') => t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/letters.pdf${query}`, headers: auth });
    const pages = (pdf: Buffer) => pdf.toString('latin1').match(/\/Type \/Page\b/g)?.length;

    const run = await pdfOf('?status=queued');
    assert.equal(run.headers['x-chorus-print-run-letters'], '2');
    assert.equal(pages(run.rawPayload), 2);
    // The held letter is released after the run was printed; another supporter signs.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/letters/${held!.id}`, headers: auth, payload: { status: 'queued' } });
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('after'), email: 'after@example.org' })).statusCode, 202);

    const mark = (printRunId: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/letters/mark-mailed`, headers: auth, payload: { printRunId } });
    const marked = await mark(String(run.headers['x-chorus-print-run']));
    assert.equal(marked.statusCode, 200);
    assert.equal(marked.json().marked, 2);
    const status = new Map((await letterList(t.app, campaign.id)).map((l) => [l.id, l.status]));
    assert.deepEqual(queued.map((l) => status.get(l.id)), ['sent', 'sent']);
    assert.equal(status.get(held!.id), 'queued', 'released after the run: never printed, so not mailed');
    assert.equal([...status.values()].filter((s) => s === 'queued').length, 2);
    assert.equal((await mark(String(run.headers['x-chorus-print-run']))).json().marked, 0, 'marking a run twice changes nothing');

    // A run's PDF holds the letters recorded when it was made, even if more are confirmed while it is generated.
    const next = await t.app.delivery.postal.createRun(await t.app.services.campaigns.get(campaign.id), 'queued');
    assert.equal(next.letters, 2);
    assert.equal((await submit(t.app, campaign.slug, { ...supporter('during'), email: 'during@example.org' })).statusCode, 202);
    const chunks: Buffer[] = [];
    for await (const chunk of t.app.delivery.postal.pdf(await t.app.services.campaigns.get(campaign.id), next)) chunks.push(chunk as Buffer);
    assert.equal(pages(Buffer.concat(chunks)), 2);
    assert.equal((await mark(next.id)).json().marked, 2);
    assert.equal((await stats(t.app, campaign.id)).letters.queued, 1, 'the letter confirmed during the run waits for the next one');
    assert.equal((await recount(t.app.store)).drift, 0);

    // Another campaign's run is not this campaign's.
    const other = await createCampaign(t.app, { delivery: { mode: 'postal' } });
    const foreign = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${other.id}/letters/mark-mailed`, headers: auth, payload: { printRunId: next.id } });
    assert.equal(foreign.statusCode, 404);
  });

  it('refuses bad requests with a problem and changes nothing', async () => {
    const email = await createCampaign(t.app);
    const postal = await createCampaign(t.app, { delivery: { mode: 'postal' } });
    const cases = [
      { url: `/api/v1/campaigns/${postal.id}/letters/mark-mailed`, payload: {}, status: 422 },
      { url: `/api/v1/campaigns/${postal.id}/letters/mark-mailed`, payload: { ids: ['x'], printRunId: 'prn_x' }, status: 422 },
      { url: `/api/v1/campaigns/${postal.id}/letters/mark-mailed`, payload: { printedAt: new Date().toISOString() }, status: 422 },
      { url: `/api/v1/campaigns/${postal.id}/letters/mark-mailed`, payload: { printRunId: 'prn_unknown' }, status: 404 },
      { url: `/api/v1/campaigns/${email.id}/letters/mark-mailed`, payload: { ids: ['x'] }, status: 409 },
      { url: '/api/v1/campaigns/nope/letters/mark-mailed', payload: { ids: ['x'] }, status: 404 },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ method: 'POST', url: c.url, headers: auth, payload: c.payload });
      assert.equal(res.statusCode, c.status, `${c.url} ${JSON.stringify(c.payload)}: ${res.body}`);
      assert.equal(res.headers['content-type'], 'application/problem+json');
    }
    const noKey = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${postal.id}/letters.pdf` });
    assert.equal(noKey.statusCode, 401);
    const badStatus = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${postal.id}/letters.pdf?status=lost`, headers: auth });
    assert.equal(badStatus.statusCode, 422);
    const emailRun = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${email.id}/letters.pdf`, headers: auth });
    assert.equal(emailRun.statusCode, 409, 'an email campaign has no print run');
    assert.equal(emailRun.headers['content-type'], 'application/problem+json');
    assert.equal(await t.app.store.sql.value('SELECT count(*) FROM print_runs WHERE campaign_id = ?', [email.id]), 0);
  });
});
