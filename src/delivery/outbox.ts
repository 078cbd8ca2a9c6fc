import type { Campaign } from '../schemas/campaign.js';
import type { MailPayload, OutboxKind } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import type { Store } from '../store/index.js';

/**
 * Lane 0 is claimed before lane 1: supporter mail never waits behind a backlog of letters.
 * Lane 2 holds letters waiting for their campaign's digest; the digest job gathers them.
 */
export const lanes = { supporterMail: 0, letters: 1, digest: 2 } as const;

export const recipientDomain = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * Writes outbox rows. Always called inside the caller's write transaction, so a letter and
 * its outbox row commit (or vanish) together: no letter is ever lost between the two.
 */
export function createOutboxWriter(store: Pick<Store, 'outbox' | 'sql'>) {
  const { outbox } = store;
  const listeners = new Set<() => void>();
  /** Tells an in-process worker, once the writing transaction has committed, that mail is waiting. */
  function queued(): void {
    if (listeners.size > 0) store.sql.afterCommit(() => listeners.forEach((fn) => fn()));
  }

  /**
   * Queues a confirmed letter for its campaign's delivery mode. Email and digest letters get
   * an outbox row (the digest job gathers the digest ones); postal letters wait for the print run.
   */
  async function enqueueLetter(
    campaign: Pick<Campaign, 'id' | 'delivery'>,
    letter: { id: string; targetId: string },
    targetEmail: string | null,
    at: string,
  ): Promise<void> {
    if (campaign.delivery.mode === 'postal') return;
    await outbox.insert({
      id: newId('out'),
      kind: campaign.delivery.mode === 'digest' ? 'digest' : 'letter',
      lane: campaign.delivery.mode === 'digest' ? lanes.digest : lanes.letters,
      campaignId: campaign.id,
      letterId: letter.id,
      targetId: letter.targetId,
      recipientDomain: targetEmail ? recipientDomain(targetEmail) : null,
      payload: null,
      at,
    });
    queued();
  }

  /** Queues mail to a supporter (confirmation, reminder, notice, update), rendered now. */
  async function enqueueMail(kind: Exclude<OutboxKind, 'letter' | 'digest'>, campaignId: string | null, payload: MailPayload, at: string): Promise<void> {
    await outbox.insert({
      id: newId('out'),
      kind,
      lane: lanes.supporterMail,
      campaignId,
      letterId: null,
      targetId: null,
      recipientDomain: recipientDomain(payload.to.address),
      payload: JSON.stringify(payload),
      at,
    });
    queued();
  }

  /** Puts a bounced letter's own outbox row back in the queue, to the target's address now; false if it has none. */
  async function requeueLetter(letterId: string, targetEmail: string, at: string): Promise<boolean> {
    const done = await outbox.resendLetter(letterId, recipientDomain(targetEmail), at);
    if (done) queued();
    return done;
  }

  /** Subscribes to "something was queued"; returns the unsubscribe function. */
  function onQueued(fn: () => void): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  return { enqueueLetter, enqueueMail, requeueLetter, onQueued };
}

export type OutboxWriter = ReturnType<typeof createOutboxWriter>;
