import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { SendMailOptions } from 'nodemailer';
import type { LetterStatus, MailPayload } from '../db/schema.js';
import { isUnavailable } from '../store/engine/unavailable.js';
import type { Clock } from '../domain/clock.js';
import type { LetterLifecycle, LetterRef, MoveScope } from '../domain/letter-lifecycle.js';
import type { Store } from '../store/index.js';
import type { Candidate, Claimed, ClaimFence, LetterToSend } from '../store/outbox.js';
import { createDigestJob, removedTarget } from './digest.js';
import { backoffMs, classify } from './failures.js';
import { letterMessage, parseSender, supporterMessage, UnsendableError } from './messages.js';
import { lanes } from './outbox.js';
import type { Mailer } from './transport.js';
import { createWakeableSleep } from './wakeable-sleep.js';

export interface WorkerOptions {
  store: Pick<Store, 'transaction' | 'outbox' | 'pausedDomains' | 'digests' | 'letters'>;
  mailer: Mailer;
  clock: Clock;
  /** Moves letters with their counters; announces the moves once they commit. */
  lifecycle: LetterLifecycle;
  /** MAIL_FROM. */
  mailFrom: string;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** First retry delay after a temporary failure (RETRY_BASE_MS); later ones double, with jitter. */
  retryBaseMs: number;
  /** Longest wait between two attempts. */
  retryCapMs?: number;
  /** A message still failing this long after its first attempt is given up as failed. */
  maxAgeMs: number;
  /** How long a claim stays ours; a crashed worker's rows are claimed again after it. */
  leaseMs?: number;
  /** Unexpected errors (not SMTP, not network) hold a message after this many attempts. */
  holdAfter?: number;
  /** Consecutive temporary (4xx) replies for one recipient domain that pause deliveries to it… */
  pauseAfter?: number;
  /** …for this long. */
  pauseMs?: number;
  /**
   * Longest the worker waits for a send (DELIVERY_SEND_TIMEOUT_SECONDS). A send past it may still
   * be delivered, so it is not retried at once: its lease is no longer renewed, a late answer is
   * still recorded, and only once the lease has run out is the message claimed again.
   */
  sendTimeoutMs?: number;
  /** Messages in flight at once: the window a crash may duplicate. */
  concurrency?: number;
  /** Idle poll for due retries and other processes' writes. */
  pollMs?: number;
  random?: () => number;
}

interface Job {
  id: string;
  kind: string;
  letterId: string | null;
  domain: string | null;
  attempts: number;
  firstAttemptAt: string;
  /** A letter's row as claimed (then `sending`), so its outcome moves it without reading it again. */
  letter?: Omit<LetterRef, 'status'>;
  /** Composed when it is sent, outside any transaction. */
  message: () => Promise<SendMailOptions>;
}

/** `tries`: failed attempts to record it. */
type Outcome = ({ job: Job; ok: true } | { job: Job; ok: false; err: unknown }) & { tries?: number };

/** How often one outcome is tried alone after a statement error (a transient database error is retried without counting). */
const maxRecordTries = 20;

const hour = 3_600_000;

/**
 * The delivery worker: claims due outbox rows with a lease (lane 0 before lane 1), sends them
 * through the mailer with several in flight, and records each outcome with its letter's status
 * and counters in one transaction. Outcomes finishing in the same event-loop turn share a commit.
 */
