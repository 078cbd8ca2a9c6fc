import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { letterStatuses, type LetterStatus } from '../db/schema.js';
import { outboxBacklog, type OutboxBacklog } from '../store/metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry (registered only with METRICS_TOKEN); two apps in one process share nothing. */
    metrics: Registry;
  }
}

/** The route label of a request no route matched: never its URL, which may carry a token or an address. */
export const unmatchedRoute = 'unmatched';

/**
 * Request durations, in seconds. The count endpoint answers in well under a millisecond and a
 * signed letter in a few (its commit included); the latency target is p99 < 50 ms at 1,000
 * requests a second. So the buckets are finest below 50 ms, and the tail up to 10 s shows stalls.
 */
const durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** What a letter leaving `sending` says about its delivery attempt. */
const attemptResults: Partial<Record<LetterStatus, string>> = { sent: 'sent', queued: 'retry', failed: 'failed', held: 'held' };

/**
 * Prometheus metrics: HTTP requests by route pattern, delivery attempts from the letter
 * lifecycle's "letters moved" events, and figures read from the database when scraped (letters
 * by status from the maintained counters, the outbox backlog), so they are right after a restart
 * and while another process delivers. Registered only when METRICS_TOKEN is set: otherwise no
 * request pays for them.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance) => {
    const registry = new Registry();
    const registers = [registry];
    collectDefaultMetrics({ register: registry });

    const requests = new Counter({
      name: 'chorus_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    const durations = new Histogram({
      name: 'chorus_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response, by method and route pattern (an event stream: how long it stayed open)',
      labelNames: ['method', 'route'],
      buckets: durationBuckets,
      registers,
    });
    app.addHook('onResponse', (request, reply, done) => {
      const labels = { method: request.method, route: request.routeOptions.url ?? unmatchedRoute };
      requests.inc({ ...labels, status: reply.statusCode });
      durations.observe(labels, reply.elapsedTime / 1000);
      done();
    });

    const attempts = new Counter({
      name: 'chorus_delivery_attempts_total',
      help: 'Letter delivery attempts finished by this process: sent, retry (temporary failure, queued again), failed, held',
      labelNames: ['result'],
      registers,
    });
    for (const result of Object.values(attemptResults)) attempts.inc({ result }, 0);
    const unsubscribe = app.services.lifecycle.onMoved(({ moves }) => {
      for (const move of moves) {
        const result = move.from === 'sending' ? attemptResults[move.to] : undefined;
        if (result) attempts.inc({ result });
      }
    });

    const { campaigns, counters } = app.services;
    new Gauge({
      name: 'chorus_letters_total',
      help: 'Letters in each status, across all campaigns (from the maintained counters)',
      labelNames: ['status'],
      registers,
      async collect() {
        const totals = new Map<string, number>(letterStatuses.map((s) => [s, 0]));
        let cursor: string | undefined;
        do {
          const page = await campaigns.list(500, cursor);
          for (const c of page.items) {
            for (const { name, value } of await counters.byPrefix(c.id, 'letters.')) totals.set(name, (totals.get(name) ?? 0) + value);
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        for (const [status, n] of totals) this.set({ status }, n);
      },
    });

    // A scrape starts every collect() in one synchronous pass before awaiting any: one read serves both outbox gauges.
    let backlog: Promise<OutboxBacklog> | undefined;
    const readBacklog = () => {
      if (!backlog) {
        backlog = outboxBacklog(app.store.sql);
        queueMicrotask(() => (backlog = undefined));
      }
      return backlog;
    };
    new Gauge({
      name: 'chorus_outbox_queued',
      help: 'Outbox messages waiting to be sent (letters and supporter mail, due now or later)',
      registers,
      async collect() {
        this.set((await readBacklog()).queued);
      },
    });
    new Gauge({
      name: 'chorus_outbox_oldest_queued_seconds',
      help: 'How long the longest-waiting queued outbox message has waited (0 when none waits)',
      registers,
      async collect() {
        const oldest = (await readBacklog()).oldestQueuedAt;
        this.set(oldest ? Math.max(0, (app.clock.now().getTime() - Date.parse(oldest)) / 1000) : 0);
      },
    });

    app.decorate('metrics', registry);
    app.addHook('onClose', async () => {
      unsubscribe();
      registry.clear();
    });
  },
  { name: 'metrics', dependencies: ['services'] },
);
