ALTER TABLE `outbox` ADD `throttle_limit` integer;--> statement-breakpoint
-- Letters deferred before this column existed carried the limit as text in last_error.
UPDATE `outbox` SET `throttle_limit` = CAST(substr(`last_error`, 29) AS INTEGER), `last_error` = NULL
  WHERE `status` = 'queued' AND `last_error` LIKE 'throttled at per-hour limit %';