export function createWorker(opts: WorkerOptions) {
  const { store, mailer, clock, lifecycle } = opts;
  const { outbox, pausedDomains } = store;
  const sender = parseSender(opts.mailFrom);
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const leaseMs = opts.leaseMs ?? 30_000;
  const retryCapMs = opts.retryCapMs ?? 4 * hour;
  const holdAfter = opts.holdAfter ?? 5;
  const pauseAfter = opts.pauseAfter ?? 10;
  const pauseMs = opts.pauseMs ?? hour;
  const relayCapMs = Math.min(retryCapMs, 10 * 60_000);
  const concurrency = opts.concurrency ?? (mailer.kind === 'smtp' ? 20 : 8);
  // Socket timeouts count only inactivity and queued sends wait for a pooled connection: this
  // bounds how long a send holds its place in the window and keeps its lease renewed.
  const sendTimeoutMs = opts.sendTimeoutMs ?? 60_000;
  const pollMs = opts.pollMs ?? 1000;
  const random = opts.random ?? Math.random;
  const digests = createDigestJob({ store, lifecycle, sender });

  /** Moves a letter, as it is now, to `to` with its counters, in the caller's transaction. */
  async function moveLetter(scope: MoveScope, letterId: string, to: LetterStatus, at: string, error: string | null): Promise<void> {
    const l = await store.letters.state(letterId);
    if (l) await lifecycle.move(scope, l, to, at, error);
  }

  // Relay trouble makes the whole worker wait (backing off while it lasts) instead of pausing domains.
  let relayFailures = 0;
  let relayWaitUntil = 0;
  function relayTrouble(now: Date, reason: string): void {
    // Sends that were already out when the wait began fail together: they do not lengthen it.
    if (now.getTime() < relayWaitUntil) return;
    relayFailures += 1;
    relayWaitUntil = now.getTime() + backoffMs(relayFailures, opts.retryBaseMs, relayCapMs, random);
    opts.log?.warn({ failures: relayFailures, until: new Date(relayWaitUntil).toISOString(), reason }, 'mail relay unreachable; delivery waits');
  }

  /**
   * Letters deferred under a per-target limit that has since changed (raised, lowered or
   * removed) are due again at once; the next claim gives them slots under the current limit.
   */
  async function rethrottle(now: Date): Promise<void> {
    const at = now.toISOString();
    // Runs every second: read first, so an idle worker takes no write lock from submissions.
    if (!(await outbox.hasStaleThrottle(at))) return;
    await store.transaction(() => outbox.rethrottle(at));
  }

  /**
   * Claims up to `max` due messages, lane 0 first; letters of a paused campaign wait until it
   * resumes (supporter mail still goes). In the same transaction: expired leases are
   * released, rows for paused domains or throttled targets are moved to their next slot, and each
   * claimed letter becomes `sending`.
   */
  async function claim(max: number): Promise<Job[]> {
    const jobs: Job[] = [];
    if (clock.now().getTime() < relayWaitUntil) return jobs;
    await lifecycle.transaction(async (scope) => {
      const now = clock.now();
      const at = now.toISOString();
      await outbox.reclaim(at, owner, liveIds());
      await pausedDomains.resumeExpired(new Date(now.getTime() - pauseMs).toISOString());
      const paused = new Map((await pausedDomains.paused()).map((p) => [p.domain, p]));
      const slots = new Map<string, { n: number; first: string | null; last: string | null; deferred: number }>();
      // Every candidate leaves the due set (claimed, parked or deferred to a later time), so
      // reading again until the window is full or nothing is due always ends.
      for (const lane of [lanes.supporterMail, lanes.letters]) {
        while (jobs.length < max) {
          const rows = await outbox.candidates(lane, at, max - jobs.length);
          if (rows.length === 0) break;
          const chosen: Candidate[] = [];
          for (const row of rows) {
            const pause = row.domain ? paused.get(row.domain) : undefined;
            if (pause) {
              await outbox.defer(row.id, new Date(Date.parse(pause.pausedAt) + pauseMs).toISOString());
              continue;
            }
            if (row.kind === 'letter' && row.targetId && row.perHour) {
              const slot = await nextSlot(slots, row.targetId, row.perHour, now);
              if (slot > now.getTime()) {
                await outbox.deferThrottled(row.id, new Date(slot).toISOString(), row.perHour);
                continue;
              }
            }
            chosen.push(row);
          }
          // The chosen rows are claimed, and their letters read, in one statement each.
          const claimed = await outbox.claim(chosen.map((r) => r.id), owner, new Date(now.getTime() + leaseMs).toISOString(), at);
          const letters = await outbox.lettersToSend(chosen.filter((r) => r.kind !== 'digest' && r.letterId && claimed.has(r.id)).map((r) => r.letterId!));
          const attempted: string[] = [];
          for (const row of chosen) {
            const c = claimed.get(row.id);
            if (!c) continue;
            const job = await toJob(scope, row, c, at, letters, attempted);
            if (job) jobs.push(job);
          }
          await store.letters.countAttempts(attempted);
        }
      }
    });
    return jobs;
  }

  /**
   * The throttle: letters to one target are spaced an hour / perHour apart and at most perHour
   * fall in any rolling hour. Returns when the next one may go (now or later); a deferred row is
   * given its own later slot, so a backlog drains one by one instead of all rows waking together.
   */
  async function nextSlot(slots: Map<string, { n: number; first: string | null; last: string | null; deferred: number }>, targetId: string, perHour: number, now: Date): Promise<number> {
    let s = slots.get(targetId);
    if (!s) {
      const r = await outbox.claimWindow(targetId, new Date(now.getTime() - hour).toISOString());
      s = { ...r, deferred: 0 };
      slots.set(targetId, s);
    }
    const spacing = hour / perHour;
    let slot = s.last ? Date.parse(s.last) + spacing : now.getTime();
    if (s.n >= perHour && s.first) slot = Math.max(slot, Date.parse(s.first) + hour + 1);
    if (slot <= now.getTime() && s.deferred === 0) {
      s.n += 1;
      s.last = now.toISOString();
      s.first ??= s.last;
      return now.getTime();
    }
    s.deferred += 1;
    return Math.max(slot, now.getTime() + 1) + (s.deferred - 1) * spacing;
  }

  /** What a claimed row needs to become a message; letters move to `sending` (and are added to `attempted`). */
  async function toJob(scope: MoveScope, row: Candidate, claimed: Claimed, at: string, letters: Map<string, LetterToSend>, attempted: string[]): Promise<Job | null> {
    const base = { id: row.id, kind: row.kind, letterId: row.letterId, domain: row.domain, attempts: claimed.attempts, firstAttemptAt: claimed.firstAttemptAt };
    if (row.kind === 'digest') {
      const moved = await digests.claim(row.id, (id, to, error) => moveLetter(scope, id, to, at, error));
      return moved ? { ...base, message: () => digests.message(row.id) } : null;
    }
    if (!row.letterId) {
      const payload = claimed.payload ? (JSON.parse(claimed.payload) as MailPayload) : null;
      return {
        ...base,
        message: async () => {
          if (!payload) throw new Error('supporter mail without a payload');
          return supporterMessage(sender, row.id, payload);
        },
      };
    }
    const letter = letters.get(row.letterId);
    if (!letter || letter.status === 'sent' || letter.status === 'failed' || letter.status === 'held') {
      // Decided elsewhere (moderation, erasure, a previous delivery): this row has nothing to send.
      await outbox.park(row.id, letter?.status === 'held' ? 'held' : letter?.status === 'sent' ? 'sent' : 'failed');
      return null;
    }
    attempted.push(letter.id);
    // Already `sending` when claimed again after a crash.
    if (letter.status !== 'sending') await lifecycle.move(scope, letter, 'sending', at, null);
    return {
      ...base,
      letter: { id: letter.id, campaignId: letter.campaignId, targetId: letter.targetId },
      message: async () => {
        // The organizer removed this target after the letter was queued: it is not sent anywhere.
        if (letter.targetDeletedAt) throw new UnsendableError(removedTarget);
        return letterMessage(sender, { ...letter, letterId: letter.id });
      },
    };
  }

  /** Records one outcome: the outbox row, its letter(s) with counters, the domain's failure streak. */
  async function record(scope: MoveScope, o: Outcome, now: Date, streaksCleared: Set<string>): Promise<void> {
    const at = now.toISOString();
    const { job } = o;
    const fence: ClaimFence = { id: job.id, owner, attempts: job.attempts };
    const letters = async (status: LetterStatus, error: string | null) => {
      // Still `sending` unless moderation or erasure moved it meanwhile: then as it is now.
      const moved = job.letter ? await lifecycle.move(scope, { ...job.letter, status: 'sending' }, status, at, error) : false;
      if (job.letterId && !moved) await moveLetter(scope, job.letterId, status, at, error);
      if (job.kind === 'digest') {
        const left = await digests.settle(job.id, status, (id, to, why) => moveLetter(scope, id, to, at, why));
        for (const id of left) await moveLetter(scope, id, status, at, error);
      }
    };
    if (o.ok) {
      relayFailures = 0;
      if (!(await outbox.sent(fence, at))) return;
      await letters('sent', null);
      // Once per domain per batch, unless a failure for it was counted since.
      if (job.domain && !streaksCleared.has(job.domain)) {
        await pausedDomains.clearStreak(job.domain);
        streaksCleared.add(job.domain);
      }
      return;
    }
    const { kind, reason } = classify(o.err);
    const reply = (o.err as { responseCode?: unknown }).responseCode;
    // No SMTP reply at all (connection refused, reset, timeout): our relay is in trouble, not the
    // recipient's domain. Only a temporary 4xx reply to a message counts against its domain.
    if (kind === 'temporary' && typeof reply !== 'number') relayTrouble(now, reason);
    else if (kind === 'temporary' && typeof reply === 'number' && reply < 500 && job.domain) {
      streaksCleared.delete(job.domain);
      const streak = await pausedDomains.countFailure(job.domain);
      if (streak.n >= pauseAfter && !streak.pausedAt) {
        await pausedDomains.pause(job.domain, at, `${streak.n} consecutive failures; last: ${reason}`.slice(0, 500));
        opts.log?.warn({ domain: job.domain, failures: streak.n }, 'delivery to a domain paused');
      }
    }
    const gaveUp = async (why: string) => {
      if (await outbox.finish(fence, 'failed', why)) await letters('failed', why);
    };
    if (kind === 'permanent') return gaveUp(reason);
    if (kind === 'unexpected' && job.attempts >= holdAfter) {
      const why = `held after ${job.attempts} attempts: ${reason}`;
      if (await outbox.finish(fence, 'held', why)) await letters('held', why);
      return;
    }
    const next = now.getTime() + backoffMs(job.attempts, opts.retryBaseMs, retryCapMs, random);
    if (next > Date.parse(job.firstAttemptAt) + opts.maxAgeMs) {
      return gaveUp(`gave up after ${Math.round(opts.maxAgeMs / hour)} h of retries; last: ${reason}`);
    }
    if (await outbox.retry(fence, new Date(next).toISOString(), reason)) await letters('queued', reason);
  }

  // Outcomes are committed together: once half the window has finished, when nothing else is in
  // flight, or after `flushMs`. Until then they count against the window, so a crash can never
  // lose more outcomes (resend more messages) than `concurrency`.
  const flushMs = 10;
  let pending: Outcome[] = [];
  /** The batch being written: it keeps its place in the window and its leases until it commits. */
  let committing: Outcome[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let flushFailures = 0;
  let flushRetryAt = 0;
  let closed = false;
  // One flush at a time; one asked for meanwhile writes what has come since, right after.
  let flushing: Promise<void> | undefined;
  let flushAgain = false;

  /** Records a batch in one transaction. */
  async function commit(batch: Outcome[]): Promise<void> {
    await lifecycle.transaction(async (scope) => {
      const now = clock.now();
      const streaksCleared = new Set<string>();
      for (const o of batch) await record(scope, o, now, streaksCleared);
    });
  }

  /** Commits the pending outcomes (see flushOnce). Never rejects: timers call it. */
  function flush(): Promise<void> {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (flushing) {
      flushAgain = true;
      return flushing;
    }
    flushing = (async () => {
      do {
        flushAgain = false;
        await flushOnce();
        // After a failed write its retry timer flushes again, not this loop.
      } while (flushAgain && flushRetryAt === 0);
    })().finally(() => (flushing = undefined));
    return flushing;
  }

  /**
   * When the write fails the outcomes are kept (their rows stay leased to us, so nothing is
   * sent again) and tried later with backoff; a failure that is not the database's state (busy,
   * full, I/O) is retried outcome by outcome, so one bad record does not hold up the rest.
   */
  async function flushOnce(): Promise<void> {
    if (pending.length === 0 || closed) return;
    const batch = pending;
    pending = [];
    committing = batch;
    try {
      await commit(batch);
      flushFailures = 0;
      flushRetryAt = 0;
    } catch (err) {
      const kept = isUnavailable(err) ? batch : await commitEach(batch);
      opts.log?.error({ err, outcomes: batch.length, kept: kept.length }, 'recording delivery outcomes failed; trying again');
      pending = kept.concat(pending);
      if (pending.length > 0) {
        flushFailures += 1;
        const delay = Math.min(30_000, 100 * 2 ** Math.min(flushFailures, 10));
        flushRetryAt = Date.now() + delay;
        clearTimeout(flushTimer);
        flushTimer = setTimeout(() => void flush(), delay);
      }
    } finally {
      committing = [];
    }
    // Recorded outcomes free their place in the window: the loop may claim again.
    wake();
  }

  /** Commits each outcome on its own; returns those that still failed (given up after `maxRecordTries`). */
  async function commitEach(batch: Outcome[]): Promise<Outcome[]> {
    const kept: Outcome[] = [];
    for (const o of batch) {
      try {
        await commit([o]);
      } catch (err) {
        o.tries = (o.tries ?? 0) + 1;
        if (o.tries < maxRecordTries) kept.push(o);
        // Its lease then runs out and the message is sent again: better twice than stuck as sending.
        else opts.log?.error({ err, outboxId: o.job.id }, 'giving up recording a delivery outcome');
      }
    }
    return kept;
  }

  const inFlight = new Set<Job>();
  // Sends past their deadline: their leases are no longer renewed, but they keep their place in
  // the window (a crash could still send them twice) until they answer or their lease runs out.
  const overdue = new Set<Job>();
  const sends = new Set<Promise<void>>();
  function launch(job: Job): Promise<void> {
    const p = deliver(job).finally(() => sends.delete(p));
    sends.add(p);
    return p;
  }
  async function attempt(job: Job): Promise<Outcome> {
    try {
      await mailer.send(await job.message());
      return { job, ok: true };
    } catch (err) {
      if (classify(err).kind === 'unexpected') opts.log?.error({ err, outboxId: job.id }, 'delivery failed unexpectedly');
      return { job, ok: false, err };
    }
  }
  /** Resolves with the send's outcome, or once it is overdue; an overdue send's outcome is recorded when it comes. */
  async function deliver(job: Job): Promise<void> {
    inFlight.add(job);
    const sending = attempt(job);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<null>((resolve) => (timer = setTimeout(resolve, sendTimeoutMs, null)));
    const outcome = await Promise.race([sending, deadline]);
    clearTimeout(timer);
    inFlight.delete(job);
    if (outcome) return settled(outcome);
    opts.log?.warn({ outboxId: job.id, seconds: Math.round(sendTimeoutMs / 1000) }, 'send unanswered past its deadline; it is claimed again only once its lease runs out');
    overdue.add(job);
    const release = setTimeout(() => overdue.delete(job) && wake(), leaseMs).unref();
    // Recorded whenever it comes: the claim's fence (attempts) keeps it from touching a later claim.
    void sending.then((late) => {
      clearTimeout(release);
      overdue.delete(job);
      settled(late);
    });
  }
  function settled(outcome: Outcome): void {
    pending.push(outcome);
    // After a failed write, wait for its retry timer instead of hammering the database.
    if (Date.now() < flushRetryAt) flushTimer ??= setTimeout(() => void flush(), flushRetryAt - Date.now());
    else if (pending.length >= Math.max(1, concurrency >> 1) || inFlight.size === 0) void flush();
    else flushTimer ??= setTimeout(() => void flush(), flushMs);
    wake();
  }
  const busy = () => inFlight.size + overdue.size + pending.length + committing.length;
  /** Outbox ids this worker still answers for, as JSON for SQLite's json_each. */
  const liveIds = () => JSON.stringify([...[...inFlight].map((j) => j.id), ...[...pending, ...committing].map((o) => o.job.id)]);

  /** Extends the leases of rows in flight or waiting to be recorded, so no other worker takes them meanwhile. Never rejects. */
  async function renewLeases(): Promise<void> {
    if (busy() === 0) return;
    try {
      await store.transaction(() => outbox.renew(new Date(clock.now().getTime() + leaseMs).toISOString(), owner, liveIds()));
    } catch (err) {
      opts.log?.warn({ err }, 'renewing delivery leases failed');
    }
  }
  let renewTimer: NodeJS.Timeout | undefined;
  // A slow renewal is not overlapped by the next heartbeat.
  let renewal: Promise<void> | undefined;
  function heartbeat(): void {
    renewal ??= renewLeases().finally(() => (renewal = undefined));
  }

  // The background loop (start/stop). Tests may instead drive it with tick() and drain().
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  const { wake, sleep, clear: clearWake } = createWakeableSleep();

  async function loop(): Promise<void> {
    let lastDigest = 0;
    while (running) {
      clearWake();
      try {
        if (Date.now() - lastDigest >= pollMs) {
          lastDigest = Date.now();
          await digests.run(clock.now());
          await rethrottle(clock.now());
        }
        const free = concurrency - busy();
        // Claim in batches (each claim is a commit) once half the window is free.
        if (free >= Math.max(1, concurrency >> 1)) for (const job of await claim(free)) void launch(job);
      } catch (err) {
        opts.log?.error({ err }, 'delivery worker error');
      }
      if (!running) break;
      await sleep(busy() > 0 ? hour : pollMs);
    }
  }

  /** Claims and sends everything due now (including this moment's digests) and records it; returns how many were sent or failed. */
  async function tick(): Promise<number> {
    await digests.run(clock.now());
    await rethrottle(clock.now());
    let total = 0;
    for (;;) {
      const jobs = await claim(concurrency);
      if (jobs.length === 0) break;
      total += jobs.length;
      await Promise.all(jobs.map(launch));
      await flush();
    }
    await Promise.all(sends);
    await flush();
    return total;
  }

  return {
    owner,
    /**
     * Starts the background loop: it looks for due mail every `pollMs`, and at once on `wake()`
     * (the delivery plugin calls it when the server queues mail; `npm run worker` only polls).
     */
    start(): void {
      if (running) return;
      running = true;
      // The heartbeat: several renewals fit in a lease, so a late timer on a busy machine never lets a live send's lease run out.
      renewTimer = setInterval(heartbeat, leaseMs / 6);
      loopDone = loop();
    },
    /**
     * Stops claiming, lets in-flight sends finish within `graceMs`, and records their outcomes.
     * Sends still running after that keep their lease: another run picks them up when it expires.
     */
    async stop(graceMs = 5000): Promise<void> {
      running = false;
      wake();
      await loopDone;
      clearInterval(renewTimer);
      await renewal;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(sends), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      await flush();
      closed = true;
      clearTimeout(flushTimer);
    },
    wake,
    tick,
    /** Ticks until nothing is due now: every message sent, failed, held or waiting for a later time. */
    async drain(): Promise<void> {
      while ((await tick()) > 0);
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;
