import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { neutralizeCell } from '../src/render/csv-cell.js';
import { ADMIN_KEY, auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { formSession, postForm } from './helpers/pages.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';

/** Cells a spreadsheet would run as a formula: behind whitespace, or spelled in fullwidth forms. */
const hostile = ['\n=1+1', ' =1+1', '\u00a0=1+1', '\t=1+1', '\r\n @SUM(A1)', '＝HYPERLINK("http://evil.example.org")', '＋1', '－1', '＠SUM(A1)', '\u3000=1'];

describe('CSV formula neutralization', () => {
  it('prefixes a cell whose first non-whitespace character, after NFKC, starts a formula', () => {
    for (const cell of [...hostile, '=1', '+1', '-1', '@A1', '\t', '\r']) assert.equal(neutralizeCell(cell), `'${cell}`, JSON.stringify(cell));
    for (const cell of ['Almaty', 'Jane Roe', 'a=b', ' text', '', '1-2', '—dash']) assert.equal(neutralizeCell(cell), cell, JSON.stringify(cell));
    assert.equal(neutralizeCell(null), '');
    assert.equal(neutralizeCell(undefined), '');
  });

  describe('in the letters export', () => {
    let t: TestApp;
    before(async () => {
      t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
    });
    after(() => t.close());

    it('neutralizes every such note and name in the downloaded CSV', async () => {
      const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
      for (const [i, note] of hostile.entries()) {
        const res = await submit(t.app, campaign.slug, { ...supporter(`csv${i}`), note, ...(i === 0 ? { name: '＝cmd|calc' } : {}) });
        assert.equal(res.statusCode, 202, res.body);
      }
      const res = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters.csv`, headers: auth });
      assert.equal(res.statusCode, 200);
      for (const cell of [...hostile, '＝cmd|calc']) {
        const quoted = cell.replaceAll('"', '""'); // as CSV writes it inside a quoted field
        assert.ok(res.body.includes(`'${quoted}`), `${JSON.stringify(cell)} neutralized`);
        assert.ok(!res.body.includes(`,${quoted}`) && !res.body.includes(`"${quoted}`), `${JSON.stringify(cell)} never bare`);
      }
    });

    it('is never kept by a cache, from the API or from the dashboard', async () => {
      const { campaign } = await readyCampaign(t.app, { confirmation: 'none' });
      await submit(t.app, campaign.slug, supporter('cache'));
      const api = await t.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters.csv`, headers: auth });
      assert.equal(api.headers['cache-control'], 'no-store');
      // Excel opens it as UTF-8 only with a byte-order mark first.
      assert.ok(api.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'starts with the UTF-8 BOM');
      assert.match(api.body, /^\ufeffid,created_at,/);

      const { cookie, token } = await formSession(t.app, '/admin');
      const signedIn = await postForm(t.app, '/admin/sign-in', [['_csrf', token], ['key', ADMIN_KEY]], cookie);
      const session = [signedIn.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('chorus_admin='))!.split(';')[0];
      const dashboard = await t.app.inject({ url: `/admin/campaigns/${campaign.id}/letters.csv`, headers: { cookie: `${cookie}; ${session}` } });
      assert.equal(dashboard.statusCode, 200);
      assert.match(dashboard.body, /supportercache@example\.org/);
      assert.equal(dashboard.headers['cache-control'], 'no-store');
    });
  });
});
