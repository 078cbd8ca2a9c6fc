CREATE TABLE "target_responses" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"target_id" text NOT NULL,
	"received_at" text NOT NULL,
	"channel" text NOT NULL,
	"summary" text NOT NULL,
	"public" integer DEFAULT 0 NOT NULL,
	"created_at" text DEFAULT to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') NOT NULL
);
--> statement-breakpoint
ALTER TABLE "target_responses" ADD CONSTRAINT "target_responses_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "target_responses" ADD CONSTRAINT "target_responses_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "target_responses_campaign" ON "target_responses" USING btree ("campaign_id","received_at");