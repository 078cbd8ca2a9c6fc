import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, testEngine, type TestApp } from './helpers/build-app.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';
import { failWrites } from './helpers/storage-failure.js';
import { supporter } from './helpers/supporters.js';
import { until } from './helpers/worker-process.js';
import { countEvents } from './helpers/sse.js';

/** Supporters in the big test; each writes one letter. Two instances take them in turns. */
const supporters = 1000;
const limit = 5;

/** A client address per supporter (10.0.0.0/8), so that the small limit binds only where a test means it to. */
const clientOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const submit = (app: FastifyInstance, slug: string, payload: object, remoteAddress: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: `/api/v1/actions/${slug}/letters`, payload, remoteAddress, headers });
const confirm = (app: FastifyInstance, token: string, remoteAddress: string) =>
  app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}`, remoteAddress });
const count = async (app: FastifyInstance, slug: string) => (await app.inject({ url: `/api/v1/actions/${slug}/count` })).json() as { supporters: number; letters: number; delivered: number };

/** A campaign asking for email confirmation, with one target and one template, made on `app`. */
async function campaignOn(app: FastifyInstance) {
  const campaign = await createCampaign(app, { confirmation: 'email' });
  await createTarget(app, campaign.id);
  await createTemplate(app, campaign.id);
  return campaign;
}

/** What the SMTP server received, read once per message: letters by Message-ID, other mail parsed. */
function inbox(smtp: TestSmtp) {
  let read = 0;
  const messageIds: string[] = [];
  const letterIds: string[] = [];
  /** Confirmation tokens by recipient address, in the order they came. */
  const confirmations = new Map<string, string[]>();
  async function update() {
    for (; read < smtp.raw.length; read++) {
      const raw = smtp.raw[read]!;
      const id = /^Message-ID: <([^@>]+)@/im.exec(raw.toString('latin1'))![1]!;
      messageIds.push(id);
      if (id.startsWith('ltr_')) {
        letterIds.push(id);
        continue;
      }
      const mail = await simpleParser(raw);
      const token = /\/confirm\/([\w-]+)/.exec(mail.text ?? '')?.[1];
      const to = (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address ?? '';
      if (token) confirmations.set(to, [...(confirmations.get(to) ?? []), token]);
    }
  }
  return { update, messageIds, letterIds, confirmations };
}

describe('two instances on one PostgreSQL database', { skip: testEngine !== 'postgres' && 'PostgreSQL pass only', timeout: 120_000 }, () => {
  let smtp: TestSmtp;
  let mail: ReturnType<typeof inbox>;
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    smtp = await startSmtp();
    mail = inbox(smtp);
    // Each instance runs its own delivery worker (WORKER=inline): two workers claim from one outbox.
    const env = { MAIL_TRANSPORT: smtp.url, MAIL_FROM: 'Chorus <letters@example.org>', WORKER: 'inline', RATE_LIMIT_PER_MINUTE: String(limit) };
    a = await buildTestApp(env);
    b = await buildTestApp({ ...env, ...a.dbEnv });
  });
  after(async () => {
    // B first: A's close drops the database.
    await b?.close();
    await a?.close();
    await smtp?.close();
  });

  it(`${supporters} supporters over both instances, duplicates included, confirmed through the other: exact equal counts, every letter delivered once`, async (ctx) => {
    const campaign = await campaignOn(a.app);
    const instance = (i: number) => (i % 2 === 0 ? a : b).app;
    const other = (i: number) => (i % 2 === 0 ? b : a).app;
    const started = Date.now();

    // Every tenth supporter also submits to the other instance at the same moment; every tenth
    // (others) submits there again once the first wave has been answered.
    const wave = await Promise.all(
      Array.from({ length: supporters }, (_, i) => [
        submit(instance(i), campaign.slug, supporter(i), clientOf(i)),
        ...(i % 10 === 0 ? [submit(other(i), campaign.slug, supporter(i), clientOf(i))] : []),
      ]).flat(),
    );
    const again = await Promise.all(
      Array.from({ length: supporters }, (_, i) => i).filter((i) => i % 10 === 5).map((i) => submit(other(i), campaign.slug, supporter(i), clientOf(i))),
    );
    for (const res of [...wave, ...again]) {
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), { status: 'pending_confirmation' });
    }
    ctx.diagnostic(`${wave.length + again.length} submissions answered after ${Date.now() - started} ms`);

    // The confirmation mails arrive through the real SMTP server, sent by either worker.
    await until(async () => {
      await mail.update();
      return mail.confirmations.size >= supporters;
    }, `${supporters} confirmation mails`, 60_000, 100);
    // Signing again while the letters wait for confirmation sends a fresh link (the first keeps
    // working): one mail per signature of a supporter, who signed once, twice at once or again.
    for (let i = 0; i < supporters; i++) {
      const n = mail.confirmations.get(supporter(i).email)?.length ?? 0;
      assert.ok(n >= 1 && n <= 3, `one confirmation mail per signature to supporter ${i}, got ${n}`);
    }
    ctx.diagnostic(`confirmation mails received after ${Date.now() - started} ms`);

    const confirmed = await Promise.all(
      Array.from({ length: supporters }, (_, i) => confirm(other(i), mail.confirmations.get(supporter(i).email)![0]!, clientOf(i))),
    );
    for (const res of confirmed) assert.equal(res.statusCode, 200, res.body);
    ctx.diagnostic(`confirmed after ${Date.now() - started} ms`);

    await until(async () => {
      await mail.update();
      return mail.letterIds.length >= supporters;
    }, `${supporters} letters at the SMTP server`, 60_000, 100);
    const letters: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = (await a.app.inject({ url: `/api/v1/campaigns/${campaign.id}/letters?limit=500${cursor ? `&cursor=${cursor}` : ''}`, headers: auth })).json() as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      letters.push(...page.items.map((l) => l.id));
      if (!(cursor = page.nextCursor)) break;
    }
    assert.equal(letters.length, supporters, 'one letter per supporter, however often they submitted');
    // Settle: a late duplicate would arrive now.
    await until(async () => (await count(a.app, campaign.slug)).delivered === supporters && (await count(b.app, campaign.slug)).delivered === supporters, 'every delivery recorded', 30_000, 100);
    await mail.update();
    assert.deepEqual([...mail.letterIds].sort(), [...letters].sort(), 'every letter arrived exactly once');
    assert.equal(new Set(mail.messageIds).size, mail.messageIds.length, 'no message of any kind arrived twice');

    const expected = { supporters, letters: supporters, delivered: supporters };
    for (const t of [a, b]) {
      const c = await count(t.app, campaign.slug);
      assert.deepEqual({ supporters: c.supporters, letters: c.letters, delivered: c.delivered }, expected);
    }
    assert.deepEqual(await count(a.app, campaign.slug), await count(b.app, campaign.slug), 'both instances answer the same count');
    assert.equal((await recount(a.app.store)).drift, 0);
    ctx.diagnostic(`${smtp.raw.length} messages in all after ${Date.now() - started} ms`);
  });

  it('an SSE count stream on A gets the count of a confirmation made on B', async (ctx) => {
    const campaign = await campaignOn(b.app);
    const base = await a.app.listen({ host: '127.0.0.1', port: 0 });
    const abort = new AbortController();
    try {
      const stream = await fetch(`${base}/api/v1/actions/${campaign.slug}/events`, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
      assert.equal(stream.status, 200);
      const events = countEvents(stream.body!);
      assert.equal((await events.next()).value?.supporters, 0);

      const email = 'supporter-sse@example.org';
      assert.equal((await submit(b.app, campaign.slug, { ...supporter('sse'), email }, '192.0.2.50')).statusCode, 202);
      await until(async () => {
        await mail.update();
        return mail.confirmations.has(email);
      }, 'the confirmation mail', 30_000, 50);
      assert.equal((await confirm(b.app, mail.confirmations.get(email)![0]!, '192.0.2.50')).statusCode, 200);
      const confirmedAt = Date.now();

      // Counts move on A only through B's commit: A's ticker learns of it from PostgreSQL's NOTIFY.
      let timer: NodeJS.Timeout | undefined;
      const next = Promise.race([
        (async () => {
          for (;;) {
            const { value, done } = await events.next();
            if (done) throw new Error('the stream ended');
            if (value.supporters === 1) return value;
          }
        })(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no count event within 10 s')), 10_000))),
      ]).finally(() => clearTimeout(timer));
      const event = await next;
      assert.equal(event.letters, 1);
      ctx.diagnostic(`count event on A ${Date.now() - confirmedAt} ms after the confirmation on B`);
    } finally {
      abort.abort();
    }
  });

  it('the submission limit holds across both instances: the (limit+1)th is a 429 whichever instance gets it', async () => {
    const campaign = await campaignOn(a.app);
    const client = '198.51.100.77';
    for (const first of [a, b]) {
      const second = first === a ? b : a;
      const from = first === a ? client : '198.51.100.78';
      const via = (n: number) => (n % 2 === 0 ? first : second).app;
      for (let n = 0; n < limit; n++) {
        assert.equal((await submit(via(n), campaign.slug, supporter(`rl-${from}-${n}`), from)).statusCode, 202, `submission ${n + 1}`);
      }
      const refused = await submit(via(limit), campaign.slug, supporter(`rl-${from}-${limit}`), from);
      assert.equal(refused.statusCode, 429, `the ${limit + 1}th, on ${via(limit) === a.app ? 'A' : 'B'}`);
      assert.equal(refused.headers['content-type'], 'application/problem+json');
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal((await submit(via(limit + 1), campaign.slug, supporter(`rl-${from}-x`), from)).statusCode, 429, 'and on the other instance too');
      // Confirmations count in a bucket of their own: an unknown token is a 404, not a 429.
      assert.equal((await confirm(via(limit), 'no-such-token-0123456789', from)).statusCode, 404);
    }
    assert.equal((await submit(b.app, campaign.slug, supporter('rl-other'), '198.51.100.79')).statusCode, 202, 'another client has its own bucket');
  });

  it('when the limit cannot be counted, a submission is refused with a 503, not let through', async () => {
    const campaign = await campaignOn(a.app);
    const restore = await failWrites(a.app.store.sql, { name: 'rate_limits_fail', table: 'rate_limits', before: 'INSERT', message: 'the disk failed' });
    try {
      const res = await submit(b.app, campaign.slug, supporter('down'), '198.51.100.90');
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.doesNotMatch(res.body, /disk|rate_limits/);
    } finally {
      await restore();
    }
    const stats = (await a.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json() as { supporters: { pending: number } };
    assert.equal(stats.supporters.pending, 0, 'the refused submission wrote nothing');
    assert.equal((await submit(b.app, campaign.slug, supporter('down'), '198.51.100.90')).statusCode, 202);
  });

  it("an Idempotency-Key replayed on B returns A's stored response", async () => {
    const campaign = await campaignOn(a.app);
    const client = '198.51.100.120';
    const headers = { 'idempotency-key': 'several-instances-1' };
    const first = await submit(a.app, campaign.slug, supporter('idem'), client, headers);
    assert.equal(first.statusCode, 202);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const replay = await submit(b.app, campaign.slug, supporter('idem'), client, headers);
    assert.equal(replay.statusCode, 202);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body, first.body);
    const otherBody = await submit(b.app, campaign.slug, supporter('idem-2'), client, headers);
    assert.equal(otherBody.statusCode, 422, 'B knows the body A stored under the key');
    const stats = (await b.app.inject({ url: `/api/v1/campaigns/${campaign.id}/stats`, headers: auth })).json() as { supporters: { pending: number } };
    assert.equal(stats.supporters.pending, 1);
  });

  it('a campaign without confirmation publishes one count a minute for both instances: a signature on B does not show on either until then', async () => {
    const campaign = await createCampaign(a.app, { confirmation: 'none' });
    await createTarget(a.app, campaign.id);
    await createTemplate(a.app, campaign.id);
    const count = async (app: FastifyInstance) => ((await app.inject({ url: `/api/v1/actions/${campaign.slug}/count` })).json() as { supporters: number }).supporters;
    assert.equal(await count(a.app), 0, 'A publishes the minute\'s figures');
    assert.equal((await submit(b.app, campaign.slug, supporter('quiet'), '198.51.100.130')).statusCode, 202);
    // B has published nothing itself yet: it serves the figures A published, not its own fresh read.
    assert.equal(await count(b.app), 0);
    assert.equal(await count(a.app), 0);
  });

  it('a periodic job runs once per period across both instances', async () => {
    assert.equal(await a.app.jobs.run('retention'), true, 'A takes the turn');
    assert.equal(await b.app.jobs.run('retention'), false, 'B, in the same period, does not');
    assert.equal(await a.app.jobs.run('retention'), false, 'nor does A again');
    const both = await Promise.all([a.app.jobs.run('reminders'), b.app.jobs.run('reminders')]);
    assert.equal(both.filter(Boolean).length, 1, `exactly one of two instances asking at once runs it (${both.join(', ')})`);
  });
});
