import type { Store } from '../store/index.js';
import type { Clock } from './clock.js';
import type { LetterLifecycle } from './letter-lifecycle.js';
import { redactAddresses } from './redact.js';

/**
 * Delivery status notifications (RFC 3464) for letters Chorus sent. A permanent failure moves
 * the letters the returned message carried from `sent` to `bounced`, through the lifecycle, so
 * the delivered count drops and the bounced count rises in the same transaction. Anything else
 * (a delay, a success, a report about mail Chorus did not send) changes nothing.
 */

/** One recipient's part of a report (RFC 3464 §2.3), as the MTA wrote it. */
export interface ReportedRecipient {
  action: string;
  status: string;
  diagnostic: string | null;
}

/** What a delivery status notification says, already taken apart by the mail parser. */
export interface DeliveryReport {
  /** Message-IDs of the returned message, as written (`<id@domain>`). */
  messageIds: string[];
  recipients: ReportedRecipient[];
}

export type BounceOutcome =
  /** A permanent failure; `letters` of ours moved to `bounced` (0: it named nothing Chorus sent, or it was known already). */
  | { kind: 'bounced'; letters: number }
  /** A delay, a relay or delivery notice: nothing changes. */
  | { kind: 'not-permanent' };

/** Longest diagnostic kept beside the status (remote servers write whole paragraphs). */
export const diagnosticMaxLength = 300;

const statusCode = /^([245])\.\d{1,3}\.\d{1,3}$/;

/** The status code of a `Status:` field ("5.1.1", "5.1.1 (user unknown)"), or null if it is not one. */
export function statusOf(field: string): string | null {
  const code = field.trim().split(/\s+/)[0] ?? '';
  return statusCode.test(code) ? code : null;
}

/** A recipient whose delivery failed for good: RFC 3464 `Action: failed` with a 5.x.x status. */
export function isPermanent(r: ReportedRecipient): boolean {
  return r.action.trim().toLowerCase() === 'failed' && statusOf(r.status)?.startsWith('5.') === true;
}

/**
 * The reason stored beside a bounced letter: the status and the remote server's diagnostic on one
 * line, shortened, every address in it replaced (as for every stored failure reason: a diagnostic
 * may quote the letter's Reply-To, the supporter's address, and erasure would never find it there).
 */
export function bounceReason(r: ReportedRecipient): string {
  const diagnostic = redactAddresses(
    (r.diagnostic ?? '')
      // eslint-disable-next-line no-control-regex -- control characters are what is removed
      .replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  const short = diagnostic.length > diagnosticMaxLength ? `${diagnostic.slice(0, diagnosticMaxLength - 1)}…` : diagnostic;
  return `Bounced ${statusOf(r.status) ?? ''}${short ? `: ${short}` : ''}`;
}

/**
 * `messageDomain` is the right-hand side of the Message-IDs Chorus writes (MAIL_FROM's domain):
 * an id with another domain was not written by Chorus.
 */
export function createBounceService(deps: { store: Pick<Store, 'letters'>; clock: Clock; lifecycle: LetterLifecycle; messageDomain: string }) {
  const { store, clock, lifecycle } = deps;
  const domain = deps.messageDomain.toLowerCase();

  /** The letter or digest id inside one of our Message-IDs, or null. */
  function keyOf(messageId: string): string | null {
    const m = /^\s*<?([A-Za-z0-9_-]{1,64})@([^<>@\s]+)>?\s*$/.exec(messageId);
    return m && m[2]!.toLowerCase() === domain ? m[1]! : null;
  }

  async function record(report: DeliveryReport): Promise<BounceOutcome> {
    const failed = report.recipients.find(isPermanent);
    if (!failed) return { kind: 'not-permanent' };
    const keys = [...new Set(report.messageIds.map(keyOf).filter((k): k is string => k !== null))];
    if (keys.length === 0) return { kind: 'bounced', letters: 0 };
    const at = clock.now().toISOString();
    const reason = bounceReason(failed);
    const letters = await lifecycle.transaction(async (scope) => {
      let moved = 0;
      for (const key of keys) {
        for (const letter of await store.letters.sentInMessage(key)) {
          if (await lifecycle.move(scope, letter, 'bounced', at, reason)) moved += 1;
        }
      }
      return moved;
    });
    return { kind: 'bounced', letters };
  }

  return { record };
}

export type BounceService = ReturnType<typeof createBounceService>;
