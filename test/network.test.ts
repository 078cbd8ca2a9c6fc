import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coarseIp } from '../src/domain/network.js';
import { buildTestApp } from './helpers/build-app.js';
import { readyCampaign, supporter } from './helpers/supporters.js';

describe('coarseIp keeps the network, never the host', () => {
  const cases: [string, string | null][] = [
    ['203.0.113.77', '203.0.113.0/24'],
    ['10.0.0.1', '10.0.0.0/24'],
    ['::1', '::/48'],
    ['0:0:0:0:0:0:0:1', '::/48'],
    ['2001::dead:beef:1:2', '2001::/48'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['2001:DB8:0:0:1::1', '2001:db8::/48'],
    ['2001:db8:abcd:ffff:ffff:ffff:ffff:ffff', '2001:db8:abcd::/48'],
    ['fe80::1%eth0', 'fe80::/48'],
    ['::ffff:198.51.100.9', '198.51.100.0/24'],
    ['::ffff:c633:6409', '198.51.100.0/24'],
    ['', null],
    ['not an address', null],
    ['203.0.113', null],
  ];
  for (const [ip, expected] of cases) {
    it(`${JSON.stringify(ip)} → ${String(expected)}`, () => assert.equal(coarseIp(ip), expected));
  }

  it('is what a submission stores', async () => {
    const t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '100' });
    try {
      const { campaign } = await readyCampaign(t.app);
      for (const [n, remoteAddress] of [['v6', '2001::dead:beef:1:2'], ['loop', '::1'], ['mapped', '::ffff:198.51.100.9']] as const) {
        const res = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${campaign.slug}/letters`, payload: supporter(n), remoteAddress });
        assert.equal(res.statusCode, 202, res.body);
      }
      const stored = (await t.app.store.sql.all<{ ip: string }>('SELECT ip FROM supporters')).map((r) => r.ip).sort();
      assert.deepEqual(stored, ['198.51.100.0/24', '2001::/48', '::/48']);
    } finally {
      await t.close();
    }
  });
});
