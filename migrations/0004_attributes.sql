ALTER TABLE "resources" ADD COLUMN "attributes" jsonb;--> statement-breakpoint
ALTER TABLE "subjects" ADD COLUMN "attributes" jsonb;--> statement-breakpoint
-- A timestamp attribute of a stored resource as an instant at millisecond precision (as
-- JavaScript reads it), or NULL when the text is not an RFC 3339 date-time PostgreSQL
-- can read (a value stored before the policy declared the attribute a timestamp): a
-- search reads it as a missing attribute instead of failing on the cast (src/store/plan-sql.ts).
CREATE FUNCTION "gh_timestamptz"(value text) RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF value IS NULL OR value !~ '^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$' THEN
    RETURN NULL;
  END IF;
  RETURN date_trunc('milliseconds', value::timestamptz);
EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_time_zone_displacement_value THEN
  RETURN NULL;
END
$$;
