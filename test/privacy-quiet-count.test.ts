import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { manualClock, minute } from './helpers/delivery.js';
import { followSigned, postForm } from './helpers/pages.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';
import { countEvents } from './helpers/sse.js';

// Red-team finding 2: in a `confirmation: none` campaign a new address moves the counters at
// once and a duplicate moves nothing, so the public count, the SSE stream and the signed page
// told whoever watched them whether an address had signed before.

describe('the public count of a campaign without confirmation refreshes at most once a minute', () => {
  let t: TestApp;
  let base: string;
  const clock = manualClock();
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => t.close());

  const count = (slug: string, etag?: string) =>
    t.app.inject({ url: `/api/v1/actions/${slug}/count`, headers: etag ? { 'if-none-match': etag } : {} });

  it('answers the same figure and ETag whether a new address or a returning one signed, until the minute is over', async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, supporter('quiet-a'));
    const first = await count(campaign.slug);
    assert.equal(first.json().supporters, 1);
    const etag = first.headers.etag as string;

    clock.advance(10_000);
    await submit(t.app, campaign.slug, supporter('quiet-b'));
    const afterNew = await count(campaign.slug);
    await submit(t.app, campaign.slug, supporter('quiet-a'));
    const afterDuplicate = await count(campaign.slug);
    assert.equal(afterNew.body, first.body, 'a new signer does not show yet');
    assert.equal(afterDuplicate.body, first.body);
    assert.equal(afterNew.headers.etag, etag);
    assert.equal((await count(campaign.slug, etag)).statusCode, 304, 'the ETag follows the published figure');
    const view = (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}` })).json();
    assert.deepEqual(view.counts, first.json(), 'the public view shows the same figure');
    assert.match((await t.app.inject({ url: `/c/${campaign.slug}` })).body, /<strong data-count="supporters">1<\/strong>/);
    assert.match((await t.app.inject({ url: `/embed/${campaign.slug}/badge.svg` })).body, />1 supporter</);

    clock.advance(50_000);
    const refreshed = await count(campaign.slug, etag);
    assert.equal(refreshed.statusCode, 200);
    assert.equal(refreshed.json().supporters, 2);
    assert.notEqual(refreshed.headers.etag, etag);
    assert.match(refreshed.json().updatedAt, /:00\.000Z$/, 'updatedAt is cut to the minute: it must not time a signature');
    assert.equal((await count(campaign.slug, refreshed.headers.etag as string)).statusCode, 304);
  });

  it('shows the signed page the published figure, not one the signature just moved', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app, { confirmation: 'none' });
    assert.equal((await count(campaign.slug)).json().supporters, 0);
    const signer = (n: string): [string, string][] => [
      ['name', `Signer ${n}`],
      ['email', `signer-${n}@example.org`],
      ['country', 'KZ'],
      ['targetIds', prosecutor.id],
    ];
    const signed = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer('one')));
    assert.equal(signed.statusCode, 200);
    assert.match(signed.body, /Your letter is on its way/);
    assert.match(signed.body, /<strong data-count="supporters">0<\/strong>/);
    const again = await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer('one')));
    // Each redirect seals the form afresh (a random IV): the page is otherwise the same.
    const same = (html: string) => html.replace(/nonce="[^"]*"/g, '').replace(/ticket(=|&#x3D;)[\w-]+/g, 'ticket=T');
    assert.equal(same(again.body), same(signed.body), 'a duplicate sees exactly the same page');
    clock.advance(minute);
    assert.match((await followSigned(t.app, await postForm(t.app, `/c/${campaign.slug}`, signer('two')))).body, /<strong data-count="supporters">1<\/strong>/);
  });

  it('sends SSE count events only when the figure is published', { timeout: 20_000 }, async () => {
    const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
    await submit(t.app, campaign.slug, supporter('sse-1'));
    const controller = new AbortController();
    const stream = await fetch(`${base}/api/v1/actions/${campaign.slug}/events`, { signal: controller.signal });
    const events = countEvents(stream.body!);
    assert.equal((await events.next()).value!.supporters, 1);
    const { tick } = t.app.services.events;

    clock.advance(1000);
    await submit(t.app, campaign.slug, supporter('sse-2'));
    await tick();
    clock.advance(30_000);
    await submit(t.app, campaign.slug, supporter('sse-3'));
    await tick();
    clock.advance(30_000);
    await tick();
    // Had an event gone out before the minute was over, it would say 2 and come first.
    assert.equal((await events.next()).value!.supporters, 3);
    controller.abort();
  });

  it('keeps the count of a campaign with email confirmation live (confirming takes a link only its owner has)', async () => {
    const { campaign } = await readyCampaign(t.app);
    assert.equal((await count(campaign.slug)).json().supporters, 0);
    await submit(t.app, campaign.slug, supporter('live'));
    const token = (await confirmationTokens(t.app)).get('supporterlive@example.org')!;
    await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` });
    assert.equal((await count(campaign.slug)).json().supporters, 1);
  });
});
