import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { offlineCounts } from '../db/schema.js';
import { nonEmptyLine, text } from './common.js';

/** More than any paper campaign gathers; a typo of extra digits is refused rather than published. */
const maxPerEntry = 10_000_000;

export const OfflineCountSchema = createSelectSchema(offlineCounts).omit({ campaignId: true }).meta({ id: 'OfflineCount' });
export type OfflineCount = z.infer<typeof OfflineCountSchema>;

export const CreateOfflineCountSchema = z.strictObject({
  supporters: z.number().int().min(0).max(maxPerEntry),
  letters: z.number().int().min(0).max(maxPerEntry),
  /** Where the count comes from, e.g. "petition sheets, Almaty church, 12 May". */
  source: nonEmptyLine(200),
  note: text(2000).optional(),
});
export type CreateOfflineCount = z.infer<typeof CreateOfflineCountSchema>;

export const OfflineCountParams = z.strictObject({ id: z.string().min(1).max(64), entryId: z.string().min(1).max(64) });
