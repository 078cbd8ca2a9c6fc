import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../domain/clock.js';
import { webhookRetryWindowMs } from '../domain/webhooks.js';
import { checkWebhookUrl, WebhookAddressError, type CheckedTarget, type Lookup } from '../domain/webhook-address.js';
import type { Store } from '../store/index.js';
import type { ClaimedDelivery, DeliveryFence } from '../store/webhooks.js';
import { createWakeableSleep } from './wakeable-sleep.js';

export interface WebhookDispatcherOptions {
  store: Pick<Store, 'transaction' | 'webhooks'>;
  /** The queue's time: when a delivery is due, when it has been failing for the retry window. */
  clock: Clock;
  /** The time written into `webhook-timestamp`: the real one, since receivers check it against theirs. */
  signingClock?: Clock;
  /** WEBHOOK_ALLOW_PRIVATE: loopback and private addresses, and plain http, are allowed. */
  allowPrivate: boolean;
  lookup: Lookup;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** First retry delay (RETRY_BASE_MS); each later one doubles, up to `retryCapMs`, plus up to 10% jitter. */
  retryBaseMs: number;
  retryCapMs?: number;
  /** A delivery still failing this long after its event is given up, and its endpoint disabled (3 days). */
  retryWindowMs?: number;
  /** No complete answer in this long is a failed attempt (10 s). */
  timeoutMs?: number;
  /** Bytes of a response body read at most; the rest is not waited for. */
  maxResponseBytes?: number;
  /** How long a claim stays ours (DELIVERY_LEASE_SECONDS); a crashed worker's deliveries are claimed again after it. */
  leaseMs?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  pollMs?: number;
  random?: () => number;
}

const hour = 3_600_000;
export { webhookRetryWindowMs };
export const webhookTimeoutMs = 10_000;
export const webhookMaxResponseBytes = 64 * 1024;

/** Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the decoded part of `whsec_…`. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The delay before attempt `attempts + 1`, after `attempts` failed ones. */
export function webhookBackoffMs(attempts: number, baseMs: number, capMs: number, random: () => number): number {
  const delay = Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(delay * (1 + 0.1 * random()));
}

interface Agents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * Connections kept open between deliveries (a new TCP, let alone TLS, connection per event costs
 * more than the rest of the delivery). Idle ones are closed after 4 s, before the 5 s after which
 * common servers close them, so a request rarely meets a connection the receiver is closing.
 */
function keepAliveAgents(maxSockets: number): Agents {
  const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 4000, scheduling: 'lifo' as const };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

/** The resolver a request uses: it answers with the address already checked, so the name is never looked up a second time. */
function pinned(target: CheckedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/**
 * One POST to the checked address: no redirects followed (a 3xx is an answer like any other
 * non-2xx), at most `maxBytes` of the body read, and the whole exchange bounded by `timeoutMs`.
 * Resolves with the status; rejects on a connection error or the timeout.
 */
function post(target: CheckedTarget, headers: Record<string, string>, body: string, timeoutMs: number, maxBytes: number, agents: Agents): Promise<number> {
  return new Promise((resolve, reject) => {
    const secure = target.url.protocol === 'https:';
    const req = (secure ? https : http).request({
      method: 'POST',
      host: target.host,
      port: target.url.port || (secure ? 443 : 80),
      path: `${target.url.pathname}${target.url.search}`,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      // Kept-alive connections, per name and port: each was opened to an address checked when it
      // was opened, and every delivery is checked again before it may use one.
      agent: secure ? agents.https : agents.http,
      lookup: pinned(target),
    });
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer in ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      let read = 0;
      const done = () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      };
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > maxBytes) {
          done();
          req.destroy();
        }
      });
      res.on('end', done);
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.end(body);
  });
}

