import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { until } from './helpers/worker-process.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const limit = { timeout: 60_000 };

describe('load shedding', () => {
  let t: TestApp | undefined;
  let busy: NodeJS.Timeout | undefined;
  afterEach(async () => {
    clearInterval(busy);
    await t?.close();
  });

  const status = async (url: string) => (await t!.app.inject({ url })).statusCode;

  it('past the heap threshold every request gets a 503 problem with Retry-After, but /healthz and /metrics answer', limit, async () => {
    // A 1-byte heap threshold is crossed from the first sample on, for as long as the app runs.
    t = await buildTestApp({ METRICS_TOKEN }, { pressure: { maxHeapUsedBytes: 1, sampleIntervalMs: 10 } });
    await until(async () => (await status('/api/v1/actions/anything')) === 503, 'the first sample');
    assert.equal(t.app.isUnderPressure(), true);

    const shed = await t.app.inject({ url: '/api/v1/actions/anything', headers: { 'x-request-id': 'busy-1' } });
    assert.equal(shed.statusCode, 503);
    assert.equal(shed.headers['content-type'], 'application/problem+json');
    assert.equal(shed.headers['retry-after'], '5');
    assert.equal(shed.headers['x-request-id'], 'busy-1');
    assert.deepEqual(shed.json(), {
      type: 'urn:chorus:problem:overloaded',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The service is overloaded; try again after the time in Retry-After',
      instance: 'busy-1',
    });
    // Refused before anything else runs: no authentication, no body, no page rendering.
    const post = await t.app.inject({ method: 'POST', url: '/api/v1/campaigns', payload: '{not json' });
    assert.equal(post.statusCode, 503, 'neither a 401 nor a 400');
    assert.equal((await t.app.inject({ url: '/api/v1/campaigns', headers: auth })).statusCode, 503);
    assert.equal(await status('/c/anything'), 503);
    assert.equal(await status('/readyz'), 503, 'readiness says: send traffic elsewhere');

    assert.equal(await status('/healthz'), 200);
    const metrics = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /^chorus_http_requests_total\{method="GET",route="\/api\/v1\/actions\/:slug",status="503"\} [1-9]/m);
  });

  it('sheds while the event loop is kept busy, and stops once it is free again', limit, async () => {
    t = await buildTestApp({}, { pressure: { maxEventLoopDelayMs: 100, sampleIntervalMs: 100 } });
    // Every turn of the event loop now spends 250 ms in synchronous work: a mean delay near
    // 240 ms, however busy or idle the machine is (a busier machine only makes it longer).
    busy = setInterval(() => {
      const end = performance.now() + 250;
      while (performance.now() < end);
    }, 1);
    await until(async () => (await status('/api/v1/actions/anything')) === 503, 'shedding under a busy event loop');
    assert.ok(t.app.memoryUsage().eventLoopDelay > 100, String(t.app.memoryUsage().eventLoopDelay));
    assert.equal(await status('/healthz'), 200);

    // Free again, the mean falls far below 100 ms within a sample or two (nothing here needs an idle machine for that).
    clearInterval(busy);
    await until(async () => (await status('/api/v1/actions/anything')) === 404, 'answering again');
  });
});
