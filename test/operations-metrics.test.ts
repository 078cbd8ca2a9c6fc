import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { manualClock, queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const scrapeHeaders = { authorization: `Bearer ${METRICS_TOKEN}` };

async function scrape(t: TestApp): Promise<string> {
  const res = await t.app.inject({ url: '/metrics', headers: scrapeHeaders });
  assert.equal(res.statusCode, 200, res.body);
  return res.body;
}

/** The value of one sample (`name{labels}` exactly as Prometheus text writes it). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no sample ${series}`);
  return Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  const apps: TestApp[] = [];
  const open = async (env: Record<string, string> = {}, overrides = {}) => {
    const t = await buildTestApp({ METRICS_TOKEN, RATE_LIMIT_PER_MINUTE: '1000', ...env }, overrides);
    apps.push(t);
    return t;
  };
  /** Directories of apps closed by the test itself, removed once the apps using their files are closed too. */
  const dirs: string[] = [];
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((t) => t.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    await smtp?.close();
    smtp = undefined;
  });

  it('is a 404 when METRICS_TOKEN is unset', async () => {
    const t = await buildTestApp();
    apps.push(t);
    const res = await t.app.inject({ url: '/metrics', headers: scrapeHeaders });
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['content-type'], 'application/problem+json');
  });

  it('wants the token as a bearer: 401 with WWW-Authenticate without it or with another one', async () => {
    const t = await open();
    for (const headers of [{}, { authorization: 'Bearer metrics-token-0123456789abcdeX' }, { authorization: METRICS_TOKEN }, auth]) {
      const res = await t.app.inject({ url: '/metrics', headers });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.match(String(res.headers['www-authenticate']), /^Bearer /);
      assert.equal(res.headers['content-type'], 'application/problem+json');
    }
    const ok = await t.app.inject({ url: '/metrics', headers: scrapeHeaders });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    for (const name of [
      'chorus_letters_total',
      'chorus_outbox_queued',
      'chorus_outbox_oldest_queued_seconds',
      'chorus_delivery_attempts_total',
      'chorus_http_requests_total',
      'chorus_http_request_duration_seconds',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.match(ok.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  it('counts requests by route pattern: no slug, token, address or unknown path ever becomes a label', async () => {
    const t = await open();
    const { campaign } = await readyCampaign(t.app);
    await t.app.inject({ url: `/api/v1/actions/${campaign.slug}` });
    await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` });
    await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` });
    await t.app.inject({ method: 'POST', url: '/api/v1/confirmations/secret-confirmation-token-123456' });
    await t.app.inject({ url: `/api/v1/supporters/export?email=${encodeURIComponent('jane@example.org')}`, headers: auth });
    await t.app.inject({ url: '/wp-admin/jane@example.org/setup.php' });
    const text = await scrape(t);
    assert.equal(sample(text, 'chorus_http_requests_total{method="GET",route="/api/v1/actions/:slug/count",status="200"}'), 2);
    assert.equal(sample(text, 'chorus_http_requests_total{method="GET",route="/api/v1/actions/:slug",status="200"}'), 1);
    assert.equal(sample(text, 'chorus_http_requests_total{method="POST",route="/api/v1/confirmations/:token",status="404"}'), 1);
    assert.equal(sample(text, 'chorus_http_requests_total{method="GET",route="unmatched",status="404"}'), 1);
    assert.equal(sample(text, 'chorus_http_request_duration_seconds_count{method="GET",route="/api/v1/actions/:slug/count"}'), 2);
    assert.equal(sample(text, 'chorus_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/actions/:slug/count"}'), 2);
    for (const secret of [campaign.slug, 'secret-confirmation-token', 'jane', 'wp-admin']) assert.ok(!text.includes(secret), secret);
  });

  it('two apps in one process keep their own figures', async () => {
    const a = await open();
    const b = await open();
    await a.app.inject({ url: '/healthz' });
    await a.app.inject({ url: '/healthz' });
    assert.equal(sample(await scrape(a), 'chorus_http_requests_total{method="GET",route="/healthz",status="200"}'), 2);
    assert.doesNotMatch(await scrape(b), /route="\/healthz"/);
  });

  it('letters by status and the outbox backlog come from the database: right after a restart', async () => {
    const clock = manualClock('2026-03-02T09:00:00.000Z');
    const first = await open({}, { clock });
    await queuedLetters(first.app, 3);
    const other = await readyCampaign(first.app, { confirmation: 'email' });
    assert.equal((await submit(first.app, other.campaign.slug, supporter('p'))).statusCode, 202);
    const queued = (await first.app.store.sql.value<number>("SELECT count(*) FROM outbox WHERE status = 'queued'"))!;
    assert.ok(queued >= 3);
    await first.app.close();
    apps.splice(apps.indexOf(first), 1);
    dirs.push(first.dir);

    clock.advance(90_000);
    const again = await open({ ...first.dbEnv }, { clock });
    const text = await scrape(again);
    assert.equal(sample(text, 'chorus_letters_total{status="queued"}'), 3);
    assert.equal(sample(text, 'chorus_letters_total{status="pending_confirmation"}'), 2, 'two targets');
    assert.equal(sample(text, 'chorus_letters_total{status="sent"}'), 0);
    assert.equal(sample(text, 'chorus_outbox_queued'), queued);
    assert.equal(sample(text, 'chorus_outbox_oldest_queued_seconds'), 90);
  });

  it('counts delivery attempts by result from the letters leaving `sending`', async () => {
    // The first letter of supporter 1 meets a temporary refusal, supporter 2's a permanent one.
    let refusedOnce = false;
    smtp = await startSmtp((_n, raw) => {
      const text = raw.toString();
      if (!text.includes('prosecutor-general@example.kz')) return 'accept';
      if (text.includes('supporter1@example.org') && !refusedOnce) {
        refusedOnce = true;
        return { code: 451, message: '4.7.1 Try again later' };
      }
      if (text.includes('supporter2@example.org')) return { code: 550, message: '5.1.1 No such mailbox' };
      return 'accept';
    });
    const clock = manualClock();
    const t = await open({ MAIL_TRANSPORT: smtp.url, RETRY_BASE_MS: '1000' }, { clock });
    await queuedLetters(t.app, 3);
    await t.app.delivery.worker.drain();
    clock.advance(10_000);
    await t.app.delivery.worker.drain();
    const text = await scrape(t);
    assert.equal(sample(text, 'chorus_delivery_attempts_total{result="sent"}'), 2);
    assert.equal(sample(text, 'chorus_delivery_attempts_total{result="retry"}'), 1);
    assert.equal(sample(text, 'chorus_delivery_attempts_total{result="failed"}'), 1);
    assert.equal(sample(text, 'chorus_delivery_attempts_total{result="held"}'), 0);
    assert.equal(sample(text, 'chorus_letters_total{status="sent"}'), 2);
    assert.equal(sample(text, 'chorus_letters_total{status="failed"}'), 1);
  });
});
