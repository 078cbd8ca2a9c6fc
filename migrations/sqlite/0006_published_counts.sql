CREATE TABLE `published_counts` (
	`campaign_id` text PRIMARY KEY NOT NULL,
	`published_at` text NOT NULL,
	`figures` text NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
