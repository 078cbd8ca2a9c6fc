import type { LetterStatus } from '../db/schema.js';
import type { Store } from '../store/index.js';
import { createTally, type Counters, type Deltas } from './counters.js';

/**
 * The one owner of a letter's status. Every move goes through `move` (or `created` for a new
 * letter): it checks the transition table, writes the letter with a compare-and-set on the
 * status it was read with, moves the status counters in the same transaction, and, once that
 * transaction has committed, tells the subscribers (SSE today; webhooks and metrics later).
 */

/** Where a letter may go from each status. Anything else is a bug in the caller, refused. */
const transitions: Readonly<Record<LetterStatus, readonly LetterStatus[]>> = {
  // confirmed by its link; erased before confirming
  pending_confirmation: ['queued', 'failed'],
  // claimed (or bound to a digest); held by moderation; marked mailed by a print run (or sent in a
  // digest that was retried meanwhile); failed by erasure or a digest that can no longer carry it
  queued: ['sending', 'held', 'sent', 'failed'],
  // a send's outcome: delivered, given up, held after repeated unexpected errors, retried later
  sending: ['sent', 'failed', 'held', 'queued'],
  // released by moderation; erased
  held: ['queued', 'failed'],
  // a permanent delivery status notification came back for it (src/domain/bounces.ts)
  sent: ['bounced'],
  failed: [],
  // sent again by the organizer once the target's address is fixed (src/domain/letters.ts)
  bounced: ['queued'],
};

export interface LetterMove {
  letterId: string;
  campaignId: string;
  targetId: string;
  /** null: the letter was created in `to`. */
  from: LetterStatus | null;
  to: LetterStatus;
  /** The reason recorded with the move, when the mover gave one (e.g. a bounce's status and diagnostic). */
  reason?: string;
}

/** The moves of one committed transaction, per campaign. */
export interface LettersMoved {
  campaignId: string;
  moves: LetterMove[];
}

/** A letter as its mover read it, inside the moving transaction. */
export interface LetterRef {
  id: string;
  campaignId: string;
  targetId: string;
  status: LetterStatus;
}

/** A domain moment other than a letter move that subscribers outside Chorus hear about (webhooks). */
export interface DomainEvent {
  type: 'supporter.counted';
  campaignId: string;
  at: string;
  data: { country: string };
}

/** What one transaction did, handed to the committing hooks before it commits. */
export interface Committing {
  moves: LetterMove[];
  events: DomainEvent[];
}

/**
 * What a transaction offers the lifecycle: somewhere to add counter changes (written before it
 * commits), to record moves (announced after it commits) and other domain events; moves and
 * events are handed to the committing hooks (the webhook queue) inside the transaction.
 */
export interface MoveScope {
  count(campaignId: string, deltas: Deltas, at: string): void;
  moved(move: LetterMove): void;
  event(e: DomainEvent): void;
}

export class IllegalMoveError extends Error {
  override name = 'IllegalMoveError';
}

export function createLetterLifecycle(deps: {
  store: Pick<Store, 'letters' | 'transaction'>;
  counters: Pick<Counters, 'bump' | 'letterMove'>;
  /**
   * Queues the webhook deliveries of a transaction's moves and events inside it (see
   * webhook-events.ts). Required, so no process that moves letters can forget it; null only
   * where nothing subscribes (tools and tests that say so).
   */
  webhooks: { record(c: Committing): Promise<void> } | null;
}) {
  const { store, counters } = deps;
  const listeners = new Set<(e: LettersMoved) => void>();

  /**
   * Moves `letter` to `to` in the caller's transaction. `error` (when given, null clears it) is
   * the reason shown beside the status. Moving to the status it has only updates the reason.
   * Returns false when the letter no longer had the status it was read with (nothing changes).
   */
  async function move(scope: MoveScope, letter: LetterRef, to: LetterStatus, at: string, error?: string | null): Promise<boolean> {
    const from = letter.status;
    if (from !== to && !transitions[from].includes(to)) throw new IllegalMoveError(`a ${from} letter cannot become ${to}`);
    const changed = await store.letters.move({ id: letter.id, from, to, at, setError: error !== undefined, error: error ?? null });
    if (!changed || from === to) return changed;
    const m: LetterMove = { letterId: letter.id, campaignId: letter.campaignId, targetId: letter.targetId, from, to };
    if (error) m.reason = error;
    scope.count(letter.campaignId, counters.letterMove(m.targetId, from, to), at);
    scope.moved(m);
    return true;
  }

  /** Accounts for a letter just inserted with status `status` (the insert is the caller's). */
  function created(scope: MoveScope, letter: Omit<LetterRef, 'status'>, status: LetterStatus, at: string): void {
    const m: LetterMove = { letterId: letter.id, campaignId: letter.campaignId, targetId: letter.targetId, from: null, to: status };
    scope.count(letter.campaignId, counters.letterMove(m.targetId, null, status), at);
    scope.moved(m);
  }

  /**
   * Inside the caller's transaction, just before it commits: queues the webhook deliveries of its
   * moves and events, so they stand or fall with what they report.
   */
  async function committing(c: Committing): Promise<void> {
    if (c.moves.length === 0 && c.events.length === 0) return;
    await deps.webhooks?.record(c);
  }

  /** Announces committed moves, one event per campaign. Call only after the commit. */
  function announce(moves: Iterable<LetterMove>): void {
    const byCampaign = new Map<string, LetterMove[]>();
    for (const m of moves) {
      const list = byCampaign.get(m.campaignId) ?? [];
      list.push(m);
      byCampaign.set(m.campaignId, list);
    }
    for (const [campaignId, list] of byCampaign) for (const fn of listeners) fn({ campaignId, moves: list });
  }

  /**
   * A write transaction whose counter changes are summed and written once before it commits,
   * and whose moves are announced after it has.
   */
  async function transaction<T>(fn: (scope: MoveScope) => Promise<T>): Promise<T> {
    const tally = createTally();
    const moves: LetterMove[] = [];
    const events: DomainEvent[] = [];
    let last = '';
    const scope: MoveScope = {
      count(campaignId, deltas, at) {
        tally.add(campaignId, deltas);
        if (at > last) last = at;
      },
      moved: (m) => moves.push(m),
      event: (e) => events.push(e),
    };
    const result = await store.transaction(async () => {
      const value = await fn(scope);
      await committing({ moves, events });
      await tally.write(counters, last);
      return value;
    });
    announce(moves);
    return result;
  }

  /** Subscribes to committed moves; returns the unsubscribe function. */
  function onMoved(listener: (e: LettersMoved) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  return { move, created, transaction, committing, announce, onMoved };
}

export type LetterLifecycle = ReturnType<typeof createLetterLifecycle>;
