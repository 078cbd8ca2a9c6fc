import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { responseChannels, targetResponses } from '../db/schema.js';
import { IsoDateTime, text } from './common.js';

export const ResponseSchema = createSelectSchema(targetResponses).omit({ campaignId: true }).meta({ id: 'TargetResponse' });
export type TargetResponse = z.infer<typeof ResponseSchema>;

export const CreateResponseSchema = z.strictObject({
  /** When the official answered (a date, or a date and time). */
  receivedAt: z.union([z.iso.date(), IsoDateTime]),
  channel: z.enum(responseChannels),
  summary: text(2000).pipe(z.string().trim().min(1, 'must not be empty')),
  public: z.boolean().default(false),
  /** Mail the consenting supporters who wrote to this target, as updates are mailed. */
  notify: z.boolean().default(false),
});
export type CreateResponse = z.infer<typeof CreateResponseSchema>;

export const ResponseParams = z.strictObject({ id: z.string().min(1).max(64), targetId: z.string().min(1).max(64), responseId: z.string().min(1).max(64) });

/** A public response as the action page and the public view show it. */
export const PublicResponseSchema = z.object({ targetId: z.string(), targetName: z.string(), receivedAt: z.string(), channel: z.enum(responseChannels), summary: z.string() });
