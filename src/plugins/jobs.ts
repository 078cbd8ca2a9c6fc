import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Clock } from '../domain/clock.js';
import type { Store } from '../store/index.js';

const minute = 60_000;
const hour = 60 * minute;

/** The periodic supporter-side jobs and how often each runs. */
export const jobPeriods = { reminders: 10 * minute, retention: hour } as const;
export type JobName = keyof typeof jobPeriods;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Runs a job now if this instance gets this period's turn and no run of it is still going
     * here; resolves true when it ran to the end (a failure is logged and resolves false). What
     * the timers call; tests may call it too.
     */
    jobs: { run(name: JobName): Promise<boolean> };
  }
}

export interface PeriodicJob {
  run(): Promise<boolean>;
  /** Resolves once no run of the job is going on in this process. */
  settled(): Promise<void>;
}

/**
 * A job that runs once per period across every instance on the database: each run first takes
 * the period's turn (`store.jobRuns.take`, a compare-and-set on the job's row), and only the
 * instance that gets it runs. A turn is due a hundredth of a period early: timers fire a little
 * early or late and instances' clocks differ slightly, and an instance whose timer fired a
 * millisecond before its own previous turn was a period old would otherwise skip a whole period.
 * On SQLite (one instance) the turn is always this instance's, at the cost of one tiny write.
 *
 * Runs of one job never overlap in a process: a run still going when the next is due is left
 * alone (without taking the turn). Failures are logged, never thrown; the next period tries again.
 */
export function createPeriodicJob(
  deps: { store: Pick<Store, 'jobRuns'>; clock: Clock; log: FastifyBaseLogger },
  name: string,
  periodMs: number,
  fn: () => Promise<unknown>,
): PeriodicJob {
  let running: Promise<boolean> | undefined;

  async function turn(): Promise<boolean> {
    const now = deps.clock.now();
    const due = new Date(now.getTime() - periodMs + periodMs / 100);
    if (!(await deps.store.jobRuns.take(name, now.toISOString(), due.toISOString()))) {
      deps.log.debug({ job: name }, `${name} job: this period's turn was taken by another instance`);
      return false;
    }
    await fn();
    return true;
  }

  return {
    run() {
      if (running) return Promise.resolve(false);
      const run = turn()
        .catch((err: unknown) => {
          deps.log.error({ err }, `${name} job failed`);
          return false;
        })
        .finally(() => (running = undefined));
      running = run;
      return run;
    },
    settled: async () => {
      await running;
    },
  };
}

/**
 * Periodic supporter-side jobs: the single confirmation reminder and the retention scrub, once
 * per period across all instances (every server takes part). Timers start when the app is ready and stop
 * before it closes, which waits for a run still going.
 */
export const jobsPlugin = fp(
  async (app: FastifyInstance) => {
    const timers: NodeJS.Timeout[] = [];
    const { confirmations, supporters, events } = app.services;
    const deps = { store: app.store, clock: app.clock, log: app.log };
    const jobs: Record<JobName, PeriodicJob> = {
      reminders: createPeriodicJob(deps, 'reminders', jobPeriods.reminders, () => confirmations.sendReminders()),
      retention: createPeriodicJob(deps, 'retention', jobPeriods.retention, () => supporters.applyRetention()),
    };
    app.decorate('jobs', { run: (name: JobName) => jobs[name].run() });
    app.addHook('onReady', async () => {
      for (const name of Object.keys(jobs) as JobName[]) {
        timers.push(setInterval(() => void jobs[name].run(), jobPeriods[name]).unref());
      }
    });
    app.addHook('preClose', async () => {
      timers.forEach(clearInterval);
      await Promise.all(Object.values(jobs).map((job) => job.settled()));
      events.stop();
      await app.services.groupCommit.flush();
    });
  },
  { name: 'jobs', dependencies: ['services'] },
);
