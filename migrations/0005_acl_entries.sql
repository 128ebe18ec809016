CREATE TABLE "acl_entries" (
	"tenant_id" text NOT NULL,
	"module" text NOT NULL,
	"holder_id" text NOT NULL,
	"position" integer NOT NULL,
	"effect" text NOT NULL,
	"action" text NOT NULL,
	"who" text NOT NULL,
	"when" text,
	CONSTRAINT "acl_entries_pk" PRIMARY KEY("tenant_id","module","holder_id","position","effect","action")
);
--> statement-breakpoint
ALTER TABLE "acl_entries" ADD CONSTRAINT "acl_entries_resource_fk" FOREIGN KEY ("tenant_id","module","holder_id") REFERENCES "public"."resources"("tenant_id","module","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "acl_entries_tenant_id_module_who_idx" ON "acl_entries" USING btree ("tenant_id","module","who","action","effect","holder_id","when");--> statement-breakpoint
CREATE INDEX "acl_entries_tenant_id_module_when_idx" ON "acl_entries" USING btree ("tenant_id","module","when") WHERE "when" is not null;--> statement-breakpoint
-- Existing ACLs, as the store writes their rows (aclEntryRows in src/store/pg-store.ts):
-- one row per (entry, effect, action), only for entries the engine can match (an object
-- with a string `who`, no `when` or a string one) and string actions, repeats dropped.
INSERT INTO "acl_entries" ("tenant_id", "module", "holder_id", "position", "effect", "action", "who", "when")
SELECT DISTINCT r."tenant_id", r."module", r."id", (e.ord - 1)::int, x.effect, v.value #>> '{}', e.entry ->> 'who', e.entry ->> 'when'
FROM "resources" r
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r."acl") = 'array' THEN r."acl" ELSE '[]'::jsonb END) WITH ORDINALITY AS e(entry, ord)
CROSS JOIN LATERAL (VALUES ('allow'), ('deny')) AS x(effect)
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.entry -> x.effect) = 'array' THEN e.entry -> x.effect ELSE '[]'::jsonb END) AS v(value)
WHERE jsonb_typeof(e.entry) = 'object'
  AND jsonb_typeof(e.entry -> 'who') = 'string'
  AND (e.entry -> 'when' IS NULL OR jsonb_typeof(e.entry -> 'when') = 'string')
  AND jsonb_typeof(v.value) = 'string';
