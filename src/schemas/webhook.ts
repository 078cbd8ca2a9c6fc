import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { webhookDeliveries, webhookEndpoints, webhookEventTypes } from '../db/schema.js';

export const WebhookEventTypeSchema = z.enum(webhookEventTypes);

export const WebhookSchema = createSelectSchema(webhookEndpoints, { events: z.array(WebhookEventTypeSchema) })
  .omit({ secret: true })
  .meta({ id: 'Webhook' });

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().describe('`whsec_` and base64 key: signs every delivery (Standard Webhooks). Shown this once'),
}).meta({ id: 'CreatedWebhook' });

export const CreateWebhookSchema = z.strictObject({
  /** Checked again, and resolved, for every delivery. */
  url: z.string().trim().max(2000).pipe(z.url()),
  events: z.array(WebhookEventTypeSchema).min(1).max(webhookEventTypes.length * 2),
  campaignId: z.string().min(1).max(64).optional().describe("Only this campaign's events; absent: every campaign's"),
});

export const WebhookDeliverySchema = createSelectSchema(webhookDeliveries)
  .omit({ payload: true, leaseOwner: true, leaseExpiresAt: true, endpointId: true })
  .describe('One event for the endpoint; `id` is the `webhook-id` header, the same on every attempt')
  .meta({ id: 'WebhookDelivery' });

export const UpdateWebhookSchema = z.strictObject({
  status: z.enum(['active', 'disabled']).describe('`active` enables a disabled endpoint again; `disabled` stops its deliveries'),
});

export const UpdatedWebhookSchema = WebhookSchema.extend({
  resumed: z.number().int().min(0).describe('Failed deliveries of events younger than 3 days that are due again now (0 unless this enabled the endpoint)'),
}).meta({ id: 'UpdatedWebhook' });
