import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, classify } from '../src/delivery/failures.js';
import { UnsendableError } from '../src/delivery/messages.js';

describe('retry policy', () => {
  it('backs off exponentially from the base, with jitter on top, capped', () => {
    const hour = 3_600_000;
    assert.equal(backoffMs(1, 60_000, 4 * hour, () => 0), 60_000);
    assert.equal(backoffMs(1, 60_000, 4 * hour, () => 1), 75_000);
    assert.equal(backoffMs(4, 60_000, 4 * hour, () => 0), 480_000);
    assert.equal(backoffMs(30, 60_000, 4 * hour, () => 1), 4 * hour);
    const spread = new Set(Array.from({ length: 50 }, () => backoffMs(3, 60_000, 4 * hour)));
    assert.ok(spread.size > 10, 'jitter spreads retries');
  });

  it('classifies SMTP replies and network errors', () => {
    const smtp = (responseCode: number) => Object.assign(new Error('x'), { responseCode, response: `${responseCode} reply` });
    assert.equal(classify(smtp(451)).kind, 'temporary');
    assert.equal(classify(smtp(421)).kind, 'temporary');
    assert.equal(classify(smtp(503)).kind, 'temporary');
    assert.deepEqual(classify(smtp(550)), { kind: 'permanent', reason: '550 reply' });
    assert.equal(classify(smtp(554)).kind, 'permanent');
    assert.equal(classify(Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' })).kind, 'temporary');
    assert.equal(classify(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' })).kind, 'temporary');
    assert.equal(classify(new UnsendableError('no valid email address')).kind, 'permanent');
    assert.equal(classify(new TypeError('x is undefined')).kind, 'unexpected');
  });
});
