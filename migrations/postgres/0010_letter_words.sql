ALTER TABLE "campaigns" ADD COLUMN "letter" text DEFAULT '{"editable":false,"subjectVariants":false}' NOT NULL;--> statement-breakpoint
ALTER TABLE "letters" ADD COLUMN "originality" real;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "subject_variants" text;