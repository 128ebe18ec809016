CREATE TABLE "api_keys" (
	"tenant_id" text NOT NULL,
	"id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"tenant_id" text NOT NULL,
	"id" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	CONSTRAINT "groups_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"bundle" json NOT NULL,
	"revision" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resources" (
	"tenant_id" text NOT NULL,
	"module" text NOT NULL,
	"id" text NOT NULL,
	"project" text,
	"parent" text,
	"relations" jsonb NOT NULL,
	"acl" jsonb,
	CONSTRAINT "resources_tenant_id_module_id_pk" PRIMARY KEY("tenant_id","module","id")
);
--> statement-breakpoint
CREATE TABLE "subject_aliases" (
	"tenant_id" text NOT NULL,
	"alias" text NOT NULL,
	"subject_id" text NOT NULL,
	CONSTRAINT "subject_aliases_tenant_id_alias_pk" PRIMARY KEY("tenant_id","alias")
);
--> statement-breakpoint
CREATE TABLE "subjects" (
	"tenant_id" text NOT NULL,
	"id" text NOT NULL,
	"roles" text[] NOT NULL,
	"aliases" text[],
	"projects" jsonb,
	"groups" text[],
	"status" text,
	"login" boolean,
	"owner" boolean,
	"overrides" jsonb,
	CONSTRAINT "subjects_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "system_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"revision" bigint DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policies" ADD CONSTRAINT "policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resources" ADD CONSTRAINT "resources_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subject_aliases" ADD CONSTRAINT "subject_aliases_tenant_id_subject_id_subjects_tenant_id_id_fk" FOREIGN KEY ("tenant_id","subject_id") REFERENCES "public"."subjects"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subjects" ADD CONSTRAINT "subjects_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_id_idx" ON "api_keys" USING btree ("id");--> statement-breakpoint
CREATE INDEX "resources_tenant_id_module_project_idx" ON "resources" USING btree ("tenant_id","module","project");--> statement-breakpoint
CREATE INDEX "resources_tenant_id_module_parent_idx" ON "resources" USING btree ("tenant_id","module","parent");--> statement-breakpoint
CREATE INDEX "subject_aliases_tenant_id_subject_id_idx" ON "subject_aliases" USING btree ("tenant_id","subject_id");