CREATE TABLE "published_counts" (
	"campaign_id" text PRIMARY KEY NOT NULL,
	"published_at" text NOT NULL,
	"figures" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "published_counts" ADD CONSTRAINT "published_counts_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;