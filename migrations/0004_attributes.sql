ALTER TABLE "resources" ADD COLUMN "attributes" jsonb;--> statement-breakpoint
ALTER TABLE "subjects" ADD COLUMN "attributes" jsonb;--> statement-breakpoint
-- A timestamp attribute of a stored resource as an instant, or NULL unless the text is an
-- RFC 3339 date-time the engine accepts (src/engine/attributes.ts: years 1 to 9999 in UTC,
-- at most six fraction digits, no leap second, offsets below 24 hours): a search reads
-- anything else (a value stored before the policy declared the attribute a timestamp) as
-- a missing attribute, as decisions do, instead of failing on a cast (src/store/plan-sql.ts).
-- The offset is applied here because PostgreSQL's own offsets stop at 15 hours.
CREATE FUNCTION "gh_timestamptz"(value text) RETURNS timestamptz LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
  m text[];
  local timestamp;
  instant timestamptz;
BEGIN
  m := regexp_match(value, '^(\d{4}-\d{2}-\d{2})[Tt]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?)(?:[Zz]|([+-])([01]\d|2[0-3]):([0-5]\d))$');
  IF m IS NULL THEN
    RETURN NULL;
  END IF;
  local := (m[1] || ' ' || m[2])::timestamp;
  IF m[3] IS NOT NULL THEN
    local := local - (CASE WHEN m[3] = '-' THEN -1 ELSE 1 END) * make_interval(hours => m[4]::int, mins => m[5]::int);
  END IF;
  instant := local AT TIME ZONE 'UTC';
  IF instant < '0001-01-01T00:00:00Z'::timestamptz OR instant >= '10000-01-01T00:00:00Z'::timestamptz THEN
    RETURN NULL;
  END IF;
  RETURN instant;
EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
  RETURN NULL;
END
$$;
