ALTER TABLE "campaigns" ADD COLUMN "postal" text;--> statement-breakpoint
ALTER TABLE "print_runs" ADD COLUMN "name" text;