ALTER TABLE "campaigns" ADD COLUMN "letter" text DEFAULT '{"editable":false,"subjectVariants":false}' NOT NULL;--> statement-breakpoint
ALTER TABLE "letters" ADD COLUMN "originality" double precision;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "subject_variants" text;