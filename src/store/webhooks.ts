import { webhookDeliveries, webhookEndpoints, type WebhookEventType } from '../db/schema.js';
import { dialectOf } from './dialect.js';
import type { AsyncSql } from './engine/async-sql.js';
import { tableRows } from './table-rows.js';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type NewWebhookDelivery = Pick<WebhookDeliveryRow, 'id' | 'endpointId' | 'event' | 'payload'> & { at: string };

/** An endpoint as the event writer matches it: whether it wants an event of a campaign. */
export type Subscription = Pick<WebhookEndpointRow, 'id' | 'campaignId' | 'events'>;

/** A claimed delivery with what its request needs. */
export type ClaimedDelivery = Pick<WebhookDeliveryRow, 'id' | 'endpointId' | 'payload' | 'attempts' | 'createdAt'> & { url: string; secret: string };

/** A claim's identity: an outcome is recorded only while the row is still that claim. */
export type DeliveryFence = { id: string; owner: string; attempts: number };

const endpoints = tableRows(webhookEndpoints);
const deliveries = tableRows(webhookDeliveries);

/** Webhook endpoints and their delivery queue (claimed with a lease, like the outbox). */
export function createWebhookRepo(sql: AsyncSql) {
  const on = { deliveries: deliveries.on(sql), endpoints: endpoints.on(sql) };
  const d = dialectOf(sql);
  return {
    async insertEndpoint(row: WebhookEndpointRow): Promise<void> {
      const q = endpoints.insert(row);
      await sql.run(q.text, q.params);
    },
    async endpoint(id: string): Promise<WebhookEndpointRow | undefined> {
      return on.endpoints.one(`SELECT ${endpoints.select} FROM webhook_endpoints WHERE id = ?`, [id]);
    },
    /** Endpoints newest first, from after the cursor (an id). */
    async endpoints(limit: number, cursor?: string): Promise<WebhookEndpointRow[]> {
      return on.endpoints.many(
        `SELECT ${endpoints.select} FROM webhook_endpoints ${cursor ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?`,
        cursor ? [cursor, limit] : [limit],
      );
    },
    /** The endpoints hearing a campaign's events: its own, then the installation-wide ones, newest first. */
    async endpointsFor(campaignId: string): Promise<WebhookEndpointRow[]> {
      return on.endpoints.many(
        `SELECT ${endpoints.select} FROM webhook_endpoints WHERE campaign_id = ? OR campaign_id IS NULL ORDER BY campaign_id IS NULL, id DESC`,
        [campaignId],
      );
    },
    /**
     * Deletes an endpoint; its delivery log goes with it (ON DELETE CASCADE, which also takes a
     * delivery another transaction was writing for it meanwhile). A send in flight then records
     * its outcome nowhere.
     */
    async removeEndpoint(id: string): Promise<boolean> {
      return (await sql.run('DELETE FROM webhook_endpoints WHERE id = ?', [id])).changes > 0;
    },
    /** Active endpoints, as the event writer matches them (read inside the transaction that writes the events). */
    async subscriptions(): Promise<Subscription[]> {
      const rows = await sql.all<{ id: string; campaignId: string | null; events: string }>(
        `SELECT id, campaign_id AS "campaignId", events FROM webhook_endpoints WHERE status = 'active'`,
      );
      return rows.map((r) => ({ ...r, events: JSON.parse(r.events) as WebhookEventType[] }));
    },
    /** Disables an endpoint; its deliveries still waiting fail with `reason`. */
    async disable(id: string, at: string, reason: string): Promise<void> {
      await sql.run(`UPDATE webhook_endpoints SET status = 'disabled', disabled_at = ? WHERE id = ? AND status = 'active'`, [at, id]);
      await sql.run(`UPDATE webhook_deliveries SET status = 'failed', last_error = ? WHERE endpoint_id = ? AND status = 'queued'`, [reason, id]);
    },

    /**
     * Enables a disabled endpoint again: its failed deliveries of events newer than `windowStart`
     * are due now (their attempts and their 3 days, counted from the event, stand); older ones, and
     * any older one still waiting, fail for good. Returns how many resumed and expired, or null
     * when the endpoint was not disabled.
     */
    async enable(id: string, now: string, windowStart: string, expiredReason: string): Promise<{ resumed: number; expired: number } | null> {
      const changed = (await sql.run(`UPDATE webhook_endpoints SET status = 'active', disabled_at = NULL WHERE id = ? AND status = 'disabled'`, [id])).changes;
      if (changed === 0) return null;
      const resumed = await sql.run(
        `UPDATE webhook_deliveries SET status = 'queued', next_attempt_at = ? WHERE endpoint_id = ? AND status = 'failed' AND created_at > ?`,
        [now, id, windowStart],
      );
      const expired = await sql.run(
        `UPDATE webhook_deliveries SET status = 'failed', last_error = ? WHERE endpoint_id = ? AND status = 'queued' AND created_at <= ?`,
        [expiredReason, id, windowStart],
      );
      return { resumed: resumed.changes, expired: expired.changes };
    },

    async insertDelivery(row: NewWebhookDelivery): Promise<void> {
      await sql.run(
        `INSERT INTO webhook_deliveries (id, endpoint_id, event, payload, status, attempts, next_attempt_at, created_at)
         VALUES (@id, @endpointId, @event, @payload, 'queued', 0, @at, @at)`,
        row,
      );
    },
    /** An endpoint's deliveries, latest first, from after the cursor (an id). */
    async deliveries(endpointId: string, limit: number, cursor?: string): Promise<WebhookDeliveryRow[]> {
      return on.deliveries.many(
        `SELECT ${deliveries.select} FROM webhook_deliveries WHERE endpoint_id = ? ${cursor ? 'AND id < ?' : ''} ORDER BY id DESC LIMIT ?`,
        cursor ? [endpointId, cursor, limit] : [endpointId, limit],
      );
    },
    /** Sends whose lease ran out (their worker died) are due again; the attempt they counted stands. */
    async reclaim(now: string): Promise<void> {
      await sql.run(
        `UPDATE webhook_deliveries SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, last_error = coalesce(last_error, 'lease expired')
         WHERE status = 'sending' AND lease_expires_at <= ?`,
        [now],
      );
    },
    /** Leases up to `limit` due deliveries of active endpoints to `owner` until `lease`, counting the attempt. */
    async claim(owner: string, lease: string, now: string, limit: number): Promise<ClaimedDelivery[]> {
      const ids = await sql.all<{ id: string }>(
        `UPDATE webhook_deliveries SET status = 'sending', lease_owner = @owner, lease_expires_at = @lease, attempts = attempts + 1
         WHERE status = 'queued' AND id IN (
           SELECT w.id FROM webhook_deliveries w JOIN webhook_endpoints e ON e.id = w.endpoint_id
           WHERE w.status = 'queued' AND w.next_attempt_at <= @now AND e.status = 'active'
           ORDER BY w.next_attempt_at LIMIT @limit${d.skipLocked('w')})
         RETURNING id`,
        { owner, lease, now, limit },
      );
      if (ids.length === 0) return [];
      return await sql.all<ClaimedDelivery>(
        `SELECT w.id, w.endpoint_id AS "endpointId", w.payload, w.attempts, w.created_at AS "createdAt", e.url, e.secret
         FROM webhook_deliveries w JOIN webhook_endpoints e ON e.id = w.endpoint_id
         WHERE w.lease_owner = @owner AND ${d.inJsonArray('w.id', '@ids')}`,
        { owner, ids: JSON.stringify(ids.map((r) => r.id)) },
      );
    },
    async delivered(claim: DeliveryFence, now: string): Promise<boolean> {
      return (
        (await sql.run(
          `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = @now, lease_owner = NULL, lease_expires_at = NULL, last_error = NULL
           WHERE id = @id AND status = 'sending' AND lease_owner = @owner AND attempts = @attempts`,
          { ...claim, now },
        )).changes > 0
      );
    },
    async retry(claim: DeliveryFence, next: string, error: string): Promise<boolean> {
      return (
        (await sql.run(
          `UPDATE webhook_deliveries SET status = 'queued', next_attempt_at = @next, lease_owner = NULL, lease_expires_at = NULL, last_error = @error
           WHERE id = @id AND status = 'sending' AND lease_owner = @owner AND attempts = @attempts`,
          { ...claim, next, error },
        )).changes > 0
      );
    },
    async failed(claim: DeliveryFence, error: string): Promise<boolean> {
      return (
        (await sql.run(
          `UPDATE webhook_deliveries SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, last_error = @error
           WHERE id = @id AND status = 'sending' AND lease_owner = @owner AND attempts = @attempts`,
          { ...claim, error },
        )).changes > 0
      );
    },
    /** The country of each letter's supporter (what letter events carry of the person). */
    async letterCountries(letterIds: string[]): Promise<Map<string, string>> {
      const rows = await sql.all<{ id: string; country: string }>(
        `SELECT l.id, s.country FROM letters l JOIN supporters s ON s.id = l.supporter_id WHERE ${d.inJsonArray('l.id', '?')}`,
        [JSON.stringify(letterIds)],
      );
      return new Map(rows.map((r) => [r.id, r.country]));
    },
    async campaignSlugs(campaignIds: string[]): Promise<Map<string, string>> {
      const rows = await sql.all<{ id: string; slug: string }>(`SELECT id, slug FROM campaigns WHERE ${d.inJsonArray('id', '?')}`, [JSON.stringify(campaignIds)]);
      return new Map(rows.map((r) => [r.id, r.slug]));
    },
  };
}
