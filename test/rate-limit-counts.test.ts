import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/build-app.js';

let t: TestApp;
before(async () => {
  t = await buildTestApp();
});
after(() => t.close());

const hit = (key: string, at: string, windowMs = 60_000) => t.app.store.rateLimits.hit(key, new Date(at), windowMs);

test('hits made at the same moment are each counted once, in their own place in the window, per key', async () => {
  const at = '2026-03-01T10:00:00.000Z';
  // Many at once: they go out in a few coalesced statements, yet every caller gets its own count.
  const [a, b] = await Promise.all([Promise.all(Array.from({ length: 60 }, () => hit('a', at))), Promise.all(Array.from({ length: 25 }, () => hit('b', at)))]);
  assert.deepEqual(a.map((h) => h.hits).sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => i + 1));
  assert.deepEqual(b.map((h) => h.hits).sort((x, y) => x - y), Array.from({ length: 25 }, (_, i) => i + 1));
  assert.ok(a.every((h) => h.resetsAt === '2026-03-01T10:01:00.000Z'));
  // The next hit goes on counting in the same window.
  assert.equal((await hit('a', '2026-03-01T10:00:30.000Z')).hits, 61);
});

test('a window that has ended starts again at the hits made in the new one', async () => {
  const results = await Promise.all([hit('c', '2026-03-01T11:00:00.000Z'), hit('c', '2026-03-01T11:00:00.000Z')]);
  assert.deepEqual(results.map((r) => r.hits).sort(), [1, 2]);
  const later = await Promise.all([hit('c', '2026-03-01T11:05:00.000Z'), hit('c', '2026-03-01T11:05:00.000Z'), hit('c', '2026-03-01T11:05:00.000Z')]);
  assert.deepEqual(later.map((r) => r.hits).sort(), [1, 2, 3]);
  assert.ok(later.every((r) => r.resetsAt === '2026-03-01T11:06:00.000Z'));
});