/**
 * The webhook dispatcher: claims due deliveries with a lease, checks and resolves each one's
 * address for that attempt, posts it signed, and records the outcome. A delivery is retried with
 * the same `webhook-id` (its row id) until it is answered with a 2xx or has failed for the retry
 * window; then it fails and its endpoint is disabled. A worker that dies mid-send leaves its
 * claims to expire, and they are sent again (receivers deduplicate on `webhook-id`).
 */
export function createWebhookDispatcher(opts: WebhookDispatcherOptions) {
  const { store, clock } = opts;
  const repo = store.webhooks;
  const signingClock = opts.signingClock ?? systemClock;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}:webhooks`;
  const timeoutMs = opts.timeoutMs ?? webhookTimeoutMs;
  const maxBytes = opts.maxResponseBytes ?? webhookMaxResponseBytes;
  // A claim outlives its request with room to record the outcome: nobody else sends it meanwhile.
  const leaseMs = Math.max(opts.leaseMs ?? 30_000, timeoutMs * 2);
  const retryCapMs = opts.retryCapMs ?? 6 * hour;
  const windowMs = opts.retryWindowMs ?? webhookRetryWindowMs;
  const concurrency = opts.concurrency ?? 10;
  const pollMs = opts.pollMs ?? 1000;
  const random = opts.random ?? Math.random;
  const inFlight = new Set<Promise<void>>();
  const agents = keepAliveAgents(concurrency);

  /** One attempt; the error is what the delivery log shows (never the receiver's body). */
  async function attempt(d: ClaimedDelivery): Promise<string | null> {
    let target: CheckedTarget;
    try {
      target = await checkWebhookUrl(d.url, { allowPrivate: opts.allowPrivate, lookup: opts.lookup });
    } catch (err) {
      if (err instanceof WebhookAddressError) return `refused: the URL ${err.message}`;
      throw err;
    }
    const timestamp = Math.floor(signingClock.now().getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Chorus-Webhooks/1',
      'webhook-id': d.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(d.secret, d.id, timestamp, d.payload),
    };
    try {
      const status = await post(target, headers, d.payload, timeoutMs, maxBytes, agents);
      if (status >= 200 && status < 300) return null;
      return status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
    } catch (err) {
      return (err as Error).message || 'connection failed';
    }
  }

  // Answered deliveries are recorded together (a commit is a disk flush on SQLite, and blocks the
  // event loop while it lasts): in the transaction of the loop's next claim, which their freed
  // slots call for, or on their own when half the window has been answered, nothing else is in
  // flight, or `flushMs` has passed. Each keeps its slot until its batch has committed, so a crash
  // re-sends at most `concurrency` of them (receivers deduplicate on `webhook-id`).
  const flushMs = 10;
  type Batch = { fences: DeliveryFence[]; done: Promise<void>; resolve(): void };
  let batch: Batch | undefined;
  let flushTimer: NodeJS.Timeout | undefined;

  /** The answered deliveries waiting to be recorded, taken for a transaction that writes them. */
  function takeBatch(): Batch | undefined {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const b = batch;
    batch = undefined;
    return b;
  }

  async function writeDelivered(b: Batch | undefined): Promise<void> {
    if (!b) return;
    const at = clock.now().toISOString();
    for (const f of b.fences) await repo.delivered(f, at);
  }

  function flushDelivered(): void {
    const b = takeBatch();
    if (!b) return;
    store
      .transaction(() => writeDelivered(b))
      .catch((err: unknown) => opts.log?.error({ err, deliveries: b.fences.length }, 'webhook deliveries could not be recorded; they will be sent again'))
      .finally(() => b.resolve());
  }

  function delivered(fence: DeliveryFence): Promise<void> {
    if (!batch) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      batch = { fences: [], done, resolve };
    }
    const b = batch;
    b.fences.push(fence);
    // The running loop claims again once half the window is free, and records these with it.
    const loopClaims = running && concurrency - inFlight.size + b.fences.length >= Math.max(1, concurrency >> 1);
    // This delivery is still in `inFlight`: "nothing else" is inFlight.size === the answered ones.
    if (!loopClaims && (b.fences.length >= Math.max(1, concurrency >> 1) || b.fences.length >= inFlight.size)) flushDelivered();
    else flushTimer ??= setTimeout(flushDelivered, flushMs);
    if (loopClaims) wake();
    return b.done;
  }

  async function record(d: ClaimedDelivery, error: string | null): Promise<void> {
    const fence: DeliveryFence = { id: d.id, owner, attempts: d.attempts };
    const now = clock.now();
    if (error === null) {
      await delivered(fence);
      return;
    }
    const deadline = new Date(d.createdAt).getTime() + windowMs;
    if (now.getTime() >= deadline) {
      await store.transaction(async () => {
        if (await repo.failed(fence, error)) await repo.disable(d.endpointId, now.toISOString(), 'an earlier delivery failed for 3 days; the endpoint was disabled');
      });
      opts.log?.warn({ endpointId: d.endpointId, deliveryId: d.id }, 'webhook endpoint disabled after 3 days of failed deliveries');
      return;
    }
    // The last retry falls on the end of the window, so a receiver down for nearly 3 days still gets the event.
    const next = Math.min(now.getTime() + webhookBackoffMs(d.attempts, opts.retryBaseMs, retryCapMs, random), deadline);
    await repo.retry(fence, new Date(next).toISOString(), error);
  }

  function launch(d: ClaimedDelivery): Promise<void> {
    const p = attempt(d)
      .then((error) => record(d, error))
      .catch((err: unknown) => opts.log?.error({ err, deliveryId: d.id }, 'webhook delivery could not be recorded'))
      .finally(() => {
        inFlight.delete(p);
        // A free slot: the loop may claim again (it claims once half the window is free).
        wake();
      });
    inFlight.add(p);
    return p;
  }

  /** Records the answered deliveries waiting, and claims up to `n` due ones, in one transaction. */
  async function claim(n: number): Promise<ClaimedDelivery[]> {
    if (n <= 0) return [];
    const now = clock.now();
    const answered = takeBatch();
    try {
      return await store.transaction(async () => {
        await writeDelivered(answered);
        await repo.reclaim(now.toISOString());
        return await repo.claim(owner, new Date(now.getTime() + leaseMs).toISOString(), now.toISOString(), n);
      });
    } catch (err) {
      if (answered) opts.log?.error({ err, deliveries: answered.fences.length }, 'webhook deliveries could not be recorded; they will be sent again');
      throw err;
    } finally {
      answered?.resolve();
    }
  }

  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  const { wake, sleep, clear: clearWake } = createWakeableSleep();

  async function loop(): Promise<void> {
    while (running) {
      clearWake();
      try {
        // A request that hangs holds one slot, never the loop: the others go on being claimed.
        // Claims are batched (each is a commit): once half the window is free.
        const free = concurrency - inFlight.size;
        if (free >= Math.max(1, concurrency >> 1)) for (const d of await claim(free)) void launch(d);
      } catch (err) {
        opts.log?.error({ err }, 'webhook dispatcher error');
      }
      if (!running) break;
      await sleep(pollMs);
    }
  }

  return {
    owner,
    start(): void {
      if (running) return;
      running = true;
      loopDone = loop();
    },
    /** Stops claiming and waits up to `graceMs` for requests in flight; unfinished claims expire and are sent again. */
    async stop(graceMs = 5000): Promise<void> {
      running = false;
      wake();
      await loopDone;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(inFlight), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      agents.http.destroy();
      agents.https.destroy();
    },
    wake,
    /** Sends what is due now (up to the concurrency) and records the outcomes; returns how many were attempted. */
    async tick(): Promise<number> {
      const claimed = await claim(concurrency - inFlight.size);
      await Promise.all(claimed.map(launch));
      return claimed.length;
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
