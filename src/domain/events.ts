import type { Count } from '../schemas/letter.js';

type Listener = (count: Count) => void;

/**
 * Count-change fan-out for SSE. Writers only mark a campaign dirty; one shared ticker reads the
 * count once per dirty campaign and hands it to every listener, however many dashboards listen.
 * Commits of other processes (a separate `npm run worker`) cannot mark anything: `foreignCommits`
 * (SQLite's data_version) tells the ticker they happened, and it rereads every listened count.
 */
export function createCountEvents(deps: {
  readCount(campaignId: string): Promise<Count>;
  /**
   * True while a campaign's live count has moved past the one it publishes (published at most
   * once a minute): it stays dirty, so its listeners get the figure as soon as it is published.
   */
  lagging?(campaignId: string): Promise<boolean>;
  foreignCommits?: () => unknown;
  tickMs?: number;
  heartbeatMs?: number;
  log?: { error(obj: object, msg: string): void };
}) {
  const listeners = new Map<string, Set<Listener>>();
  const heartbeats = new Set<() => void>();
  const dirty = new Set<string>();
  /** The last count sent per campaign: a reread that changed nothing sends nothing. */
  const lastSent = new Map<string, string>();
  let seenVersion = deps.foreignCommits?.();
  let timer: NodeJS.Timeout | undefined;
  let lastHeartbeat = Date.now();
  let running: Promise<void> | undefined;

  /** One pass over the dirty campaigns. A read that fails leaves its campaign dirty for the next pass. */
  async function pass(): Promise<void> {
    if (deps.foreignCommits && listeners.size > 0) {
      const version = deps.foreignCommits();
      if (version !== seenVersion) {
        seenVersion = version;
        for (const campaignId of listeners.keys()) dirty.add(campaignId);
      }
    }
    // Taken and cleared before reading: a campaign marked while the pass reads waits for the next one.
    const due = [...dirty];
    dirty.clear();
    const again: string[] = [];
    for (const campaignId of due) {
      const set = listeners.get(campaignId);
      if (!set || set.size === 0) continue;
      try {
        const count = await deps.readCount(campaignId);
        if (await deps.lagging?.(campaignId)) again.push(campaignId);
        // Everyone left while the count was read: nobody to send to, and nothing to remember.
        if (set.size === 0) continue;
        const body = JSON.stringify(count);
        if (lastSent.get(campaignId) === body) continue;
        lastSent.set(campaignId, body);
        for (const fn of set) fn(count);
      } catch (err) {
        again.push(campaignId);
        deps.log?.error({ err, campaignId }, 'reading a count for its listeners failed');
      }
    }
    for (const campaignId of again) dirty.add(campaignId);
    if (Date.now() - lastHeartbeat >= (deps.heartbeatMs ?? 15_000)) {
      lastHeartbeat = Date.now();
      for (const fn of heartbeats) fn();
    }
  }

  /** Passes never overlap: a tick asked for while one runs waits for it, then makes its own. Never rejects. */
  async function tick(): Promise<void> {
    while (running) await running;
    running = pass()
      .catch((err: unknown) => deps.log?.error({ err }, 'count events tick failed'))
      .finally(() => (running = undefined));
    return running;
  }

  function ensureTicker(): void {
    // A tick still running when the next is due is let be: the timer never stacks passes up.
    if (!timer) {
      timer = setInterval(() => {
        if (!running) void tick();
      }, deps.tickMs ?? 1000).unref();
    }
  }

  return {
    /** Called after a commit that changed what a campaign's count reads. */
    changed(campaignId: string): void {
      if (listeners.has(campaignId)) dirty.add(campaignId);
    },
    /**
     * `sent` is the count the listener already has: a first listener's becomes the last one sent,
     * so an unchanged count is never sent again (a repeat would tell that something moved).
     */
    onCount(campaignId: string, listener: Listener, heartbeat?: () => void, sent?: Count): () => void {
      let set = listeners.get(campaignId);
      if (!set) listeners.set(campaignId, (set = new Set()));
      if (sent && !lastSent.has(campaignId)) lastSent.set(campaignId, JSON.stringify(sent));
      set.add(listener);
      if (heartbeat) heartbeats.add(heartbeat);
      ensureTicker();
      return () => {
        set.delete(listener);
        if (set.size === 0) {
          listeners.delete(campaignId);
          lastSent.delete(campaignId);
        }
        if (heartbeat) heartbeats.delete(heartbeat);
      };
    },
    listenerCount: () => [...listeners.values()].reduce((n, s) => n + s.size, 0),
    tick,
    stop(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export type CountEvents = ReturnType<typeof createCountEvents>;
