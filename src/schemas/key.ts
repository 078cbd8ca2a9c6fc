import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { apiKeys } from '../db/schema.js';
import { nonEmptyLine } from './common.js';

/**
 * Scopes: `campaigns` (campaigns, targets, templates, updates, preview), `letters` (letters,
 * stats, exports, moderation), `supporters` (data subject export and erasure), `keys` (mint, revoke),
 * `webhooks` (webhook endpoints and their delivery logs).
 */
export const scopes = ['campaigns', 'letters', 'supporters', 'keys', 'webhooks'] as const;
export type Scope = (typeof scopes)[number];

export const ApiKeySchema = createSelectSchema(apiKeys, { scopes: z.array(z.enum(scopes)) })
  .omit({ keyHash: true })
  .meta({ id: 'ApiKey' });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The secret, shown this once; only its hash is stored'),
});

export const CreateApiKeySchema = z.strictObject({
  name: nonEmptyLine(100),
  scopes: z.array(z.enum(scopes)).min(1),
});
