import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { wrapText } from '../src/render/share-card.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { artifacts } from './helpers/browser.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const publicUrl = 'https://chorus.example.org';

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(png: Buffer) {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
const meta = (html: string, key: string) => new RegExp(`<meta (?:property|name)="${key}" content="([^"]*)">`).exec(html)?.[1];

/**
 * Share cards: the action page's og:/twitter: tags name the campaign and a PNG of its title and
 * count; the PNG is rendered once per title and count (a scrape of /metrics counts renders), and
 * answers 304 to a client that has it.
 */
describe('share cards', () => {
  let t: TestApp;
  let campaign: { id: string; slug: string };
  const renders = async () => {
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    return Number(/^chorus_share_card_renders_total (\d+)$/m.exec(res.body)?.[1] ?? 'NaN');
  };

  before(async () => {
    t = await buildTestApp({ METRICS_TOKEN, PUBLIC_URL: publicUrl, RATE_LIMIT_PER_MINUTE: '1000' });
    ({ campaign } = await readyCampaign(t.app, {
      title: 'Stop the extradition of Pastor Makset Djabbarbergenov to Uzbekistan',
      summary: 'A recognised refugee faces extradition to a country where he would be tortured for his faith.',
      sender: { name: 'Friends of Makset' },
    }));
  });
  after(() => t?.close());

  it('the action page carries og: and twitter: tags for the campaign and its card', async () => {
    const html = (await t.app.inject({ url: `/c/${campaign.slug}` })).body;
    assert.equal(meta(html, 'og:title'), 'Stop the extradition of Pastor Makset Djabbarbergenov to Uzbekistan');
    assert.equal(meta(html, 'og:description'), 'A recognised refugee faces extradition to a country where he would be tortured for his faith.');
    assert.equal(meta(html, 'og:url'), `${publicUrl}/c/${campaign.slug}`);
    assert.equal(meta(html, 'og:image'), `${publicUrl}/c/${campaign.slug}/card.png`);
    assert.equal(meta(html, 'og:image:width'), '1200');
    assert.equal(meta(html, 'og:image:height'), '630');
    assert.match(meta(html, 'og:image:alt') ?? '', /^Stop the extradition/);
    assert.equal(meta(html, 'twitter:card'), 'summary_large_image');
    assert.equal(meta(html, 'twitter:image'), meta(html, 'og:image'));
    assert.equal(meta(html, 'twitter:title'), meta(html, 'og:title'));
    assert.ok(!/Chorus/.test(meta(html, 'og:title')!), 'the card names the campaign, not the tool');
  });

  it('renders the card once per count: polling costs a lookup, a 304 for a client that has it', async () => {
    const first = await t.app.inject({ url: `/c/${campaign.slug}/card.png` });
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['content-type'], 'image/png');
    assert.match(String(first.headers['cache-control']), /public, max-age=300/);
    assert.deepEqual(pngSize(first.rawPayload), { width: 1200, height: 630 });
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'share-card-0.png'), first.rawPayload);
    assert.equal(await renders(), 1);

    for (let i = 0; i < 5; i++) {
      const again = await t.app.inject({ url: `/c/${campaign.slug}/card.png` });
      assert.equal(again.headers.etag, first.headers.etag);
      assert.ok(again.rawPayload.equals(first.rawPayload));
    }
    const revalidated = await t.app.inject({ url: `/c/${campaign.slug}/card.png`, headers: { 'if-none-match': String(first.headers.etag) } });
    assert.equal(revalidated.statusCode, 304);
    assert.equal(revalidated.rawPayload.length, 0);
    assert.equal(await renders(), 1, 'six requests, one render');

    // A supporter confirmed changes the count, so the card is new; so does a new title.
    await submit(t.app, campaign.slug, supporter(1));
    const token = (await confirmationTokens(t.app)).get(supporter(1).email)!;
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` })).statusCode, 200);
    const counted = await t.app.inject({ url: `/c/${campaign.slug}/card.png` });
    assert.notEqual(counted.headers.etag, first.headers.etag);
    writeFileSync(join(artifacts, 'share-card-1.png'), counted.rawPayload);
    assert.equal(await renders(), 2);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, headers: auth, payload: { title: 'Free Pastor Makset' } });
    const retitled = await t.app.inject({ url: `/c/${campaign.slug}/card.png` });
    assert.notEqual(retitled.headers.etag, counted.headers.etag);
    assert.equal(await renders(), 3);
  });

  it('draws Cyrillic titles with the embedded DejaVu fonts', async () => {
    const { campaign: ru } = await readyCampaign(t.app, {
      title: 'Остановите экстрадицию пастора Максета в Узбекистан',
      summary: 'Признанному беженцу грозит выдача.',
      locale: 'ru',
      goal: 1000,
      sender: { name: 'Друзья Максета' },
    });
    const card = await t.app.inject({ url: `/c/${ru.slug}/card.png` });
    assert.deepEqual(pngSize(card.rawPayload), { width: 1200, height: 630 });
    writeFileSync(join(artifacts, 'share-card-ru.png'), card.rawPayload);
  });

  it('an unknown or draft campaign has no card', async () => {
    assert.equal((await t.app.inject({ url: '/c/no-such-campaign/card.png' })).statusCode, 404);
  });

  it('wraps a long title within the card and ends what does not fit with an ellipsis', () => {
    const lines = wrapText('Free '.repeat(60), 56, 1056, 4);
    assert.equal(lines.length, 4);
    assert.ok(lines[3]!.endsWith('…'));
    const word = wrapText('Ааааааааааааааааааааааааааааааааааааааааааааааааааа', 56, 1056, 4);
    assert.ok(word.length >= 2, 'a word wider than the card is cut');
  });
});
