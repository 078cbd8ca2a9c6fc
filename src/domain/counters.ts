import type { LetterStatus } from '../db/schema.js';
import type { Store } from '../store/index.js';

/**
 * Counters live in SQL and change only inside the transaction that changes what they count
 * (callers are always inside a store transaction). Reads are primary-key lookups: the same cost at
 * 1,000 letters and at 1,000,000. Names are documented on the `counters` table.
 */
export type Deltas = Record<string, number>;

export const counterNames = {
  supporters: 'supporters',
  pending: 'pending',
  letters: 'letters',
  status: (s: LetterStatus) => `letters.${s}`,
  targetStatus: (targetId: string, s: LetterStatus) => `target.${targetId}.${s}`,
  country: (iso: string) => `country.${iso}`,
  hour: (at: string) => `hour.${at.slice(0, 13)}`,
  offlineSupporters: 'offline.supporters',
  offlineLetters: 'offline.letters',
  /** Letters at or above `personalizedFrom` originality, and the others (form letters). */
  personalized: 'personalization.personalized',
  formLetters: 'personalization.formLetters',
  /** Not a count: the turn counter of a target's subject lines (recount leaves `turn.` names alone). */
  subjectTurn: (targetId: string) => `turn.subject.${targetId}`,
};

export function createCounters(repo: Store['counters']) {
  /** Applies deltas; must be called inside the write transaction that changed the counted rows. */
  async function bump(campaignId: string, deltas: Deltas, at: string): Promise<void> {
    for (const [name, delta] of Object.entries(deltas)) {
      if (delta !== 0) await repo.add(campaignId, name, delta, at);
    }
  }

  /** The counter deltas of moving one letter between statuses (either side may be absent). */
  function letterMove(targetId: string, from: LetterStatus | null, to: LetterStatus | null): Deltas {
    const d: Deltas = {};
    const add = (k: string, v: number) => (d[k] = (d[k] ?? 0) + v);
    if (from) {
      add(counterNames.status(from), -1);
      add(counterNames.targetStatus(targetId, from), -1);
    }
    if (to) {
      add(counterNames.status(to), 1);
      add(counterNames.targetStatus(targetId, to), 1);
    }
    return d;
  }

  /** Adds one to a turn counter and answers its new value, atomically (in the write transaction). */
  async function turn(campaignId: string, name: string, at: string): Promise<number> {
    return repo.increment(campaignId, name, at);
  }

  async function get(campaignId: string, name: string): Promise<{ value: number; updatedAt: string | null }> {
    return (await repo.get(campaignId, name)) ?? { value: 0, updatedAt: null };
  }

  /** All counters whose name starts with `prefix` (e.g. `country.`), as a map of the rest of the name. */
  async function byPrefix(campaignId: string, prefix: string): Promise<{ name: string; value: number; updatedAt: string }[]> {
    return (await repo.byPrefix(campaignId, prefix)).map((r) => ({ ...r, name: r.name.slice(prefix.length) }));
  }

  return { bump, letterMove, turn, get, byPrefix, publicCount: repo.publicCount };
}

export type Counters = ReturnType<typeof createCounters>;

/**
 * Counter changes gathered over one transaction and written once before it commits: a batch of
 * letters to the same targets moves the same few counters, so one upsert per counter replaces one per letter.
 */
export function createTally() {
  const deltas = new Map<string, Deltas>();
  return {
    add(campaignId: string, d: Deltas): void {
      const sum = deltas.get(campaignId) ?? {};
      for (const [k, v] of Object.entries(d)) sum[k] = (sum[k] ?? 0) + v;
      deltas.set(campaignId, sum);
    },
    /** Call inside the transaction, after its last `add`. */
    async write(counters: Pick<Counters, 'bump'>, at: string): Promise<void> {
      for (const [campaignId, d] of deltas) await counters.bump(campaignId, d, at);
    },
    campaigns: () => deltas.keys(),
  };
}

export type Tally = ReturnType<typeof createTally>;
