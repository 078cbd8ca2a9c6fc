CREATE TABLE "offline_counts" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"supporters" integer NOT NULL,
	"letters" integer NOT NULL,
	"source" text NOT NULL,
	"note" text,
	"created_at" text DEFAULT to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') NOT NULL
);
--> statement-breakpoint
ALTER TABLE "offline_counts" ADD CONSTRAINT "offline_counts_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "offline_counts_campaign" ON "offline_counts" USING btree ("campaign_id","created_at");