-- Protocol v2: feature properties are free GeoJSON properties with simplestyle-spec style keys.
-- The schema is unchanged (properties and op payloads are JSON), this moves the old fixed keys.
-- `color` painted every part of a feature, so it becomes `marker-color`, `stroke` and `fill`
-- (each geometry type reads its own), and `icon` becomes `marker-symbol`. `title`, `description`,
-- `url` and `layer` keep their names. A null in an update patch (clear) stays null in all three.
-- Old ops in the log are rewritten the same way, so a replay gives the same state as the rows.
-- (No semicolons in comments and no `?` operators: Prisma's engine splits scripts on semicolons,
-- and `x->'key' IS NOT NULL` is true for a key holding JSON null, like `x ? 'key'`.)
CREATE FUNCTION "meridian_v2_properties"(p jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT (p - 'color' - 'icon')
    || CASE WHEN p->'color' IS NOT NULL
         THEN jsonb_build_object('marker-color', p->'color', 'stroke', p->'color', 'fill', p->'color')
         ELSE '{}'::jsonb END
    || CASE WHEN p->'icon' IS NOT NULL THEN jsonb_build_object('marker-symbol', p->'icon') ELSE '{}'::jsonb END
$$;

UPDATE "Feature"
SET properties = "meridian_v2_properties"(properties)
WHERE properties->'color' IS NOT NULL OR properties->'icon' IS NOT NULL;

UPDATE "Op"
SET payload = jsonb_set(payload, '{feature,properties}', "meridian_v2_properties"(payload->'feature'->'properties'))
WHERE kind = 'feature.create'
  AND (payload->'feature'->'properties'->'color' IS NOT NULL OR payload->'feature'->'properties'->'icon' IS NOT NULL);

UPDATE "Op"
SET payload = jsonb_set(payload, '{properties}', "meridian_v2_properties"(payload->'properties'))
WHERE kind = 'feature.update'
  AND (payload->'properties'->'color' IS NOT NULL OR payload->'properties'->'icon' IS NOT NULL);

DROP FUNCTION "meridian_v2_properties"(jsonb);
