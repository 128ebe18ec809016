-- Attribute conditions in searches (issue 14): plan-sql.ts writes equality, `in` and list
-- `contains` on the `attributes` jsonb as containment (`attributes @> '{"status":"locked"}'`),
-- which this index serves (src/store/schema/resources.ts says why jsonb_path_ops, why
-- fastupdate off and why not led by tenant_id). Built in the migration's transaction, so it
-- holds resource writes while it is built (docs/benchmarks.md: the time for 600,000 resources).
CREATE INDEX "resources_attributes_idx" ON "resources" USING gin ("attributes" jsonb_path_ops) WITH (fastupdate=false);
