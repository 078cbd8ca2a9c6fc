import type { Sender } from '../../db/schema.js';

/**
 * Who runs a campaign, as every public page's footer names it: the organization, how to reach
 * it, and its privacy notice (/c/{slug}/privacy, which exists for every campaign).
 */
export function runBy(campaign: { slug: string; sender?: Sender | null; organizer?: { name: string; email?: string; url?: string } | null }) {
  const who = campaign.organizer ?? campaign.sender ?? null;
  return {
    name: who?.name ?? null,
    email: who?.email ?? null,
    url: who?.url ?? null,
    // The address as people read it: host and path without the scheme or a trailing slash.
    site: who?.url ? who.url.replace(/^https?:\/\//, '').replace(/\/$/, '') : null,
    privacyUrl: `/c/${encodeURIComponent(campaign.slug)}/privacy`,
  };
}
export type RunBy = ReturnType<typeof runBy>;
