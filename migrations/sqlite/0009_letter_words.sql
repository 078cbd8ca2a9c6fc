ALTER TABLE `campaigns` ADD `letter` text DEFAULT '{"editable":false,"subjectVariants":false}' NOT NULL;--> statement-breakpoint
ALTER TABLE `letters` ADD `originality` real;--> statement-breakpoint
ALTER TABLE `templates` ADD `subject_variants` text;