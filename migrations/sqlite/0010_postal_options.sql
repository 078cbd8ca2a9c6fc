ALTER TABLE `campaigns` ADD `postal` text;--> statement-breakpoint
ALTER TABLE `print_runs` ADD `name` text;