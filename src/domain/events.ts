import type { Count } from '../schemas/letter.js';

type Listener = (count: Count) => void;

/**
 * Count-change fan-out for SSE. Writers only mark a campaign dirty; one shared ticker reads the
 * count once per dirty campaign and hands it to every listener, however many dashboards listen.
 * Commits of other processes (a separate `npm run worker`) cannot mark anything: `foreignCommits`
 * (SQLite's data_version) tells the ticker they happened, and it rereads every listened count.
 */
export function createCountEvents(deps: {
  readCount(campaignId: string): Count;
  /**
   * True while a campaign's live count has moved past the one it publishes (published at most
   * once a minute): it stays dirty, so its listeners get the figure as soon as it is published.
   */
  lagging?(campaignId: string): boolean;
  foreignCommits?: () => unknown;
  tickMs?: number;
  heartbeatMs?: number;
}) {
  const listeners = new Map<string, Set<Listener>>();
  const heartbeats = new Set<() => void>();
  const dirty = new Set<string>();
  /** The last count sent per campaign: a reread that changed nothing sends nothing. */
  const lastSent = new Map<string, string>();
  let seenVersion = deps.foreignCommits?.();
  let timer: NodeJS.Timeout | undefined;
  let lastHeartbeat = Date.now();

  function tick(): void {
    if (deps.foreignCommits && listeners.size > 0) {
      const version = deps.foreignCommits();
      if (version !== seenVersion) {
        seenVersion = version;
        for (const campaignId of listeners.keys()) dirty.add(campaignId);
      }
    }
    const waiting: string[] = [];
    for (const campaignId of dirty) {
      const set = listeners.get(campaignId);
      if (set && set.size > 0) {
        const count = deps.readCount(campaignId);
        if (deps.lagging?.(campaignId)) waiting.push(campaignId);
        const body = JSON.stringify(count);
        if (lastSent.get(campaignId) === body) continue;
        lastSent.set(campaignId, body);
        for (const fn of set) fn(count);
      }
    }
    dirty.clear();
    for (const campaignId of waiting) dirty.add(campaignId);
    if (Date.now() - lastHeartbeat >= (deps.heartbeatMs ?? 15_000)) {
      lastHeartbeat = Date.now();
      for (const fn of heartbeats) fn();
    }
  }

  function ensureTicker(): void {
    if (!timer) timer = setInterval(tick, deps.tickMs ?? 1000).unref();
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
