ALTER TABLE `letters` ADD `template_version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `letters` ADD `locale` text;--> statement-breakpoint
ALTER TABLE `templates` ADD `translation_of` text;--> statement-breakpoint
ALTER TABLE `templates` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `templates` ADD `deleted_at` text;