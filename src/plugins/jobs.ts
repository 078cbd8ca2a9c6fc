import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Periodic supporter-side jobs: the single confirmation reminder and the retention scrub.
 * Started when the app is ready, stopped before it closes. Tests call the services directly.
 */
export const jobsPlugin = fp(
  async (app: FastifyInstance, opts: { enabled: boolean }) => {
    const timers: NodeJS.Timeout[] = [];
    const { confirmations, supporters, events } = app.services;
    // Runs of one job never overlap (a run still going when the next is due is left alone), and closing waits for them.
    const running = new Map<string, Promise<void>>();
    const guarded = (name: string, fn: () => Promise<unknown>) => () => {
      if (running.has(name)) return;
      const run = fn()
        .then(() => undefined, (err: unknown) => app.log.error({ err }, `${name} job failed`))
        .finally(() => running.delete(name));
      running.set(name, run);
    };
    app.addHook('onReady', async () => {
      if (!opts.enabled) return;
      timers.push(setInterval(guarded('reminders', () => confirmations.sendReminders()), 10 * 60 * 1000).unref());
      timers.push(setInterval(guarded('retention', () => supporters.applyRetention()), 60 * 60 * 1000).unref());
    });
    app.addHook('preClose', async () => {
      timers.forEach(clearInterval);
      await Promise.all(running.values());
      events.stop();
      await app.services.groupCommit.flush();
    });
  },
  { name: 'jobs', dependencies: ['services'] },
);
