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
    const guarded = (name: string, fn: () => unknown) => () => {
      try {
        fn();
      } catch (err) {
        app.log.error({ err }, `${name} job failed`);
      }
    };
    app.addHook('onReady', async () => {
      if (!opts.enabled) return;
      timers.push(setInterval(guarded('reminders', () => confirmations.sendReminders()), 10 * 60 * 1000).unref());
      timers.push(setInterval(guarded('retention', () => supporters.applyRetention()), 60 * 60 * 1000).unref());
    });
    app.addHook('preClose', async () => {
      timers.forEach(clearInterval);
      events.stop();
      app.services.groupCommit.flush();
    });
  },
  { name: 'jobs', dependencies: ['services'] },
);
