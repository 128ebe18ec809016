CREATE TABLE "resource_relations" (
	"tenant_id" text NOT NULL,
	"module" text NOT NULL,
	"relation" text NOT NULL,
	"value" text NOT NULL,
	"resource_id" text NOT NULL,
	CONSTRAINT "resource_relations_pk" PRIMARY KEY("tenant_id","module","relation","value","resource_id")
);
--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "effective_project" text;--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "acl_holder" text;--> statement-breakpoint
ALTER TABLE "resource_relations" ADD CONSTRAINT "resource_relations_resource_fk" FOREIGN KEY ("tenant_id","module","resource_id") REFERENCES "public"."resources"("tenant_id","module","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "resource_relations_tenant_id_module_resource_id_idx" ON "resource_relations" USING btree ("tenant_id","module","resource_id");--> statement-breakpoint
CREATE INDEX "resources_tenant_id_module_effective_project_idx" ON "resources" USING btree ("tenant_id","module","effective_project","id");--> statement-breakpoint
CREATE INDEX "resources_tenant_id_module_acl_holder_idx" ON "resources" USING btree ("tenant_id","module","acl_holder") WHERE acl_holder is not null;--> statement-breakpoint
-- Backfill (hand-written, ADR 0002): index the relation values of the resources already stored.
INSERT INTO "resource_relations" ("tenant_id", "module", "relation", "value", "resource_id")
SELECT r."tenant_id", r."module", kv.key, e.value #>> '{}', r."id"
FROM "resources" r
CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(r."relations") = 'object' THEN r."relations" ELSE '{}'::jsonb END) AS kv
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(kv.value) = 'array' THEN kv.value ELSE '[]'::jsonb END) AS e(value)
WHERE jsonb_typeof(e.value) = 'string'
ON CONFLICT DO NOTHING;--> statement-breakpoint
-- Backfill: effective_project and acl_holder of every stored resource, following at most
-- 32 parent links (MAX_ANCESTOR_DEPTH) and stopping at a missing parent or a cycle.
WITH RECURSIVE "chain" ("tenant_id", "module", "start", "node", "parent", "project", "has_acl", "depth", "path") AS (
  SELECT r."tenant_id", r."module", r."id", r."id", r."parent", r."project", r."acl" IS NOT NULL AND jsonb_typeof(r."acl") <> 'null', 0, ARRAY[r."id"]
  FROM "resources" r
  UNION ALL
  SELECT c."tenant_id", c."module", c."start", p."id", p."parent", p."project", p."acl" IS NOT NULL AND jsonb_typeof(p."acl") <> 'null', c."depth" + 1, c."path" || p."id"
  FROM "chain" c
  JOIN "resources" p ON p."tenant_id" = c."tenant_id" AND p."module" = c."module" AND p."id" = c."parent"
  WHERE c."depth" < 32 AND p."id" <> ALL (c."path")
), "derived" AS (
  SELECT "tenant_id", "module", "start",
    (array_agg("project" ORDER BY "depth") FILTER (WHERE "project" IS NOT NULL))[1] AS "effective_project",
    (array_agg("node" ORDER BY "depth") FILTER (WHERE "has_acl"))[1] AS "acl_holder"
  FROM "chain"
  GROUP BY "tenant_id", "module", "start"
)
UPDATE "resources" r SET "effective_project" = d."effective_project", "acl_holder" = d."acl_holder"
FROM "derived" d
WHERE r."tenant_id" = d."tenant_id" AND r."module" = d."module" AND r."id" = d."start";
